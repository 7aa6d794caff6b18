#include <imgspec/core/error.hpp>
#include <imgspec/plan/walk.hpp>
#include <imgspec/util/sha256.hpp>

#include "unit/test_util.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <stdexcept>
#include <string>
#include <vector>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace fs = std::filesystem;
using imgspec::Error;
using imgspec::ErrorKind;
using imgspec::plan::Entry;
using imgspec::plan::EntryType;
using imgspec::plan::hash_entries;
using imgspec::plan::hash_entry;
using imgspec::plan::stat_entry;
using imgspec::test::pattern;
using imgspec::test::TempDir;
using imgspec::test::write_file;

namespace {

void expect_refused(const fs::path& p, const std::string& kind) {
    try {
        stat_entry(p, "x");
        FAIL() << p << " was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::invalid_spec);
        EXPECT_EQ(std::string(e.what()),
                  p.string() + ": is " + kind +
                      "; only regular files, folders and symlinks can be copied");
    }
}

} // namespace

TEST(Walk, RegularFileModesAreNormalized) {
    TempDir dir;
    struct Case {
        unsigned disk;
        unsigned expected;
    };
    for (Case c : {Case{0644, 0644}, Case{0600, 0644}, Case{0444, 0644}, Case{0755, 0755},
                   Case{0700, 0755}, Case{0744, 0755}, Case{0654, 0644}, Case{0647, 0644}}) {
        fs::path p = dir.path() / ("f" + std::to_string(c.disk));
        write_file(p, "abc");
        ASSERT_EQ(::chmod(p.c_str(), c.disk), 0);
        Entry e = stat_entry(p, "sub/f");
        EXPECT_EQ(e.type, EntryType::file);
        EXPECT_EQ(e.mode, c.expected) << std::oct << c.disk;
        EXPECT_EQ(e.size, 3u);
        EXPECT_EQ(e.path, "sub/f");
        EXPECT_EQ(e.source, p);
        EXPECT_EQ(e.digest, imgspec::plan::Digest{}); // hash_entry's job
    }
}

TEST(Walk, DirectoryIs0755) {
    TempDir dir;
    fs::path d = dir.path() / "d";
    fs::create_directory(d);
    ASSERT_EQ(::chmod(d.c_str(), 0700), 0);
    Entry e = stat_entry(d, "d");
    EXPECT_EQ(e.type, EntryType::directory);
    EXPECT_EQ(e.mode, 0755u);
    EXPECT_EQ(e.size, 0u);
}

TEST(Walk, SymlinkIsNotFollowed) {
    TempDir dir;
    write_file(dir.path() / "target", "content");
    fs::create_symlink("target", dir.path() / "rel");
    fs::create_symlink("../nowhere/at/all", dir.path() / "dangling");
    std::string long_target = std::string(300, 'x') + "/" + std::string(200, 'y');
    fs::create_symlink(long_target, dir.path() / "long");

    Entry e = stat_entry(dir.path() / "rel", "rel");
    EXPECT_EQ(e.type, EntryType::symlink);
    EXPECT_EQ(e.mode, 0777u);
    EXPECT_EQ(e.link_target, "target");
    EXPECT_EQ(e.size, 0u);

    EXPECT_EQ(stat_entry(dir.path() / "dangling", "d").link_target, "../nowhere/at/all");
    EXPECT_EQ(stat_entry(dir.path() / "long", "l").link_target, long_target);
}

TEST(Walk, FifoIsRefused) {
    TempDir dir;
    fs::path p = dir.path() / "fifo";
    ASSERT_EQ(::mkfifo(p.c_str(), 0644), 0);
    expect_refused(p, "a FIFO");
}

TEST(Walk, SocketIsRefused) {
    TempDir dir;
    fs::path p = dir.path() / "sock";
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    ASSERT_LT(p.string().size(), sizeof addr.sun_path);
    std::strncpy(addr.sun_path, p.c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    expect_refused(p, "a socket");
    ::close(fd);
}

TEST(Walk, DeviceIsRefused) {
    if (!fs::exists("/dev/null")) {
        GTEST_SKIP() << "no /dev/null";
    }
    expect_refused("/dev/null", "a device");
}

TEST(Walk, MissingPathIsASpecError) {
    TempDir dir;
    try {
        stat_entry(dir.path() / "nope", "nope");
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::invalid_spec);
        EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos);
    }
}

TEST(Walk, HashEntryMatchesSha256AcrossBufferBoundaries) {
    TempDir dir;
    for (std::size_t size :
         {std::size_t{0}, std::size_t{1}, std::size_t{1} << 20, (std::size_t{3} << 20) + 17}) {
        fs::path p = dir.path() / ("f" + std::to_string(size));
        std::string content = pattern(size, static_cast<unsigned>(size));
        write_file(p, content);
        Entry e = stat_entry(p, "f");
        hash_entry(e);
        EXPECT_EQ(e.digest, imgspec::util::sha256(content)) << size;
    }
}

TEST(Walk, HashEntryOfGeneratedContent) {
    Entry e;
    e.path = "Dockerfile";
    e.content = "FROM scratch\n";
    hash_entry(e);
    EXPECT_EQ(e.size, e.content.size());
    EXPECT_EQ(e.digest, imgspec::util::sha256("FROM scratch\n"));
}

