#include <imgspec/pipeline/pipeline.hpp>
#include <imgspec/plan/plan.hpp>
#include <imgspec/plan/stat_cache.hpp>
#include <imgspec/plan/tag.hpp>
#include <imgspec/util/sha256.hpp>

#include "unit/test_util.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;
using imgspec::plan::Digest;
using imgspec::plan::FileStat;
using imgspec::plan::StatCache;
namespace test = imgspec::test;

namespace {

constexpr std::int64_t second = 1'000'000'000;

// Stat data of a file last written an hour before `now`: not racily clean.
FileStat old_stat(std::int64_t now, std::uint64_t ino, std::uint64_t size = 10) {
    FileStat st;
    st.size = size;
    st.mtime_ns = now - 3600 * second;
    st.ctime_ns = now - 3600 * second;
    st.ino = ino;
    st.dev = 42;
    return st;
}

Digest digest_of(const std::string& s) {
    return imgspec::util::sha256(s);
}

FileStat stat_of(const fs::path& p) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) {
        throw std::runtime_error("lstat " + p.string());
    }
    return FileStat::from(st);
}

std::size_t temp_files_in(const fs::path& dir) {
    std::size_t n = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        n += e.path().filename().string().find(".tmp.") != std::string::npos ? 1 : 0;
    }
    return n;
}

const char* spec_text = "name: app\n"
                        "from:\n  base: python:3.12-slim\n"
                        "layers:\n  - source_folder: {src: src, dst: /app/src}\n";

std::string tag_with(const fs::path& spec, const fs::path& cache_dir, bool use_cache) {
    imgspec::plan::PlanOptions o;
    o.cache_dir = cache_dir;
    o.use_cache = use_cache;
    return imgspec::pipeline::resolve_image(spec, test::test_config(), o).tag;
}

} // namespace

TEST(StatCache, RecordsSurviveASaveAndMatchOnlyTheSameStat) {
    test::TempDir dir;
    fs::path file = dir / "cache";
    std::int64_t now = StatCache::now_ns();
    {
        StatCache c(file, now);
        c.load();
        EXPECT_EQ(c.loaded_count(), 0u);
        c.record("/src/a", old_stat(now, 1), digest_of("a"));
        c.record("/src/b", old_stat(now, 2), digest_of("b"));
        c.save();
    }
    StatCache c(file, now + second);
    c.load();
    EXPECT_EQ(c.loaded_count(), 2u);
    EXPECT_EQ(c.lookup("/src/a", old_stat(now, 1)), digest_of("a"));
    EXPECT_EQ(c.lookup("/src/b", old_stat(now, 2)), digest_of("b"));
    EXPECT_FALSE(c.lookup("/src/c", old_stat(now, 1))); // another path

    // Any field that differs means the content may differ.
    FileStat st = old_stat(now, 1);
    for (int field = 0; field < 5; ++field) {
        FileStat changed = st;
        switch (field) {
        case 0:
            changed.size += 1;
            break;
        case 1:
            changed.mtime_ns += 1;
            break;
        case 2:
            changed.ctime_ns += 1;
            break;
        case 3:
            changed.ino += 100;
            break;
        case 4:
            changed.dev += 1;
            break;
        }
        EXPECT_FALSE(c.lookup("/src/a", changed)) << "field " << field;
    }
    EXPECT_EQ(c.hits(), 2u);
}

TEST(StatCache, ManyRecordsAreFoundAgain) {
    test::TempDir dir;
    std::int64_t now = StatCache::now_ns();
    constexpr int n = 5000;
    {
        StatCache c(dir / "cache", now);
        for (int i = 0; i < n; ++i) {
            c.record("/tree/f" + std::to_string(i), old_stat(now, 1000 + i),
                     digest_of(std::to_string(i)));
        }
        c.save();
    }
    StatCache c(dir / "cache", now);
    c.load();
    ASSERT_EQ(c.loaded_count(), std::size_t{n});
    for (int i = 0; i < n; ++i) {
        ASSERT_EQ(c.lookup("/tree/f" + std::to_string(i), old_stat(now, 1000 + i)),
                  digest_of(std::to_string(i)))
            << i;
    }
}

