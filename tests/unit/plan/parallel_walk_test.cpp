// The folder walk runs on several threads and merges their findings in one order: the same
// manifest, the same errors and warnings in the same order, on one thread or many, whatever order
// readdir lists names in.

#include "unit/test_util.hpp"

#include <imgspec/core/error.hpp>
#include <imgspec/plan/plan.hpp>
#include <imgspec/plan/stat_cache.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include <sys/stat.h>

namespace fs = std::filesystem;
using namespace imgspec;

namespace {

plan::PlanOptions options_with(unsigned threads) {
    plan::PlanOptions options;
    options.hash_threads = threads;
    options.use_cache = false;
    return options;
}

std::vector<std::string> paths_of(const plan::Plan& p) {
    std::vector<std::string> out;
    for (const auto& e : p.files.entries) {
        out.push_back(e.path);
    }
    return out;
}

// The messages of the SpecError that planning `spec` throws.
std::vector<std::string> errors_of(const fs::path& spec, unsigned threads) {
    std::vector<std::string> out;
    try {
        plan::plan_file(spec, test::test_config(), options_with(threads));
        ADD_FAILURE() << "expected a SpecError";
    } catch (const SpecError& e) {
        for (const auto& d : e.diagnostics()) {
            out.push_back(d.message);
        }
    }
    return out;
}

// Many folders, several levels, names that sort on both sides of '/' ("a" < "a-b" < "a.txt" <
// "a/x" in byte order, while a folder-by-folder walk meets "a/x" right after "a").
fs::path make_tree(const test::TempDir& dir) {
    for (int i = 0; i < 40; ++i) {
        std::string d = "src/d" + std::to_string(i % 7) + "/e" + std::to_string(i);
        dir.write(d + "/f.txt", "file " + std::to_string(i) + "\n");
        dir.write(d + "/g/h.bin", std::string(static_cast<std::size_t>(i) * 100, 'x'));
    }
    dir.write("src/a/x", "x\n");
    dir.write("src/a-b", "ab\n");
    dir.write("src/a.txt", "a\n");
    dir.write("src/a/y/z", "z\n");
    return dir.write("spec.yaml", "name: t\nfrom: {base: busybox}\nlayers:\n"
                                  "  - source_folder: {src: src, dst: /app}\n");
}

} // namespace

TEST(ParallelWalk, SameManifestOnOneThreadOrMany) {
    test::TempDir dir;
    fs::path spec = make_tree(dir);
    plan::Plan one = plan::plan_file(spec, test::test_config(), options_with(1));
    std::vector<std::string> paths = paths_of(one);
    ASSERT_GT(paths.size(), 120u);
    EXPECT_TRUE(std::is_sorted(paths.begin(), paths.end()));
    for (unsigned threads : {2u, 3u, 8u}) {
        plan::Plan many = plan::plan_file(spec, test::test_config(), options_with(threads));
        ASSERT_EQ(paths_of(many), paths) << threads << " threads";
        for (std::size_t i = 0; i < paths.size(); ++i) {
            EXPECT_EQ(many.files.entries[i].digest, one.files.entries[i].digest) << paths[i];
            EXPECT_EQ(many.files.entries[i].size, one.files.entries[i].size) << paths[i];
        }
    }
    // Byte order around '/': the folder "a" and its contents come after "a-b" and "a.txt".
    auto at = [&](const std::string& p) {
        return std::find(paths.begin(), paths.end(), "layers/0/" + p) - paths.begin();
    };
    EXPECT_LT(at("a"), at("a-b"));
    EXPECT_LT(at("a-b"), at("a.txt"));
    EXPECT_LT(at("a.txt"), at("a/x"));
    EXPECT_LT(at("a/x"), at("a/y"));
}

TEST(ParallelWalk, ErrorsComeInPathOrderOnAnyNumberOfThreads) {
    test::TempDir dir;
    fs::path spec = make_tree(dir);
    // FIFOs cannot be copied: each is one error, found by whichever thread lists its folder.
    std::vector<std::string> fifos = {"src/a/fifo",        "src/a-fifo",     "src/a.fifo",
                                      "src/d3/e10/g/fifo", "src/d0/e7/fifo", "src/zz"};
    for (const auto& f : fifos) {
        ASSERT_EQ(::mkfifo((dir / f).c_str(), 0644), 0) << f;
    }
    std::vector<std::string> one = errors_of(spec, 1);
    ASSERT_EQ(one.size(), fifos.size());
    // In byte order of the paths: "a-fifo" < "a.fifo" < "a/fifo" < "d0/..." < "d3/..." < "zz".
    std::vector<std::string> order = {"src/a-fifo",     "src/a.fifo",        "src/a/fifo",
                                      "src/d0/e7/fifo", "src/d3/e10/g/fifo", "src/zz"};
    for (std::size_t i = 0; i < order.size(); ++i) {
        EXPECT_NE(one[i].find(order[i] + ": is a FIFO"), std::string::npos) << one[i];
    }
    for (unsigned threads : {2u, 4u}) {
        for (int run = 0; run < 5; ++run) {
            EXPECT_EQ(errors_of(spec, threads), one) << threads << " threads";
        }
    }
}

