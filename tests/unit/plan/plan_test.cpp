// Planner checks on the files a spec names, and collecting secrets.

#include "unit/test_util.hpp"

#include <imgspec/plan/plan.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace imgspec;

namespace {

const std::string head = "name: t\nfrom: {base: \"127.0.0.1:5000/busybox:latest\"}\nlayers:\n";

plan::Plan plan_of(const fs::path& spec) {
    plan::PlanOptions options;
    options.hash = false;
    options.use_cache = false;
    return plan::plan_file(spec, test::test_config(), options);
}

// The messages of the SpecError that planning throws.
std::vector<std::string> plan_errors(const fs::path& spec) {
    std::vector<std::string> out;
    try {
        plan_of(spec);
        ADD_FAILURE() << "expected a SpecError";
    } catch (const SpecError& e) {
        for (const auto& d : e.diagnostics()) {
            out.push_back(d.message);
        }
    }
    return out;
}

TEST(PlanSecrets, EachIdOnceInFirstSeenOrder) {
    test::TempDir dir;
    auto spec = dir.write("spec.yaml", head + "  - commands: [\"true\"]\n"
                                              "    secret_mounts: [B, A, B]\n"
                                              "  - commands: [\"true\"]\n"
                                              "    secret_mounts: [A, C]\n");
    plan::Plan p = plan_of(spec);
    ASSERT_EQ(p.secrets.size(), 3u);
    EXPECT_EQ(p.secrets[0].id, "B");
    EXPECT_EQ(p.secrets[1].id, "A");
    EXPECT_EQ(p.secrets[2].id, "C");
}

// Looking each id up among those collected so far took 24 s for 100k mounts.
TEST(PlanSecrets, HundredThousandMountsInLinearTime) {
    test::TempDir dir;
    std::string text = head + "  - commands: [\"true\"]\n    secret_mounts:\n";
    for (int i = 0; i < 100'000; ++i) {
        text += "      - S" + std::to_string(i) + "\n";
    }
    auto spec = dir.write("spec.yaml", text);
    auto start = std::chrono::steady_clock::now();
    plan::Plan p = plan_of(spec);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_EQ(p.secrets.size(), 100'000u);
    EXPECT_EQ(p.secrets.back().id, "S99999");
    EXPECT_LT(seconds, test::time_limit(10.0));
}

TEST(PlanFiles, MissingFileDoesNotExist) {
    test::TempDir dir;
    fs::create_symlink("nowhere", dir / "dangling");
    auto spec = dir.write("spec.yaml", head + "  - source_file: {src: missing.txt, dst: /x}\n"
                                              "  - source_file: {src: dangling, dst: /y}\n"
                                              "  - source_file: {src: spec.yaml/x, dst: /z}\n");
    auto errors = plan_errors(spec);
    ASSERT_EQ(errors.size(), 3u);
    EXPECT_EQ(errors[0], "'missing.txt' does not exist");
    EXPECT_EQ(errors[1], "'dangling' does not exist");
    EXPECT_EQ(errors[2], "'spec.yaml/x' does not exist"); // ENOTDIR
}

TEST(PlanFiles, SymlinkLoopIsNamedAsOne) {
    test::TempDir dir;
    fs::create_symlink("loop-b", dir / "loop-a");
    fs::create_symlink("loop-a", dir / "loop-b");
    auto spec = dir.write("spec.yaml", head + "  - source_file: {src: loop-a, dst: /x}\n"
                                              "  - source_folder: {src: loop-b, dst: /y}\n");
    auto errors = plan_errors(spec);
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(errors[0], "'loop-a' is a symlink loop (too many levels of symbolic links)");
    EXPECT_EQ(errors[1], "'loop-b' is a symlink loop (too many levels of symbolic links)");
}

} // namespace