// The race the cache must not lose: a file read at time T and written again within the same
// timestamp tick keeps the stat data recorded with the old digest. Such a record is never kept,
// so the next run reads the file again.
TEST(StatCache, RacilyCleanFileIsHashedAgain) {
    test::TempDir dir;
    std::int64_t run_start = StatCache::now_ns();
    FileStat racy = old_stat(run_start, 7);
    racy.mtime_ns = run_start - 1'000'000; // written 1 ms before the run started
    FileStat racy_ctime = old_stat(run_start, 8);
    racy_ctime.ctime_ns = run_start + 5'000'000; // chmod'ed during the run
    FileStat settled = old_stat(run_start, 9);
    settled.mtime_ns = settled.ctime_ns = run_start - StatCache::racy_margin_ns - 1;

    EXPECT_TRUE(StatCache::racily_clean(racy, run_start));
    EXPECT_TRUE(StatCache::racily_clean(racy_ctime, run_start));
    EXPECT_FALSE(StatCache::racily_clean(settled, run_start));
    {
        StatCache c(dir / "cache", run_start);
        c.record("/src/racy", racy, digest_of("v1"));
        c.record("/src/racy_ctime", racy_ctime, digest_of("v1"));
        c.record("/src/settled", settled, digest_of("s"));
        c.save();
    }
    // Next run, an hour later: the racy files were rewritten ("v2") with identical stat data.
    StatCache c(dir / "cache", run_start + 3600 * second);
    c.load();
    EXPECT_EQ(c.loaded_count(), 1u);
    EXPECT_FALSE(c.lookup("/src/racy", racy));
    EXPECT_FALSE(c.lookup("/src/racy_ctime", racy_ctime));
    EXPECT_EQ(c.lookup("/src/settled", settled), digest_of("s"));
}

// The same race through a whole plan: rewrite a file right after a run, with the same size, and
// put its mtime back. The tag must follow the new content.
TEST(StatCache, PlanOfARewrittenFileWithTheSameStatGivesTheNewTag) {
    test::TempDir dir;
    test::TempDir cache;
    fs::path spec = dir.write("spec.yaml", spec_text);
    fs::path f = dir.write("src/app.py", "print(1)\n");
    std::string first = tag_with(spec, cache.path(), true);

    struct stat before {};
    ASSERT_EQ(::stat(f.c_str(), &before), 0);
    dir.write("src/app.py", "print(2)\n");
    struct timespec times[2] = {before.st_atim, before.st_mtim};
    ASSERT_EQ(::utimensat(AT_FDCWD, f.c_str(), times, 0), 0);
    ASSERT_EQ(stat_of(f).mtime_ns, FileStat::from(before).mtime_ns);

    std::string second_tag = tag_with(spec, cache.path(), true);
    EXPECT_NE(second_tag, first);
    EXPECT_EQ(second_tag, tag_with(spec, cache.path(), false));
}

TEST(StatCache, PlanWithAndWithoutTheCacheGivesOneTag) {
    test::TempDir dir;
    test::TempDir cache;
    fs::path spec = dir.write("spec.yaml", spec_text);
    for (int i = 0; i < 50; ++i) {
        dir.write("src/m" + std::to_string(i) + ".py",
                  std::string(static_cast<std::size_t>(i * 37), 'x'));
    }
    std::string no_cache = tag_with(spec, cache.path(), false);
    EXPECT_FALSE(fs::exists(cache / "stat")) << "--no-cache wrote a cache";
    EXPECT_EQ(tag_with(spec, cache.path(), true), no_cache); // files too new: not recorded

    // Once the files are older than the racy margin, the cache is written, then used.
    std::this_thread::sleep_for(std::chrono::nanoseconds(StatCache::racy_margin_ns) +
                                std::chrono::milliseconds(200));
    EXPECT_EQ(tag_with(spec, cache.path(), true), no_cache);
    fs::path file = StatCache::file_for(cache.path(), spec);
    {
        StatCache c(file, StatCache::now_ns());
        c.load();
        EXPECT_EQ(c.loaded_count(), 50u);
    }
    EXPECT_EQ(tag_with(spec, cache.path(), true), no_cache);
    dir.write("src/m3.py", "changed");
    std::string changed = tag_with(spec, cache.path(), true);
    EXPECT_NE(changed, no_cache);
    EXPECT_EQ(changed, tag_with(spec, cache.path(), false));
}