TEST(ParallelWalk, AnExcludedFolderWithAnIncludedFileStillHasItsFolderEntry) {
    test::TempDir dir;
    dir.write("src/keep/a.txt", "a\n");
    dir.write("src/skip/b.txt", "b\n");
    dir.write("src/skip/deep/c.txt", "c\n");
    // Ignore rules match spec-relative paths.
    dir.write("src/.dockerignore", "src/skip\n!src/skip/deep/c.txt\n");
    fs::path spec = dir.write("spec.yaml", "name: t\nfrom: {base: busybox}\nlayers:\n"
                                           "  - dockerignore: src/.dockerignore\n"
                                           "  - source_folder: {src: src, dst: /app}\n");
    for (unsigned threads : {1u, 2u}) {
        std::vector<std::string> paths =
            paths_of(plan::plan_file(spec, test::test_config(), options_with(threads)));
        EXPECT_TRUE(std::is_sorted(paths.begin(), paths.end()));
        auto has = [&](const std::string& p) {
            return std::find(paths.begin(), paths.end(), p) != paths.end();
        };
        EXPECT_TRUE(has("layers/1/skip")) << threads;
        EXPECT_TRUE(has("layers/1/skip/deep")) << threads;
        EXPECT_TRUE(has("layers/1/skip/deep/c.txt")) << threads;
        EXPECT_FALSE(has("layers/1/skip/b.txt")) << threads;
        EXPECT_TRUE(has("layers/1/keep/a.txt")) << threads;
    }
}

TEST(ParallelWalk, TwoFoldersInTwoLayersAreSortedTogether) {
    test::TempDir dir;
    for (int i = 0; i < 12; ++i) {
        dir.write("s" + std::to_string(i) + "/f", std::to_string(i));
    }
    std::string yaml = "name: t\nfrom: {base: busybox}\nlayers:\n";
    for (int i = 0; i < 12; ++i) {
        yaml += "  - source_folder: {src: s" + std::to_string(i) + ", dst: /s" + std::to_string(i) +
                "}\n";
    }
    fs::path spec = dir.write("spec.yaml", yaml);
    std::vector<std::string> paths =
        paths_of(plan::plan_file(spec, test::test_config(), options_with(2)));
    // "layers/10" < "layers/2": the layers' runs are not in order by themselves.
    EXPECT_TRUE(std::is_sorted(paths.begin(), paths.end()));
    EXPECT_EQ(paths.size(), 1u + 12u * 2u);
}

TEST(ParallelWalk, WithoutTheStatCacheAFileIsStatedWhenItIsHashed) {
    test::TempDir dir;
    fs::path spec = make_tree(dir);
    fs::path tool = dir.write("src/bin/tool", "#!/bin/sh\necho hi\n");
    fs::permissions(tool, fs::perms::owner_exec, fs::perm_options::add);
    dir.write("src/empty", "");
    fs::create_symlink("a.txt", dir / "src/link");
    // With the stat cache every entry is stat'ed during the walk; without it files are stat'ed
    // by hash_pending (their mode is 0 until then). The plans must not differ.
    plan::PlanOptions cached = options_with(2);
    cached.use_cache = true;
    cached.cache_dir = dir / "cache";
    plan::Plan with = plan::plan_file(spec, test::test_config(), cached);
    plan::Plan without = plan::plan_file(spec, test::test_config(), options_with(2));
    ASSERT_EQ(paths_of(without), paths_of(with));
    bool saw_exec = false;
    for (std::size_t i = 0; i < with.files.entries.size(); ++i) {
        const plan::Entry& a = with.files.entries[i];
        const plan::Entry& b = without.files.entries[i];
        EXPECT_EQ(b.type, a.type) << a.path;
        EXPECT_EQ(b.mode, a.mode) << a.path;
        EXPECT_NE(b.mode, 0u) << a.path;
        EXPECT_EQ(b.size, a.size) << a.path;
        EXPECT_EQ(b.digest, a.digest) << a.path;
        EXPECT_EQ(b.link_target, a.link_target) << a.path;
        saw_exec = saw_exec || (a.path == "layers/0/bin/tool" && b.mode == 0755);
    }
    EXPECT_TRUE(saw_exec);
}