TEST(Walk, HashEntryLeavesFoldersAndSymlinksAlone) {
    TempDir dir;
    fs::create_symlink("x", dir.path() / "l");
    Entry d = stat_entry(dir.path(), "d");
    Entry l = stat_entry(dir.path() / "l", "l");
    hash_entry(d);
    hash_entry(l);
    EXPECT_EQ(d.digest, imgspec::plan::Digest{});
    EXPECT_EQ(l.digest, imgspec::plan::Digest{});
}

TEST(Walk, HashEntryNoticesASizeChange) {
    TempDir dir;
    fs::path p = dir.path() / "f";
    write_file(p, "short");
    Entry e = stat_entry(p, "f");
    write_file(p, "longer now");
    try {
        hash_entry(e);
        FAIL() << "no error";
    } catch (const Error& err) {
        EXPECT_EQ(err.kind(), ErrorKind::other);
        EXPECT_NE(std::string(err.what()).find("changed"), std::string::npos) << err.what();
    }
}

TEST(Walk, HashEntryOfAnUnreadableFileIsASpecError) {
    // /proc/<pid>/mem is a regular file whose first bytes cannot be read (EIO), even by root.
    // Not /proc/self/mem: /proc/self is a symlink, which no open below a context follows.
    const std::string mem = "/proc/" + std::to_string(::getpid()) + "/mem";
    Entry e;
    e.path = "mem";
    e.source = mem;
    try {
        hash_entry(e);
        FAIL() << "no error";
    } catch (const Error& err) {
        EXPECT_EQ(err.kind(), ErrorKind::invalid_spec);
        EXPECT_NE(std::string(err.what()).find(mem + ": cannot read"), std::string::npos)
            << err.what();
    }
}

TEST(Walk, HashEntryDoesNotFollowASwappedInSymlink) {
    TempDir dir;
    fs::path p = dir.path() / "f";
    write_file(dir.path() / "other", "other");
    write_file(p, "12345");
    Entry e = stat_entry(p, "f");
    fs::remove(p);
    fs::create_symlink("other", p);
    EXPECT_THROW(hash_entry(e), Error);
}

TEST(Walk, HashEntryDoesNotBlockOnASwappedInFifo) {
    TempDir dir;
    fs::path p = dir.path() / "f";
    write_file(p, "12345");
    Entry e = stat_entry(p, "f");
    fs::remove(p);
    ASSERT_EQ(::mkfifo(p.c_str(), 0644), 0);
    auto result = std::async(std::launch::async, [&] {
        try {
            hash_entry(e);
            return std::string("no error");
        } catch (const Error& err) {
            return std::string(err.what());
        }
    });
    ASSERT_EQ(result.wait_for(std::chrono::seconds(10)), std::future_status::ready)
        << "hash_entry blocked opening a FIFO";
    EXPECT_NE(result.get().find("no longer a regular file"), std::string::npos);
}

TEST(Walk, HashEntriesMatchesSingleThreaded) {
    TempDir dir;
    std::vector<Entry> entries;
    fs::create_directory(dir.path() / "sub");
    entries.push_back(stat_entry(dir.path() / "sub", "sub"));
    for (unsigned i = 0; i < 150; ++i) {
        fs::path p = dir.path() / ("f" + std::to_string(i));
        write_file(p, pattern((i * 7919u) % 200000u + (i == 7 ? (2u << 20) : 0u), i));
        entries.push_back(stat_entry(p, p.filename().string()));
    }
    fs::create_symlink("f1", dir.path() / "link");
    entries.push_back(stat_entry(dir.path() / "link", "link"));
    Entry generated;
    generated.path = "Dockerfile";
    generated.content = "FROM scratch\n";
    entries.push_back(generated);

    std::vector<Entry> single = entries;
    for (Entry& e : single) {
        hash_entry(e);
    }
    for (unsigned threads : {1u, 2u, 4u, 0u, 1000u}) {
        std::vector<Entry> multi = entries;
        hash_entries(multi, threads);
        ASSERT_EQ(multi.size(), single.size());
        for (std::size_t i = 0; i < multi.size(); ++i) {
            EXPECT_EQ(multi[i].digest, single[i].digest) << threads << " threads, " << i;
            EXPECT_EQ(multi[i].size, single[i].size);
        }
    }
    EXPECT_NE(single[1].digest, imgspec::plan::Digest{});
}

TEST(Walk, HashEntriesPropagatesTheFirstError) {
    TempDir dir;
    std::vector<Entry> entries;
    for (unsigned i = 0; i < 40; ++i) {
        fs::path p = dir.path() / ("f" + std::to_string(i));
        write_file(p, pattern(1000, i));
        entries.push_back(stat_entry(p, p.filename().string()));
    }
    fs::remove(dir.path() / "f5");
    fs::remove(dir.path() / "f30");
    for (unsigned threads : {1u, 4u}) {
        std::vector<Entry> copy = entries;
        try {
            hash_entries(copy, threads);
            ADD_FAILURE() << "no error with " << threads << " threads";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("f5"), std::string::npos) << e.what();
        }
    }
}