TEST(StatCache, CorruptFilesAreIgnored) {
    test::TempDir dir;
    fs::path file = dir / "cache";
    std::int64_t now = StatCache::now_ns();
    {
        StatCache c(file, now);
        for (int i = 0; i < 100; ++i) {
            c.record("/f" + std::to_string(i), old_stat(now, 10 + i), digest_of(std::to_string(i)));
        }
        c.save();
    }
    const std::string good = test::read_file(file);
    ASSERT_GT(good.size(), 100u * 80u);

    auto loads_empty = [&](const std::string& bytes, const char* what) {
        std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
        StatCache c(file, now);
        c.load();
        EXPECT_EQ(c.loaded_count(), 0u) << what;
        EXPECT_FALSE(c.lookup("/f1", old_stat(now, 11))) << what;
    };
    std::string flipped = good;
    flipped[40 + 80 * 50 + 20] ^= 0x01; // one bit of one record's mtime
    loads_empty(flipped, "a flipped bit");
    loads_empty(good.substr(0, good.size() - 1), "truncated by one byte");
    loads_empty(good.substr(0, 40 + 80 * 3), "truncated mid-file");
    loads_empty(good + "x", "padded");
    loads_empty("", "empty");
    loads_empty(std::string(5000, '\xff'), "garbage");
    std::string huge_count = good;
    huge_count[16] = '\xff';
    huge_count[23] = '\x7f';
    loads_empty(huge_count, "a count larger than the file");
    std::string other_magic = good;
    other_magic[0] = 'X';
    loads_empty(other_magic, "another format");

    // A damaged cache never changes a tag, and is replaced by a good one.
    test::TempDir project;
    test::TempDir cache;
    fs::path spec = project.write("spec.yaml", spec_text);
    project.write("src/app.py", "print(1)\n");
    std::string expected = tag_with(spec, cache.path(), false);
    fs::path cache_file = StatCache::file_for(cache.path(), spec);
    fs::create_directories(cache_file.parent_path());
    std::ofstream(cache_file, std::ios::binary) << flipped;
    EXPECT_EQ(tag_with(spec, cache.path(), true), expected);
}

// Runs that save at once each replace the file whole: a reader sees one complete version or
// another, never a mix or a partial file, and no temp file stays behind.
TEST(StatCache, ConcurrentWritersReplaceTheFileWhole) {
    test::TempDir dir;
    fs::path file = dir / "stat" / "cache";
    std::int64_t now = StatCache::now_ns();
    constexpr int writers = 4;
    constexpr int rounds = 40;
    {
        StatCache first(file, now);
        first.record("/seed", old_stat(now, 1), digest_of("seed"));
        first.save();
    }
    std::atomic<bool> done{false};
    std::atomic<int> bad{0};
    std::atomic<int> reads{0};
    std::vector<std::thread> threads;
    for (int w = 0; w < writers; ++w) {
        threads.emplace_back([&, w] {
            for (int r = 0; r < rounds; ++r) {
                StatCache c(file, now);
                c.load();
                // Writer w always writes 100 * (w + 1) records: a reader can tell the versions.
                for (int i = 0; i < 100 * (w + 1); ++i) {
                    c.record("/w" + std::to_string(w) + "/" + std::to_string(i),
                             old_stat(now, static_cast<std::uint64_t>(w * 100000 + i + r)),
                             digest_of(std::to_string(i)));
                }
                c.save();
            }
        });
    }
    threads.emplace_back([&] {
        while (!done.load()) {
            StatCache c(file, now);
            c.load();
            std::size_t n = c.loaded_count();
            // The writers look nothing up, so every saved file holds exactly one writer's
            // records (or the seed): a count in between is a torn or mixed file.
            bool ok = n == 1 || (n % 100 == 0 && n >= 100 && n <= 100 * writers);
            if (!ok) {
                ++bad;
            }
            ++reads;
        }
    });
    for (int w = 0; w < writers; ++w) {
        threads[static_cast<std::size_t>(w)].join();
    }
    done = true;
    threads.back().join();
    EXPECT_EQ(bad.load(), 0);
    EXPECT_GT(reads.load(), 0);
    EXPECT_EQ(temp_files_in(file.parent_path()), 0u);
    StatCache last(file, now);
    last.load();
    EXPECT_GT(last.loaded_count(), 0u);
}

TEST(StatCache, NothingChangedWritesNothing) {
    test::TempDir dir;
    fs::path file = dir / "cache";
    std::int64_t now = StatCache::now_ns();
    {
        StatCache c(file, now);
        c.record("/a", old_stat(now, 1), digest_of("a"));
        c.save();
    }
    struct stat before {};
    ASSERT_EQ(::stat(file.c_str(), &before), 0);
    {
        StatCache c(file, now);
        c.load();
        ASSERT_TRUE(c.lookup("/a", old_stat(now, 1)));
        c.save();
    }
    struct stat after {};
    ASSERT_EQ(::stat(file.c_str(), &after), 0);
    EXPECT_EQ(before.st_ino, after.st_ino) << "the file was replaced";
    {
        // A record not used this run is dropped: the file follows the spec's current files.
        StatCache c(file, now);
        c.load();
        c.save();
    }
    StatCache c(file, now);
    c.load();
    EXPECT_EQ(c.loaded_count(), 0u);
}

