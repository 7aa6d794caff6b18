// The tar writer's cheaper proof that a file did not change since its digest was taken: when the
// entry carries a trusted stat (a stat cache hit, or a digest read in this run from a file that
// was not racily clean) and the open file's fstat equals it before and after the copy, the file
// is not hashed again. Anything else takes the full re-hash.

#include <imgspec/context/tar_writer.hpp>
#include <imgspec/core/error.hpp>
#include <imgspec/plan/stat_cache.hpp>
#include <imgspec/plan/walk.hpp>

#include "unit/test_util.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>

namespace fs = std::filesystem;
using imgspec::Error;
using imgspec::ErrorKind;
using imgspec::context::write_tar;
using imgspec::plan::Digest;
using imgspec::plan::FileStat;
using imgspec::plan::Manifest;
using imgspec::plan::StatCache;
namespace test = imgspec::test;
using imgspec::test::pattern;

namespace {

FileStat stat_of(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0);
    return FileStat::from(st);
}

// Sizes on both sides of the writer's 256 KiB chunk.
const std::vector<std::size_t> sizes = {0, 1, 4096, 262144, 262145, (3 << 20) + 5};

Manifest manifest_of(const fs::path& root) {
    Manifest m;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        std::string name = "f" + std::to_string(i);
        m.entries.push_back(imgspec::plan::stat_entry(root / name, name));
    }
    imgspec::plan::hash_entries(m.entries, 2);
    return m;
}

void write_files(test::TempDir& dir) {
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        dir.write("f" + std::to_string(i), pattern(sizes[i], static_cast<unsigned>(i)));
    }
}

struct Result {
    std::string bytes;
    std::string error; // empty when write_tar succeeded
};

Result tar_of(const Manifest& m) {
    Result r;
    try {
        write_tar(m, {}, [&](const void* d, std::size_t n) {
            r.bytes.append(static_cast<const char*>(d), n);
        });
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::other);
        r.error = e.what();
    }
    return r;
}

bool ends_with_end_marker(const std::string& tar) {
    return tar.size() >= 1024 && tar.substr(tar.size() - 1024) == std::string(1024, '\0');
}

} // namespace

TEST(TarTrustedStat, MatchingStatIsNotHashedAgainAndGivesTheSameBytes) {
    test::TempDir dir;
    write_files(dir);
    Manifest m = manifest_of(dir.path());
    Result hashed = tar_of(m);
    ASSERT_EQ(hashed.error, "");

    // A wrong digest that is never looked at: the matching stat is the proof.
    for (auto& e : m.entries) {
        e.trusted_stat = stat_of(e.source);
        e.digest[0] ^= 1;
    }
    Result trusted = tar_of(m);
    EXPECT_EQ(trusted.error, "");
    EXPECT_EQ(trusted.bytes, hashed.bytes);
}

TEST(TarTrustedStat, RewriteWithTheSameSizeAndMtimeIsCaughtByCtime) {
    for (std::size_t which : {std::size_t{2}, std::size_t{5}}) {
        test::TempDir dir;
        write_files(dir);
        Manifest m = manifest_of(dir.path());
        for (auto& e : m.entries) {
            e.trusted_stat = stat_of(e.source);
        }
        // Same size, one byte different, mtime put back: only ctime tells.
        fs::path f = dir.path() / ("f" + std::to_string(which));
        struct stat before {};
        ASSERT_EQ(::stat(f.c_str(), &before), 0);
        std::string changed = pattern(sizes[which], static_cast<unsigned>(which));
        changed[changed.size() / 2] ^= 0x40;
        dir.write("f" + std::to_string(which), changed);
        const struct timespec times[2] = {before.st_atim, before.st_mtim};
        ASSERT_EQ(::utimensat(AT_FDCWD, f.c_str(), times, 0), 0);
        ASSERT_EQ(stat_of(f).mtime_ns, FileStat::from(before).mtime_ns);
        ASSERT_EQ(stat_of(f).size, FileStat::from(before).size);

        Result r = tar_of(m);
        EXPECT_NE(r.error.find("changed while the build context was written"), std::string::npos)
            << r.error;
        EXPECT_FALSE(ends_with_end_marker(r.bytes)) << "the stream looks complete";
    }
}

TEST(TarTrustedStat, RacilyCleanDigestGetsNoTrustedStatAndIsHashedAgain) {
    test::TempDir dir;
    write_files(dir);
    auto planned = [&](std::int64_t run_start) {
        Manifest m;
        for (std::size_t i = 0; i < sizes.size(); ++i) {
            std::string name = "f" + std::to_string(i);
            m.entries.push_back(imgspec::plan::stat_entry(dir.path() / name, name));
        }
        StatCache cache(dir.path() / "cache", run_start);
        imgspec::plan::hash_pending(m.entries, 2, &cache);
        return m;
    };

    // Files written just now are racily clean for a run that starts now: no trusted stat, so a
    // wrong digest is found by the re-hash.
    Manifest racy = planned(StatCache::now_ns());
    for (auto& e : racy.entries) {
        EXPECT_FALSE(e.trusted_stat.has_value()) << e.path;
    }
    Result hashed = tar_of(racy);
    ASSERT_EQ(hashed.error, "");
    racy.entries[4].digest[0] ^= 1;
    Result r = tar_of(racy);
    EXPECT_NE(r.error.find("f4 changed while the build context was written"), std::string::npos)
        << r.error;
    EXPECT_FALSE(ends_with_end_marker(r.bytes));

    // For a run that started well after the files were written they are settled: the stat taken
    // before the read is kept, and the tar is the same.
    Manifest settled = planned(StatCache::now_ns() + 10 * StatCache::racy_margin_ns);
    for (auto& e : settled.entries) {
        ASSERT_TRUE(e.trusted_stat.has_value()) << e.path;
        EXPECT_EQ(*e.trusted_stat, stat_of(e.source));
    }
    Result trusted = tar_of(settled);
    EXPECT_EQ(trusted.error, "");
    EXPECT_EQ(trusted.bytes, hashed.bytes);
}

TEST(TarTrustedStat, FileThatGrewOrShrankAfterAMatchingStatFails) {
    test::TempDir dir;
    write_files(dir);
    Manifest m = manifest_of(dir.path());
    for (auto& e : m.entries) {
        e.trusted_stat = stat_of(e.source);
    }
    // The stat no longer matches at open: the full re-hash path reports the size.
    dir.write("f3", pattern(sizes[3] + 10, 3));
    Result r = tar_of(m);
    EXPECT_NE(r.error.find("f3 changed while the build context was written"), std::string::npos)
        << r.error;
    EXPECT_FALSE(ends_with_end_marker(r.bytes));
}
