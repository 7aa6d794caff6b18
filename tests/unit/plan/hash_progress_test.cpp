// Hashing tells a Progress what it reads: one "hashing" phase whose totals are the files to read
// and their bytes, advances that add up to them (from every hashing thread), and end() on success
// and on failure.

#include <imgspec/core/error.hpp>
#include <imgspec/pipeline/pipeline.hpp>
#include <imgspec/plan/plan.hpp>
#include <imgspec/plan/stat_cache.hpp>
#include <imgspec/plan/walk.hpp>

#include "unit/fake_progress.hpp"
#include "unit/test_util.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using imgspec::Error;
using imgspec::plan::Entry;
using imgspec::plan::EntryType;
using imgspec::test::FakeProgress;

namespace {

// `n` files of different sizes (one larger than the 1 MiB read buffer), a folder and a generated
// entry; `bytes` gets the files' total size.
std::vector<Entry> some_entries(const imgspec::test::TempDir& dir, unsigned n,
                                std::uint64_t& bytes) {
    std::vector<Entry> entries;
    bytes = 0;
    fs::create_directory(dir.path() / "sub");
    entries.push_back(imgspec::plan::stat_entry(dir.path() / "sub", "sub"));
    for (unsigned i = 0; i < n; ++i) {
        std::string content(i == 3 ? (3u << 20) + 17 : i * 1000u + 1,
                            static_cast<char>('a' + i % 26));
        fs::path p = dir.write("f" + std::to_string(i), content);
        entries.push_back(imgspec::plan::stat_entry(p, p.filename().string()));
        bytes += content.size();
    }
    Entry generated;
    generated.path = "Dockerfile";
    generated.content = "FROM scratch\n";
    entries.push_back(generated);
    bytes += generated.content.size();
    return entries;
}

} // namespace

TEST(HashProgress, TotalsAndAdvancesMatchTheFilesRead) {
    imgspec::test::TempDir dir;
    std::uint64_t bytes = 0;
    const std::vector<Entry> entries = some_entries(dir, 12, bytes);
    for (unsigned threads : {1u, 4u}) {
        FakeProgress progress;
        std::vector<Entry> copy = entries;
        imgspec::plan::hash_entries(copy, threads, &progress);
        SCOPED_TRACE(threads);
        // 12 files and the generated one.
        ASSERT_NO_FATAL_FAILURE(
            imgspec::test::expect_one_whole_phase(progress, "hashing", 13u, bytes));
        auto phases = progress.phases();
        EXPECT_GT(phases[0].advances, 13) << "the 3 MiB file advances per chunk";
        EXPECT_FALSE(phases[0].advanced_after_end);
        EXPECT_EQ(progress.stray(), 0);
    }
}

TEST(HashProgress, NothingToReadShowsNoPhase) {
    FakeProgress progress;
    std::vector<Entry> none;
    imgspec::plan::hash_entries(none, 2, &progress);
    EXPECT_TRUE(progress.phases().empty());
}

TEST(HashProgress, AFailureStillEnds) {
    imgspec::test::TempDir dir;
    std::uint64_t bytes = 0;
    const std::vector<Entry> entries = some_entries(dir, 8, bytes);
    fs::remove(dir.path() / "f5");
    for (unsigned threads : {1u, 4u}) {
        FakeProgress progress;
        std::vector<Entry> copy = entries;
        EXPECT_THROW(imgspec::plan::hash_entries(copy, threads, &progress), Error);
        auto phases = progress.phases();
        ASSERT_EQ(phases.size(), 1u);
        EXPECT_EQ(phases[0].ends, 1) << threads;
        EXPECT_LT(phases[0].files, phases[0].total_files);
        EXPECT_FALSE(phases[0].advanced_after_end);
    }
}

TEST(HashProgress, PlanReportsTheContextsFiles) {
    imgspec::test::TempDir dir;
    fs::path spec = dir.write("spec.yaml", "name: app\n"
                                           "from:\n  base: python:3.12-slim\n"
                                           "layers:\n  - source_folder: {src: src, dst: /app}\n");
    dir.write("src/a.py", "print(1)\n");
    dir.write("src/pkg/b.py", std::string(200000, 'b'));
    dir.write("src/pkg/c.txt", "");

    imgspec::plan::PlanOptions options;
    options.cache_dir = dir / "cache";
    options.hash_threads = 2;
    // A cache file with a record of another file: the walk stats every file for its lookups, so
    // the byte total is known before any is read.
    {
        using imgspec::plan::StatCache;
        std::int64_t now = StatCache::now_ns();
        imgspec::plan::FileStat old;
        old.size = 1;
        old.mtime_ns = old.ctime_ns = now - 3'600'000'000'000;
        StatCache other(StatCache::file_for(options.cache_dir, spec), now);
        ASSERT_TRUE(other.record("/elsewhere", old, imgspec::plan::Digest{1}));
        other.save();
    }
    FakeProgress progress;
    options.progress = &progress;
    imgspec::plan::Plan plan =
        imgspec::plan::plan_file(spec, imgspec::test::test_config(), options);

    std::uint64_t files = 0;
    std::uint64_t bytes = 0;
    for (const Entry& e : plan.files.entries) {
        if (e.type == EntryType::file) {
            ++files;
            bytes += e.size;
        }
    }
    ASSERT_EQ(files, 3u);
    ASSERT_NO_FATAL_FAILURE(
        imgspec::test::expect_one_whole_phase(progress, "hashing", files, bytes));

    // With --no-cache, or no cache file yet, files are stat'ed only when they are read: no byte
    // total up front, the same files and bytes as they go.
    for (bool use_cache : {false, true}) {
        options.use_cache = use_cache;
        options.cache_dir = dir / ("empty-cache-" + std::to_string(use_cache));
        FakeProgress unstated;
        options.progress = &unstated;
        imgspec::plan::Plan again =
            imgspec::plan::plan_file(spec, imgspec::test::test_config(), options);
        auto phases = unstated.phases();
        ASSERT_EQ(phases.size(), 1u);
        EXPECT_EQ(phases[0].total_files, files);
        EXPECT_EQ(phases[0].total_bytes, 0u);
        EXPECT_EQ(phases[0].files, files);
        EXPECT_EQ(phases[0].bytes, bytes);
        ASSERT_EQ(again.files.entries.size(), plan.files.entries.size());
        for (std::size_t i = 0; i < plan.files.entries.size(); ++i) {
            EXPECT_EQ(again.files.entries[i].mode, plan.files.entries[i].mode);
            EXPECT_EQ(again.files.entries[i].size, plan.files.entries[i].size);
            EXPECT_EQ(again.files.entries[i].digest, plan.files.entries[i].digest);
        }
    }
}

TEST(HashProgress, DigestsFromTheStatCacheAreNotCounted) {
    imgspec::test::TempDir dir;
    std::uint64_t bytes = 0;
    std::vector<Entry> entries = some_entries(dir, 6, bytes);
    // As if the stat cache had given f0 and f3 their digests: hash_pending does not read them.
    for (Entry& e : entries) {
        if (e.path == "f0" || e.path == "f3") {
            e.digest[0] = 1;
            bytes -= e.size;
        }
    }
    FakeProgress progress;
    imgspec::plan::hash_pending(entries, 2, nullptr, &progress);
    // f1 f2 f4 f5 and the generated file.
    ASSERT_NO_FATAL_FAILURE(imgspec::test::expect_one_whole_phase(progress, "hashing", 5u, bytes));

    FakeProgress again;
    imgspec::plan::hash_pending(entries, 2, nullptr, &again); // every digest is set now
    EXPECT_TRUE(again.phases().empty());
}
