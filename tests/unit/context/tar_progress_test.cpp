// Streaming the context tells a Progress about it: one phase whose totals are the context's file
// entries and their bytes, advances that add up to them, end() after the last block and when the
// stream fails; the bytes written are the same with or without a Progress.

#include <imgspec/context/tar_writer.hpp>
#include <imgspec/core/error.hpp>
#include <imgspec/plan/walk.hpp>

#include "unit/fake_progress.hpp"
#include "unit/test_util.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>

namespace fs = std::filesystem;
using imgspec::Error;
using imgspec::context::TarOptions;
using imgspec::context::write_tar;
using imgspec::plan::Entry;
using imgspec::plan::EntryType;
using imgspec::plan::Manifest;
using imgspec::test::FakeProgress;

namespace {

// Files on both sides of the writer's 256 KiB chunk (the larger ones are re-hashed on a second
// thread), a folder, a symlink and a generated Dockerfile.
Manifest make_manifest(const imgspec::test::TempDir& dir) {
    Manifest m;
    dir.write("ctx/small.txt", "hello\n");
    dir.write("ctx/empty.txt", "");
    dir.write("ctx/big.bin", std::string((1u << 20) + 4097, 'x'));
    fs::create_symlink("small.txt", dir.path() / "ctx/link");
    for (const char* p : {"ctx", "ctx/big.bin", "ctx/empty.txt", "ctx/link", "ctx/small.txt"}) {
        m.entries.push_back(imgspec::plan::stat_entry(dir.path() / p, p));
    }
    Entry dockerfile;
    dockerfile.path = "Dockerfile";
    dockerfile.content = "FROM scratch\nCOPY ctx /ctx\n";
    m.entries.push_back(dockerfile);
    imgspec::plan::hash_entries(m.entries, 1);
    std::sort(m.entries.begin(), m.entries.end(),
              [](const Entry& a, const Entry& b) { return a.path < b.path; });
    return m;
}

std::string tar_with(const Manifest& m, imgspec::util::Progress* progress,
                     imgspec::context::TarStats* stats = nullptr) {
    TarOptions options;
    options.progress = progress;
    std::string out;
    auto s = write_tar(m, options, [&](const void* data, std::size_t size) {
        out.append(static_cast<const char*>(data), size);
    });
    if (stats != nullptr) {
        *stats = s;
    }
    return out;
}

} // namespace

TEST(TarProgress, TotalsAndAdvancesAreTheContextsFiles) {
    imgspec::test::TempDir dir;
    Manifest m = make_manifest(dir);
    std::uint64_t files = 0;
    std::uint64_t bytes = 0;
    for (const Entry& e : m.entries) {
        if (e.type == EntryType::file) {
            ++files;
            bytes += e.size;
        }
    }
    ASSERT_EQ(files, 4u);

    FakeProgress progress;
    imgspec::context::TarStats stats;
    std::string with = tar_with(m, &progress, &stats);
    ASSERT_NO_FATAL_FAILURE(
        imgspec::test::expect_one_whole_phase(progress, "sending context", files, bytes));
    auto phases = progress.phases();
    EXPECT_EQ(phases[0].total_files, stats.files);
    EXPECT_GT(phases[0].advances, 8) << "the 1 MiB file advances per chunk";
    EXPECT_FALSE(phases[0].advanced_after_end);
    EXPECT_EQ(progress.stray(), 0);

    EXPECT_EQ(with, tar_with(m, nullptr)) << "a Progress must not change the archive";
}

TEST(TarProgress, TheLabelIsTheCallers) {
    imgspec::test::TempDir dir;
    Manifest m = make_manifest(dir);
    FakeProgress progress;
    TarOptions options;
    options.progress = &progress;
    options.progress_what = "writing context";
    write_tar(m, options, [](const void*, std::size_t) {});
    ASSERT_EQ(progress.phases().size(), 1u);
    EXPECT_EQ(progress.phases()[0].what, "writing context");
}

TEST(TarProgress, AFailureStillEnds) {
    imgspec::test::TempDir dir;
    Manifest m = make_manifest(dir);
    dir.write("ctx/small.txt", "changed after the tag was computed\n");
    FakeProgress progress;
    EXPECT_THROW(tar_with(m, &progress), Error);
    auto phases = progress.phases();
    ASSERT_EQ(phases.size(), 1u);
    EXPECT_EQ(phases[0].ends, 1);
    EXPECT_LT(phases[0].files, phases[0].total_files);
}

TEST(TarProgress, ASinkFailureStillEnds) {
    imgspec::test::TempDir dir;
    Manifest m = make_manifest(dir);
    FakeProgress progress;
    TarOptions options;
    options.progress = &progress;
    EXPECT_THROW(
        write_tar(m, options, [](const void*, std::size_t) { throw std::runtime_error("pipe"); }),
        std::runtime_error);
    ASSERT_EQ(progress.phases().size(), 1u);
    EXPECT_EQ(progress.phases()[0].ends, 1);
}
