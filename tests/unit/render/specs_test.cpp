// Every example in specs/ validates, renders to its golden Dockerfile, and its YAML and TOML
// twins give the same Dockerfile, context and URI.
// Refresh the golden files with IMGSPEC_UPDATE_GOLDEN=1.

#include "unit/test_util.hpp"

#include <imgspec/pipeline/pipeline.hpp>
#include <imgspec/plan/tag.hpp>
#include <imgspec/spec/matrix.hpp>

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

// Every image of a spec: one, or one per combination of its matrix.
std::vector<pipeline::Image> images_of(const fs::path& file, const Config& cfg) {
    return pipeline::resolve_specs(spec::read_specs(file), cfg);
}

// The golden file of an image: <example>.Dockerfile, or <example>-<values>.Dockerfile for an
// image of a matrix.
fs::path golden_of(const std::string& example, const pipeline::Image& img) {
    std::string name = example;
    for (const auto& v : img.plan.spec.matrix) {
        name += "-" + spec::matrix_name_part(v.value);
    }
    return fs::path(IMGSPEC_TEST_DATA) / "golden" / (name + ".Dockerfile");
}

TEST_P(ExampleSpec, RendersGoldenDockerfileAndTwinsAgree) {
    const fs::path specs = fs::path(IMGSPEC_SOURCE_DIR) / "specs";
    Config cfg = test::test_config();
    std::vector<pipeline::Image> yamls = images_of(specs / (GetParam() + ".yaml"), cfg);
    ASSERT_TRUE(fs::exists(specs / (GetParam() + ".toml"))) << "every example has a TOML twin";
    std::vector<pipeline::Image> tomls = images_of(specs / (GetParam() + ".toml"), cfg);
    ASSERT_EQ(yamls.size(), tomls.size());

    for (std::size_t k = 0; k < yamls.size(); ++k) {
        const pipeline::Image& yaml = yamls[k];
        const pipeline::Image& toml = tomls[k];
        EXPECT_EQ(yaml.dockerfile, toml.dockerfile);
        EXPECT_EQ(yaml.uri, toml.uri);
        ASSERT_EQ(yaml.context.entries.size(), toml.context.entries.size());
        for (std::size_t i = 0; i < yaml.context.entries.size(); ++i) {
            EXPECT_EQ(yaml.context.entries[i].path, toml.context.entries[i].path);
            EXPECT_EQ(yaml.context.entries[i].digest, toml.context.entries[i].digest);
        }

        const fs::path golden = golden_of(GetParam(), yaml);
        if (std::getenv("IMGSPEC_UPDATE_GOLDEN") != nullptr) {
            std::ofstream(golden, std::ios::binary) << yaml.dockerfile;
        }
        ASSERT_TRUE(fs::exists(golden)) << golden << " missing: run with IMGSPEC_UPDATE_GOLDEN=1";
        EXPECT_EQ(yaml.dockerfile, test::read_file(golden));
    }
}

INSTANTIATE_TEST_SUITE_P(Specs, ExampleSpec, ::testing::ValuesIn(example_names()),
                         [](const auto& info) {
                             std::string n = info.param;
                             std::replace(n.begin(), n.end(), '-', '_');
                             return n;
                         });

} // namespace