TEST(StatCache, AFileHashedTwiceIsRecordedOnce) {
    test::TempDir dir;
    std::int64_t now = StatCache::now_ns();
    {
        StatCache c(dir / "cache", now);
        EXPECT_FALSE(c.lookup("/same", old_stat(now, 1)));
        EXPECT_FALSE(c.lookup("/same", old_stat(now, 1)));
        c.record("/same", old_stat(now, 1), digest_of("x"));
        c.record("/same", old_stat(now, 1), digest_of("x"));
        c.save();
    }
    StatCache c(dir / "cache", now);
    c.load();
    EXPECT_EQ(c.loaded_count(), 1u);
}

TEST(StatCache, UnwritableFolderOnlyCostsTime) {
    test::TempDir dir;
    fs::path blocker = dir.write("file", "not a folder");
    std::int64_t now = StatCache::now_ns();
    StatCache c(blocker / "stat" / "cache", now);
    c.load();
    c.record("/a", old_stat(now, 1), digest_of("a"));
    EXPECT_NO_THROW(c.save());
}

TEST(StatCache, LivesInTheXdgCacheFolder) {
    const char* old_xdg = std::getenv("XDG_CACHE_HOME");
    const char* old_home = std::getenv("HOME");
    std::string saved_xdg = old_xdg ? old_xdg : "";
    std::string saved_home = old_home ? old_home : "";

    ::setenv("XDG_CACHE_HOME", "/x/cache", 1);
    ::setenv("HOME", "/home/u", 1);
    EXPECT_EQ(StatCache::default_dir(), fs::path("/x/cache/imgspec"));
    ::setenv("XDG_CACHE_HOME", "relative/cache", 1); // the XDG spec says to ignore it
    EXPECT_EQ(StatCache::default_dir(), fs::path("/home/u/.cache/imgspec"));
    ::unsetenv("XDG_CACHE_HOME");
    EXPECT_EQ(StatCache::default_dir(), fs::path("/home/u/.cache/imgspec"));
    ::unsetenv("HOME");
    EXPECT_EQ(StatCache::default_dir(), fs::path());

    if (old_xdg) {
        ::setenv("XDG_CACHE_HOME", saved_xdg.c_str(), 1);
    }
    if (old_home) {
        ::setenv("HOME", saved_home.c_str(), 1);
    }

    // One file per spec, named by its absolute path.
    fs::path a = StatCache::file_for("/c", "/p/a/spec.yaml");
    EXPECT_EQ(a.parent_path(), fs::path("/c/stat"));
    EXPECT_NE(a, StatCache::file_for("/c", "/p/b/spec.yaml"));
    EXPECT_EQ(a, StatCache::file_for("/c", "/p/a/./spec.yaml"));
}

TEST(StatCache, RecordsOutOfTheWalksOrderAreWrittenAgainInIt) {
    test::TempDir dir;
    std::int64_t now = StatCache::now_ns();
    fs::path file = dir / "cache";
    const int n = 64;
    {
        StatCache c(file, now);
        for (int i = 0; i < n; ++i) {
            c.record("/f" + std::to_string(i), old_stat(now, static_cast<std::uint64_t>(i)),
                     digest_of(std::to_string(i)));
        }
        c.save();
    }
    auto inode = [&] {
        struct stat st {};
        EXPECT_EQ(::stat(file.c_str(), &st), 0);
        return st.st_ino;
    };
    auto run = [&](bool reversed) {
        StatCache c(file, now);
        c.load();
        for (int k = 0; k < n; ++k) {
            int i = reversed ? n - 1 - k : k;
            EXPECT_EQ(
                c.lookup("/f" + std::to_string(i), old_stat(now, static_cast<std::uint64_t>(i))),
                digest_of(std::to_string(i)));
        }
        c.save();
    };
    // Records made without lookups are in no walk's order; the first run puts them in its own.
    run(false);
    // Found one after another in the file's order: nothing to write.
    auto first = inode();
    run(false);
    EXPECT_EQ(inode(), first);
    // All found, but in the reverse order: written again in that order...
    run(true);
    auto second = inode();
    EXPECT_NE(second, first) << "the file was not written again";
    // ...so that the same order next time is the file's own, and it is left alone.
    run(true);
    EXPECT_EQ(inode(), second);
}
