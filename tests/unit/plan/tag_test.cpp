// Properties of the content tag (spec-format.md section 4).

#include "unit/test_util.hpp"

#include <imgspec/pipeline/pipeline.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <utime.h>

namespace fs = std::filesystem;
using namespace imgspec;

namespace {

const char* spec_text = R"(name: app
registry: registry.example.com/team
from:
  base: python:3.12-slim-bookworm
layers:
  - requirements: requirements.txt
  - uv_project: {pyproject: proj/pyproject.toml}
  - source_folder: {src: src, dst: /app}
)";

void make_tree(const test::TempDir& d, bool reverse = false) {
    std::vector<std::pair<std::string, std::string>> files = {
        {"spec.yaml", spec_text},
        {"requirements.txt", "requests==2.32.3\n"},
        {"proj/pyproject.toml", "[project]\nname='p'\n"},
        {"proj/uv.lock", "version = 1\n"},
        {"src/a.py", "print('a')\n"},
        {"src/pkg/b.py", "print('b')\n"},
        {"src/pkg/c.py", "print('c')\n"},
        {".dockerignore", "**/*.pyc\n"},
    };
    if (reverse) {
        std::reverse(files.begin(), files.end());
    }
    for (const auto& [p, c] : files) {
        d.write(p, c);
    }
}

std::string uri_of(const fs::path& spec) {
    return pipeline::resolve_image(spec, test::test_config()).uri;
}
std::string tag_of(const fs::path& spec) {
    return pipeline::resolve_image(spec, test::test_config()).tag;
}

TEST(Tag, IsLongHexAndStable) {
    test::TempDir d;
    make_tree(d);
    auto tag = tag_of(d / "spec.yaml");
    EXPECT_EQ(tag.size(), 32u);
    EXPECT_EQ(tag.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_EQ(tag, tag_of(d / "spec.yaml"));
    EXPECT_EQ(uri_of(d / "spec.yaml"), "registry.example.com/team/app:" + tag);
}

TEST(Tag, ChangesWhenCopiedFileChanges) {
    test::TempDir d;
    make_tree(d);
    auto before = tag_of(d / "spec.yaml");
    d.write("src/pkg/b.py", "print('B')\n");
    EXPECT_NE(before, tag_of(d / "spec.yaml"));
}

TEST(Tag, ChangesWhenRequirementsOrLockChange) {
    test::TempDir d;
    make_tree(d);
    auto t0 = tag_of(d / "spec.yaml");
    d.write("requirements.txt", "requests==2.32.4\n");
    auto t1 = tag_of(d / "spec.yaml");
    EXPECT_NE(t0, t1);
    d.write("proj/uv.lock", "version = 2\n");
    EXPECT_NE(t1, tag_of(d / "spec.yaml"));
}

TEST(Tag, ChangesWhenDockerignoreChanges) {
    test::TempDir d;
    make_tree(d);
    auto before = tag_of(d / "spec.yaml");
    d.write(".dockerignore", "**/*.pyc\n*.log\n");
    EXPECT_NE(before, tag_of(d / "spec.yaml"));
}

TEST(Tag, IgnoredFilesDoNotCount) {
    test::TempDir d;
    make_tree(d);
    auto before = tag_of(d / "spec.yaml");
    d.write("src/pkg/b.pyc", "junk");
    EXPECT_EQ(before, tag_of(d / "spec.yaml"));
}

TEST(Tag, ExecutableBitCounts) {
    test::TempDir d;
    make_tree(d);
    auto before = tag_of(d / "spec.yaml");
    fs::permissions(d / "src/a.py", fs::perms::owner_exec, fs::perm_options::add);
    EXPECT_NE(before, tag_of(d / "spec.yaml"));
}

TEST(Tag, MtimeDoesNotCount) {
    test::TempDir d;
    make_tree(d);
    auto before = tag_of(d / "spec.yaml");
    struct utimbuf times {
        1000, 1000
    };
    ASSERT_EQ(utime((d / "src/a.py").c_str(), &times), 0);
    EXPECT_EQ(before, tag_of(d / "spec.yaml"));
}

TEST(Tag, SpecFileNameRegistryAndNameDoNotCount) {
    test::TempDir d;
    make_tree(d);
    auto before = tag_of(d / "spec.yaml");
    fs::rename(d / "spec.yaml", d / "other-name.yaml");
    EXPECT_EQ(before, tag_of(d / "other-name.yaml"));
    std::string s = spec_text;
    s.replace(s.find("name: app"), 9, "name: renamed");
    s.replace(s.find("registry.example.com/team"), 25, "127.0.0.1:5000");
    d.write("other-name.yaml", s);
    EXPECT_EQ(before, tag_of(d / "other-name.yaml"));
    EXPECT_EQ(uri_of(d / "other-name.yaml"), "127.0.0.1:5000/renamed:" + before);
}

TEST(Tag, PlatformsCount) {
    test::TempDir d;
    make_tree(d);
    auto before = tag_of(d / "spec.yaml");
    d.write("spec.yaml", std::string(spec_text) + "platform: [linux/amd64, linux/arm64]\n");
    auto both = tag_of(d / "spec.yaml");
    EXPECT_NE(before, both);
    d.write("spec.yaml", std::string(spec_text) + "platform: linux/amd64\n");
    EXPECT_EQ(before, tag_of(d / "spec.yaml")) << "linux/amd64 is the default for a base image";
}

TEST(Tag, PlatformOrderDoesNotCount) {
    test::TempDir d;
    make_tree(d);
    d.write("spec.yaml", std::string(spec_text) + "platform: [linux/amd64, linux/arm64]\n");
    auto a = tag_of(d / "spec.yaml");
    d.write("spec.yaml", std::string(spec_text) + "platform: [linux/arm64, linux/amd64]\n");
    EXPECT_EQ(a, tag_of(d / "spec.yaml"));
}

TEST(Tag, PackageBoundariesCount) {
    test::TempDir d;
    d.write("spec.yaml",
            "name: x\nfrom: {base: 'python:3.12'}\nlayers:\n  - pip_packages: [ab, c]\n");
    auto t1 = tag_of(d / "spec.yaml");
    d.write("spec.yaml",
            "name: x\nfrom: {base: 'python:3.12'}\nlayers:\n  - pip_packages: [a, bc]\n");
    EXPECT_NE(t1, tag_of(d / "spec.yaml"));
}

TEST(Tag, SameTreeInTwoFoldersCreatedInDifferentOrders) {
    test::TempDir a;
    test::TempDir b;
    make_tree(a, false);
    make_tree(b, true);
    EXPECT_EQ(tag_of(a / "spec.yaml"), tag_of(b / "spec.yaml"));
}

TEST(Tag, YamlAndTomlGiveOneTag) {
    test::TempDir d;
    make_tree(d);
    d.write("spec.toml", R"(name = "app"
registry = "registry.example.com/team"
[from]
base = "python:3.12-slim-bookworm"
[[layers]]
requirements = "requirements.txt"
[[layers]]
uv_project = { pyproject = "proj/pyproject.toml" }
[[layers]]
source_folder = { src = "src", dst = "/app" }
)");
    EXPECT_EQ(uri_of(d / "spec.yaml"), uri_of(d / "spec.toml"));
}

TEST(Tag, FixedTagIsUsedAsIs) {
    test::TempDir d;
    make_tree(d);
    d.write("spec.yaml", std::string(spec_text) + "tag: v1\n");
    EXPECT_EQ(uri_of(d / "spec.yaml"), "registry.example.com/team/app:v1");
}

} // namespace
