// Platforms: one canonical spelling, so linux/arm64/v8 and linux/arm64 are one platform when a
// spec is read, when a tag is computed and when a registry's answer is compared.

#include "unit/test_util.hpp"

#include <imgspec/plan/manifest.hpp>
#include <imgspec/plan/tag.hpp>
#include <imgspec/spec/model.hpp>
#include <imgspec/spec/platform.hpp>

#include <gtest/gtest.h>

namespace imgspec::spec {
namespace {

std::vector<Diagnostic> errors_of(const std::filesystem::path& file) {
    try {
        read_spec(file);
    } catch (const SpecError& e) {
        return e.diagnostics();
    }
    ADD_FAILURE() << file << " was read without an error";
    return {};
}

TEST(Platform, NormalizeSpellings) {
    EXPECT_EQ(normalize_platform("linux/amd64"), "linux/amd64");
    EXPECT_EQ(normalize_platform("linux/arm64/v8"), "linux/arm64");
    EXPECT_EQ(normalize_platform("linux/aarch64"), "linux/arm64");
    EXPECT_EQ(normalize_platform("linux/x86_64"), "linux/amd64");
    EXPECT_EQ(normalize_platform("linux/arm"), "linux/arm/v7");
    EXPECT_EQ(normalize_platform("linux/arm/v6"), "linux/arm/v6");
    EXPECT_EQ(normalize_platform("Linux/AMD64"), "linux/amd64");
}

TEST(Platform, ParseTakesKnownSpellingsOnly) {
    EXPECT_EQ(Platform::parse("linux/arm64/v8"), Platform("linux/arm64"));
    EXPECT_EQ(Platform::parse("linux/arm64/v8")->str(), "linux/arm64");
    EXPECT_FALSE(Platform::parse("linux/aarch64")) << "not a spelling a spec may use";
    EXPECT_FALSE(Platform::parse("linux/amd64,linux/arm64"));
    EXPECT_THROW(Platform("windows/amd64"), Error);
    for (const auto& known : known_platforms()) {
        ASSERT_TRUE(Platform::parse(known)) << known;
        if (known != "linux/arm64/v8") {
            EXPECT_EQ(Platform::parse(known)->str(), known)
                << "canonical spellings stay as written";
        }
    }
}

TEST(Platform, SpecKeepsTheWrittenOrderNormalized) {
    test::TempDir dir;
    auto file = dir.write("s.yaml", "name: app\nplatform: [linux/arm64/v8, linux/amd64]\n");
    Spec s = read_spec(file);
    EXPECT_EQ(platform_names(s.platforms),
              (std::vector<std::string>{"linux/arm64", "linux/amd64"}));
}

TEST(Platform, TwoSpellingsOfOnePlatformAreAnError) {
    test::TempDir dir;
    auto file = dir.write(
        "s.yaml", "name: app\nplatform:\n  - linux/arm64\n  - linux/amd64\n  - linux/arm64/v8\n");
    auto diags = errors_of(file);
    ASSERT_EQ(diags.size(), 1u);
    EXPECT_EQ(diags[0].format(), file.string() +
                                     ":5:5: error: platform[2]: platform 'linux/arm64/v8' is "
                                     "listed already as 'linux/arm64' (platform[0])\n"
                                     "  hint: 'linux/arm64' and 'linux/arm64/v8' name "
                                     "one platform: list it once");
}

TEST(Platform, TheSameSpellingTwiceKeepsItsMessage) {
    test::TempDir dir;
    auto file =
        dir.write("s.toml", "name = \"app\"\nplatform = [\"linux/amd64\", \"linux/amd64\"]\n");
    auto diags = errors_of(file);
    ASSERT_EQ(diags.size(), 1u);
    EXPECT_EQ(diags[0].message, "platform 'linux/amd64' listed twice");
    EXPECT_EQ(diags[0].path, "platform[1]");
}

TEST(Platform, TagIsOverTheCanonicalSet) {
    plan::Manifest context;
    auto tag = [&](std::vector<Platform> p) { return plan::compute_tag(context, p); };
    Platform amd(*Platform::parse("linux/amd64"));
    Platform v8(*Platform::parse("linux/arm64/v8"));
    Platform arm(*Platform::parse("linux/arm64"));
    EXPECT_EQ(tag({amd, v8}), tag({arm, amd}));
    EXPECT_NE(tag({amd}), tag({amd, arm}));
}

} // namespace
} // namespace imgspec::spec
