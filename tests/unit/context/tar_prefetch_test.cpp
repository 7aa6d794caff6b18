// The tar writer reads files on a second thread, ahead of the writing, in batches of 256 KiB (at
// most 1024 files each, 8 batches in flight): the bytes are the same as for the files given as
// content, a file changed while the writer is far behind the reader is still caught, a failure of
// the reader surfaces with its own message at its own file, and no thread outlives write_tar.

#include <imgspec/context/tar_writer.hpp>
#include <imgspec/plan/walk.hpp>
#include <imgspec/util/sha256.hpp>

#include "unit/context/tar_capture.hpp"
#include "unit/test_util.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>

namespace fs = std::filesystem;
using imgspec::context::write_tar;
using imgspec::plan::Manifest;
namespace test = imgspec::test;
using imgspec::test::pattern;

namespace {

std::string name_of(std::size_t i) {
    std::string digits = std::to_string(i);
    return "f" + std::string(5 - digits.size(), '0') + digits;
}

// Files named f00000, f00001, ... with the given sizes, hashed.
Manifest make_files(const test::TempDir& dir, const std::vector<std::size_t>& sizes) {
    Manifest m;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        std::string name = name_of(i);
        fs::path p = dir.write(name, pattern(sizes[i], static_cast<unsigned>(i)));
        m.entries.push_back(imgspec::plan::stat_entry(p, name));
    }
    imgspec::plan::hash_entries(m.entries, 2);
    return m;
}

// The same manifest with every file given as content: written without the reader.
Manifest as_content(Manifest m) {
    for (auto& e : m.entries) {
        e.content = test::read_file(e.source);
        e.source.clear();
    }
    return m;
}

std::size_t thread_count() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& t : fs::directory_iterator("/proc/self/task")) {
        ++n;
    }
    return n;
}

// Whether the process is back to at most `n` threads. A joined thread may stay listed in
// /proc/self/task for a moment after join() returns, so this waits up to 2 s.
bool threads_back_to(std::size_t n) {
    for (int i = 0; i < 200 && thread_count() > n; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return thread_count() <= n;
}

// A failed stream is the start of the complete one, then one 512-byte block that is not tar.
void expect_cut_prefix(const test::TarResult& failed, const std::string& complete) {
    ASSERT_GE(failed.bytes.size(), 512u);
    std::size_t sent = failed.bytes.size() - 512;
    EXPECT_EQ(sent % 512, 0u);
    EXPECT_EQ(failed.bytes.substr(0, sent), complete.substr(0, sent));
    EXPECT_NE(failed.bytes.substr(sent), std::string(512, '\0'));
}

// 40 files of 128 KiB: 5 MiB, more than the reader may hold ahead of the writer (2 MiB), then
// the file the tests change.
std::vector<std::size_t> ahead_sizes() {
    std::vector<std::size_t> sizes(40, 128 * 1024);
    sizes.push_back(1000);
    sizes.push_back(7);
    return sizes;
}

} // namespace

TEST(TarPrefetch, ManyFilesAcrossBatchesGiveTheBytesOfTheContent) {
    test::TempDir dir;
    // Small files, a run of empty ones longer than a batch holds, files across batch ends, and
    // files of several batches.
    std::vector<std::size_t> sizes;
    for (std::size_t i = 0; i < 1500; ++i) {
        sizes.push_back(i % 7 == 0 ? 0 : (i * 37) % 4097);
    }
    sizes.insert(sizes.end(), 2500, 0);
    for (std::size_t s : {300000, 1, 262144, 262143, 262145, 1048577, 5}) {
        sizes.push_back(s);
    }
    Manifest m = make_files(dir, sizes);
    test::TarResult expected = test::capture_tar(as_content(m));
    ASSERT_EQ(expected.error, "");

    test::TarResult hashed = test::capture_tar(m);
    EXPECT_EQ(hashed.error, "");
    EXPECT_TRUE(hashed.bytes == expected.bytes);

    for (auto& e : m.entries) {
        struct stat st {};
        ASSERT_EQ(::stat(e.source.c_str(), &st), 0);
        e.trusted_stat = imgspec::plan::FileStat::from(st);
    }
    test::TarResult trusted = test::capture_tar(m);
    EXPECT_EQ(trusted.error, "");
    EXPECT_TRUE(trusted.bytes == expected.bytes);
}

TEST(TarPrefetch, FileChangedWhileTheWriterIsBehindIsCaught) {
    test::TempDir dir;
    Manifest m = make_files(dir, ahead_sizes());
    std::string complete = test::capture_tar(m).bytes;
    const std::string& changed = m.entries[40].source;

    // The first output block goes out while the writer is in the first file: the reader is at
    // most 2 MiB ahead, far from file 40, so it reads the new bytes and must refuse them. The
    // pause lets it run ahead as far as it may: a reader with no bound would have read file 40.
    bool done = false;
    test::TarResult r = test::capture_tar(m, [&] {
        if (!done) {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            dir.write(m.entries[40].path, pattern(1000, 99));
            done = true;
        }
    });
    EXPECT_EQ(r.error, changed + " changed while the build context was written (its content no "
                                 "longer matches the hash in the image tag)");
    expect_cut_prefix(r, complete);
    // Every byte of the 40 files before it went out.
    EXPECT_GT(r.bytes.size(), 40u * (128 * 1024 + 512) - 65536);
}

TEST(TarPrefetch, ReaderFailureSurfacesAtItsFileAndStopsTheThread) {
    const std::size_t threads = thread_count();
    test::TempDir dir;
    Manifest m = make_files(dir, ahead_sizes());
    std::string complete = test::capture_tar(m).bytes;

    bool done = false;
    test::TarResult r = test::capture_tar(m, [&] {
        if (!done) {
            fs::remove(m.entries[40].source);
            done = true;
        }
    });
    EXPECT_EQ(r.error, m.entries[40].source +
                           " changed while the build context was written (it was deleted)");
    expect_cut_prefix(r, complete);
    EXPECT_TRUE(threads_back_to(threads));
}

TEST(TarPrefetch, SinkFailureWhileTheReaderWaitsDoesNotHang) {
    const std::size_t threads = thread_count();
    test::TempDir dir;
    Manifest m = make_files(dir, ahead_sizes());
    struct SinkGone {};
    // The reader has filled every batch and waits for one to be freed when the sink throws.
    EXPECT_THROW(write_tar(m, {}, [](const void*, std::size_t) { throw SinkGone{}; }), SinkGone);
    EXPECT_TRUE(threads_back_to(threads));
}

TEST(TarPrefetch, EmptyAndContentOnlyManifestsNeedNoFiles) {
    Manifest m;
    EXPECT_EQ(test::capture_tar(m).bytes, std::string(1024, '\0'));

    imgspec::plan::Entry e;
    e.path = "gen";
    e.content = "generated\n";
    e.size = e.content.size();
    e.digest = imgspec::util::sha256(e.content);
    m.entries.push_back(e);
    test::TarResult r = test::capture_tar(m);
    EXPECT_EQ(r.error, "");
    EXPECT_EQ(r.bytes.size(), 512u + 512u + 1024u);
}
