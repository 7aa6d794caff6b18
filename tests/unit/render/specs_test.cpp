// Every example in specs/ validates, renders to its golden Dockerfile, and its YAML and TOML
// twins give the same Dockerfile, context and URI.
// Refresh the golden files with IMGSPEC_UPDATE_GOLDEN=1.

#include "unit/test_util.hpp"

#include <imgspec/pipeline/pipeline.hpp>
#include <imgspec/plan/tag.hpp>

#include <gtest/gtest.h>

#include <cstdlib>

namespace fs = std::filesystem;
using namespace imgspec;

namespace {

std::vector<std::string> example_names() {
    std::vector<std::string> names;
    for (const auto& de : fs::directory_iterator(fs::path(IMGSPEC_SOURCE_DIR) / "specs")) {
        if (de.path().extension() == ".yaml") {
            names.push_back(de.path().stem().string());
        }
    }
    std::sort(names.begin(), names.end());
    return names;
}

class ExampleSpec : public ::testing::TestWithParam<std::string> {};

TEST_P(ExampleSpec, RendersGoldenDockerfileAndTwinsAgree) {
    const fs::path specs = fs::path(IMGSPEC_SOURCE_DIR) / "specs";
    Config cfg = test::test_config();
    pipeline::Image yaml = pipeline::resolve_image(specs / (GetParam() + ".yaml"), cfg);
    ASSERT_TRUE(fs::exists(specs / (GetParam() + ".toml"))) << "every example has a TOML twin";
    pipeline::Image toml = pipeline::resolve_image(specs / (GetParam() + ".toml"), cfg);

    EXPECT_EQ(yaml.dockerfile, toml.dockerfile);
    EXPECT_EQ(yaml.uri, toml.uri);
    ASSERT_EQ(yaml.context.entries.size(), toml.context.entries.size());
    for (std::size_t i = 0; i < yaml.context.entries.size(); ++i) {
        EXPECT_EQ(yaml.context.entries[i].path, toml.context.entries[i].path);
        EXPECT_EQ(yaml.context.entries[i].digest, toml.context.entries[i].digest);
    }

    const fs::path golden = fs::path(IMGSPEC_TEST_DATA) / "golden" / (GetParam() + ".Dockerfile");
    if (std::getenv("IMGSPEC_UPDATE_GOLDEN") != nullptr) {
        std::ofstream(golden, std::ios::binary) << yaml.dockerfile;
    }
    ASSERT_TRUE(fs::exists(golden)) << golden << " missing: run with IMGSPEC_UPDATE_GOLDEN=1";
    EXPECT_EQ(yaml.dockerfile, test::read_file(golden));
}

INSTANTIATE_TEST_SUITE_P(Specs, ExampleSpec, ::testing::ValuesIn(example_names()),
                         [](const auto& info) {
                             std::string n = info.param;
                             std::replace(n.begin(), n.end(), '-', '_');
                             return n;
                         });

} // namespace
