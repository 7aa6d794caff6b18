// The tar writer's re-hash of large files on a second thread (files over one 256 KiB chunk):
// same bytes as the inline path, and a change after hashing still fails before the end marker.

#include <imgspec/context/tar_writer.hpp>
#include <imgspec/core/error.hpp>
#include <imgspec/plan/walk.hpp>

#include "unit/test_util.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace fs = std::filesystem;
using imgspec::Error;
using imgspec::ErrorKind;
using imgspec::context::write_tar;
using imgspec::context::write_tar_to_fd;
using imgspec::plan::Manifest;
namespace test = imgspec::test;
using imgspec::test::pattern;

namespace {

// name -> content of every regular file in a ustar/pax archive; false when it does not end with
// the two zero blocks.
bool read_ustar(const std::string& tar, std::map<std::string, std::string>& files) {
    std::size_t at = 0;
    while (at + 512 <= tar.size()) {
        const char* h = tar.data() + at;
        if (std::string(h, 512) == std::string(512, '\0')) {
            return at + 1024 <= tar.size() && std::string(h + 512, 512) == std::string(512, '\0');
        }
        std::string name(h, strnlen(h, 100));
        std::size_t size = std::strtoull(std::string(h + 124, 12).c_str(), nullptr, 8);
        char type = h[156];
        at += 512;
        if (at + size > tar.size()) {
            return false;
        }
        if (type == '0' || type == '\0') {
            files[name] = tar.substr(at, size);
        }
        at += (size + 511) / 512 * 512;
    }
    return false;
}

Manifest manifest_of(const fs::path& root, const std::vector<std::string>& names) {
    Manifest m;
    for (const auto& n : names) {
        m.entries.push_back(imgspec::plan::stat_entry(root / n, n));
    }
    imgspec::plan::hash_entries(m.entries, 2);
    return m;
}

std::string tar_of(const Manifest& m) {
    std::string bytes;
    write_tar(m, {},
              [&](const void* d, std::size_t n) { bytes.append(static_cast<const char*>(d), n); });
    return bytes;
}

} // namespace

TEST(TarRehash, LargeAndSmallFilesRoundTrip) {
    test::TempDir dir;
    // Sizes around the chunk (256 KiB) and libarchive's block (64 KiB) boundaries.
    std::vector<std::size_t> sizes = {0,           1,       262143,        262144, 262145,
                                      65536 - 512, 3 << 20, (5 << 20) + 7, 100};
    std::vector<std::string> names;
    std::map<std::string, std::string> want;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        std::string name = "f" + std::to_string(i);
        want[name] = pattern(sizes[i], static_cast<unsigned>(i));
        dir.write(name, want[name]);
        names.push_back(name);
    }
    Manifest m = manifest_of(dir.path(), names);
    std::string bytes = tar_of(m);
    std::map<std::string, std::string> got;
    ASSERT_TRUE(read_ustar(bytes, got));
    EXPECT_EQ(got, want);
    EXPECT_EQ(tar_of(m), bytes); // deterministic
}

TEST(TarRehash, LargeFileChangedAfterHashingFailsWithoutAnEndMarker) {
    test::TempDir dir;
    std::vector<std::string> names;
    for (int i = 0; i < 6; ++i) {
        names.push_back("big" + std::to_string(i));
        dir.write(names.back(), pattern(std::size_t{1} << 20, static_cast<unsigned>(i)));
    }
    names.push_back("small");
    dir.write("small", "small\n");
    Manifest m = manifest_of(dir.path(), names);

    // Same size, one byte different, in the middle of the fourth file.
    std::string changed = pattern(std::size_t{1} << 20, 3);
    changed[600000] ^= 0x40;
    dir.write("big3", changed);

    std::string bytes;
    try {
        write_tar(m, {}, [&](const void* d, std::size_t n) {
            bytes.append(static_cast<const char*>(d), n);
        });
        FAIL() << "the change was not noticed";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::other);
        std::string what = e.what();
        EXPECT_NE(what.find("big3 changed while the build context was written"), std::string::npos)
            << what;
        EXPECT_FALSE(e.hint().empty());
    }
    std::map<std::string, std::string> got;
    EXPECT_FALSE(read_ustar(bytes, got)) << "the stream looks complete";
}

TEST(TarRehash, WritesToARegularFileAndToAPipeAlike) {
    test::TempDir dir;
    dir.write("a", pattern(3 << 20, 1));
    dir.write("b", pattern(1000, 2));
    Manifest m = manifest_of(dir.path(), {"a", "b"});
    std::string expected = tar_of(m);

    // A regular file, from its current offset on: the same bytes.
    fs::path out = dir / "out.tar";
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, "prefix", 6), 6); // written from the current offset on
    write_tar_to_fd(m, {}, fd);
    ::close(fd);
    EXPECT_EQ(test::read_file(out), "prefix" + expected);
}
