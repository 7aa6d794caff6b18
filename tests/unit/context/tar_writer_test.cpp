#include "unit/test_util.hpp"

#include <imgspec/context/tar_writer.hpp>
#include <imgspec/core/error.hpp>
#include <imgspec/plan/walk.hpp>
#include <imgspec/util/sha256.hpp>

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <clocale>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;
using imgspec::Error;
using imgspec::ErrorKind;
using imgspec::context::TarOptions;
using imgspec::context::write_tar;
using imgspec::context::write_tar_to_fd;
using imgspec::plan::Entry;
using imgspec::plan::EntryType;
using imgspec::plan::Manifest;
using imgspec::test::read_file;
using imgspec::test::TempDir;
using imgspec::test::write_file;

namespace {

const std::string dockerfile_text = "FROM scratch\nCOPY . /\n";
const std::string long_dir = "long/" + std::string(100, 'd');
const std::string long_file = long_dir + "/" + std::string(94, 'f'); // 200 bytes in all

// A context folder with every kind of entry, and the manifest the builder would make of it.
void make_tree(const fs::path& root) {
    fs::create_directories(root / "app");
    fs::create_directories(root / "empty");
    fs::create_directories(root / long_dir);
    write_file(root / "app/data.txt", "hello\n");
    write_file(root / "app/run.sh", "#!/bin/sh\necho hi\n");
    fs::permissions(root / "app/run.sh", fs::perms(0755));
    fs::create_symlink("app/data.txt", root / "link");
    write_file(root / long_file, "deep\n");
}

Manifest make_manifest(const fs::path& root, unsigned threads = 1) {
    Manifest m;
    for (const char* p : {"app", "app/data.txt", "app/run.sh", "empty", "link", "long"}) {
        m.entries.push_back(imgspec::plan::stat_entry(root / p, p));
    }
    m.entries.push_back(imgspec::plan::stat_entry(root / long_dir, long_dir));
    m.entries.push_back(imgspec::plan::stat_entry(root / long_file, long_file));
    Entry dockerfile;
    dockerfile.path = "Dockerfile";
    dockerfile.content = dockerfile_text;
    m.entries.push_back(dockerfile);
    imgspec::plan::hash_entries(m.entries, threads);
    std::sort(m.entries.begin(), m.entries.end(),
              [](const Entry& a, const Entry& b) { return a.path < b.path; });
    return m;
}

std::string tar_bytes(const Manifest& m, const TarOptions& options = {}) {
    std::string out;
    write_tar(m, options, [&](const void* data, std::size_t size) {
        out.append(static_cast<const char*>(data), size);
    });
    return out;
}

struct ReadEntry {
    std::string name;
    mode_t type = 0;
    unsigned perm = 0;
    std::int64_t mtime = -1;
    std::int64_t uid = -1;
    std::int64_t gid = -1;
    std::string uname;
    std::string gname;
    std::string symlink;
    std::string data;
};

struct ReadResult {
    std::vector<ReadEntry> entries;
    bool clean = false; // every header and all data read, and the archive ended properly
};

ReadResult read_tar(const std::string& bytes) {
    ReadResult result;
    struct archive* a = archive_read_new();
    archive_read_support_format_tar(a);
    if (archive_read_open_memory(a, bytes.data(), bytes.size()) != ARCHIVE_OK) {
        archive_read_free(a);
        return result;
    }
    for (;;) {
        archive_entry* e = nullptr;
        int r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF) {
            result.clean = true;
            break;
        }
        if (r != ARCHIVE_OK) {
            break;
        }
        ReadEntry re;
        re.name = archive_entry_pathname(e);
        re.type = archive_entry_filetype(e);
        re.perm = archive_entry_perm(e);
        re.mtime = archive_entry_mtime(e);
        re.uid = archive_entry_uid(e);
        re.gid = archive_entry_gid(e);
        re.uname = archive_entry_uname(e) ? archive_entry_uname(e) : "";
        re.gname = archive_entry_gname(e) ? archive_entry_gname(e) : "";
        re.symlink = archive_entry_symlink(e) ? archive_entry_symlink(e) : "";
        char buf[8192];
        la_ssize_t n = 0;
        while ((n = archive_read_data(a, buf, sizeof buf)) > 0) {
            re.data.append(buf, static_cast<std::size_t>(n));
        }
        result.entries.push_back(re);
        if (n < 0) {
            break;
        }
    }
    archive_read_free(a);
    return result;
}

const ReadEntry* find(const ReadResult& r, const std::string& name) {
    for (const auto& e : r.entries) {
        if (e.name == name) {
            return &e;
        }
    }
    return nullptr;
}

// Runs GNU tar on an archive; returns its exit status and fills its stdout and stderr.
int gnu_tar(const TempDir& dir, const std::string& bytes, const std::string& args, std::string& out,
            std::string& err) {
    fs::path archive = dir.path() / "check.tar";
    write_file(archive, bytes);
    std::string cmd = "/usr/bin/tar " + args + " -f '" + archive.string() + "' >'" +
                      (dir.path() / "tar.out").string() + "' 2>'" +
                      (dir.path() / "tar.err").string() + "'";
    int status = std::system(cmd.c_str());
    out = read_file(dir.path() / "tar.out");
    err = read_file(dir.path() / "tar.err");
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

void expect_changed_error(const Manifest& m, std::string& bytes) {
    try {
        write_tar(m, {}, [&](const void* data, std::size_t size) {
            bytes.append(static_cast<const char*>(data), size);
        });
        FAIL() << "write_tar did not notice the change";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::other);
        EXPECT_TRUE(contains(e.what(), "changed while the build context was written")) << e.what();
        EXPECT_FALSE(e.hint().empty());
    }
}

} // namespace

TEST(Tar, WritesEveryEntryWithNormalizedMetadata) {
    TempDir dir;
    make_tree(dir.path() / "ctx");
    Manifest m = make_manifest(dir.path() / "ctx");
    TarOptions options;
    options.mtime = 1700000000;
    std::string bytes = tar_bytes(m, options);

    ReadResult r = read_tar(bytes);
    ASSERT_TRUE(r.clean);
    std::vector<std::string> names;
    for (const auto& e : r.entries) {
        names.push_back(e.name);
        EXPECT_EQ(e.mtime, 1700000000) << e.name;
        EXPECT_EQ(e.uid, 0) << e.name;
        EXPECT_EQ(e.gid, 0) << e.name;
        EXPECT_EQ(e.uname, "") << e.name;
        EXPECT_EQ(e.gname, "") << e.name;
    }
    // Manifest order, which is byte order; libarchive adds the '/' to folder names.
    std::vector<std::string> expected = {"Dockerfile", "app/",         "app/data.txt",
                                         "app/run.sh", "empty/",       "link",
                                         "long/",      long_dir + "/", long_file};
    EXPECT_EQ(names, expected);

    const ReadEntry* e = find(r, "Dockerfile");
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->type, AE_IFREG);
    EXPECT_EQ(e->perm, 0644u);
    EXPECT_EQ(e->data, dockerfile_text);

    e = find(r, "app/run.sh");
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->perm, 0755u);
    EXPECT_EQ(e->data, "#!/bin/sh\necho hi\n");

    e = find(r, "app/data.txt");
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->perm, 0644u);
    EXPECT_EQ(e->data, "hello\n");

    e = find(r, "empty/");
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->type, AE_IFDIR);
    EXPECT_EQ(e->perm, 0755u);

    e = find(r, "link");
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->type, AE_IFLNK);
    EXPECT_EQ(e->symlink, "app/data.txt");
    EXPECT_EQ(e->perm, 0777u);
    EXPECT_EQ(e->data, "");

    ASSERT_EQ(long_file.size(), 200u);
    e = find(r, long_file);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->data, "deep\n");
}

TEST(Tar, StatsCountFilesAndBytes) {
    TempDir dir;
    make_tree(dir.path() / "ctx");
    Manifest m = make_manifest(dir.path() / "ctx");
    std::string bytes;
    auto stats = write_tar(m, {}, [&](const void* data, std::size_t size) {
        bytes.append(static_cast<const char*>(data), size);
    });
    EXPECT_EQ(stats.files, 4u); // Dockerfile, data.txt, run.sh, the long one
    EXPECT_EQ(stats.bytes, bytes.size());
    // No padding after the end-of-archive marker: the size is a multiple of 512, not of 10240,
    // and it ends with exactly the two zero blocks.
    EXPECT_EQ(bytes.size() % 512, 0u);
    ASSERT_GE(bytes.size(), 1024u);
    EXPECT_EQ(bytes.substr(bytes.size() - 1024), std::string(1024, '\0'));
    EXPECT_NE(bytes.substr(bytes.size() - 1536, 512), std::string(512, '\0'));
}

TEST(Tar, HasNoMachineSpecificHeaders) {
    TempDir dir;
    make_tree(dir.path() / "ctx");
    std::string bytes = tar_bytes(make_manifest(dir.path() / "ctx"));
    for (const char* key : {"atime=", "ctime=", "mtime=", "SCHILY", "LIBARCHIVE",
                            "uname=", "gname=", "uid=", "gid=", "hdrcharset"}) {
        EXPECT_FALSE(contains(bytes, key)) << key;
    }
    // The 200-byte path is the only thing that may need a pax extended header.
    std::size_t pax = 0;
    for (std::size_t pos = bytes.find("PaxHeader"); pos != std::string::npos;
         pos = bytes.find("PaxHeader", pos + 1)) {
        ++pax;
    }
    EXPECT_LE(pax, 1u);
    // ustar user and group names (offsets 265 and 297 of the first header) are empty.
    EXPECT_EQ(bytes.substr(265, 64), std::string(64, '\0'));
}

TEST(Tar, IsByteIdenticalAcrossRunsAndMachines) {
    TempDir dir;
    make_tree(dir.path() / "a");
    make_tree(dir.path() / "b");
    // Another machine: other mtimes, other non-executable permission bits, other inodes.
    for (const char* p : {"app/data.txt", "app", "empty"}) {
        fs::last_write_time(dir.path() / "b" / p,
                            fs::file_time_type::clock::now() - std::chrono::hours(1000));
    }
    fs::permissions(dir.path() / "b/app/data.txt", fs::perms(0600));
    fs::permissions(dir.path() / "b/app/run.sh", fs::perms(0700));
    fs::permissions(dir.path() / "b/empty", fs::perms(0700));

    Manifest ma = make_manifest(dir.path() / "a");
    std::string first = tar_bytes(ma);
    EXPECT_EQ(first, tar_bytes(ma));
    EXPECT_EQ(first, tar_bytes(make_manifest(dir.path() / "b", 4)));

    TarOptions epoch;
    epoch.mtime = 1;
    EXPECT_NE(first, tar_bytes(ma, epoch));
}

TEST(Tar, NonAsciiNamesDoNotDependOnLocale) {
    TempDir dir;
    fs::path root = dir.path() / "ctx";
    fs::create_directories(root);
    write_file(root / "caf\xc3\xa9.txt", "utf8\n");
    write_file(root / "bad\xff.txt", "latin1\n");
    Manifest m;
    for (const char* p : {"bad\xff.txt", "caf\xc3\xa9.txt"}) {
        m.entries.push_back(imgspec::plan::stat_entry(root / p, p));
    }
    imgspec::plan::hash_entries(m.entries, 1);

    std::string saved = std::setlocale(LC_ALL, nullptr);
    std::setlocale(LC_ALL, "C");
    std::string in_c = tar_bytes(m);
    const char* utf8 = std::setlocale(LC_ALL, "C.UTF-8");
    std::string in_utf8 = utf8 ? tar_bytes(m) : in_c;
    std::setlocale(LC_ALL, saved.c_str());
    if (utf8 == nullptr) {
        GTEST_SKIP() << "no C.UTF-8 locale";
    }
    EXPECT_EQ(in_c, in_utf8);

    ReadResult r = read_tar(in_c);
    ASSERT_TRUE(r.clean);
    ASSERT_EQ(r.entries.size(), 2u);
    EXPECT_EQ(r.entries[0].name, "bad\xff.txt");
    EXPECT_EQ(r.entries[1].name, "caf\xc3\xa9.txt");
    EXPECT_EQ(r.entries[1].data, "utf8\n");
}

TEST(Tar, GnuTarListsAndExtractsIt) {
    TempDir dir;
    make_tree(dir.path() / "ctx");
    TarOptions options;
    options.mtime = 1700000000;
    std::string bytes = tar_bytes(make_manifest(dir.path() / "ctx"), options);

    std::string out, err;
    ASSERT_EQ(gnu_tar(dir, bytes, "-tv", out, err), 0) << err;
    EXPECT_EQ(err, "");
    EXPECT_TRUE(contains(out, "-rwxr-xr-x 0/0")) << out;
    EXPECT_TRUE(contains(out, "app/run.sh")) << out;
    EXPECT_TRUE(contains(out, "link -> app/data.txt")) << out;
    EXPECT_TRUE(contains(out, "drwxr-xr-x 0/0")) << out;
    EXPECT_TRUE(contains(out, "2023-11-14")) << out;
    EXPECT_TRUE(contains(out, long_file)) << out;

    fs::create_directories(dir.path() / "out");
    ASSERT_EQ(gnu_tar(dir, bytes, "-C '" + (dir.path() / "out").string() + "' -x", out, err), 0)
        << err;
    EXPECT_EQ(read_file(dir.path() / "out/Dockerfile"), dockerfile_text);
    EXPECT_EQ(read_file(dir.path() / "out" / long_file), "deep\n");
    EXPECT_EQ(fs::read_symlink(dir.path() / "out/link"), "app/data.txt");
    EXPECT_TRUE(fs::is_directory(dir.path() / "out/empty"));
    EXPECT_NE(fs::status(dir.path() / "out/app/run.sh").permissions() & fs::perms::owner_exec,
              fs::perms::none);
}

TEST(Tar, FileChangedAfterHashingFailsAndLeavesNoValidArchive) {
    TempDir dir;
    make_tree(dir.path() / "ctx");
    Manifest m = make_manifest(dir.path() / "ctx");
    write_file(dir.path() / "ctx/app/data.txt", "HELLO\n"); // same size, other bytes

    std::string bytes;
    expect_changed_error(m, bytes);
    EXPECT_FALSE(read_tar(bytes).clean);
    std::string out, err;
    EXPECT_NE(gnu_tar(dir, bytes, "-t", out, err), 0) << out;
}

TEST(Tar, FileThatGrewShrankOrVanishedFails) {
    TempDir dir;
    make_tree(dir.path() / "ctx");
    fs::path data = dir.path() / "ctx/app/data.txt";
    Manifest m = make_manifest(dir.path() / "ctx");

    std::string bytes;
    write_file(data, "hello, world\n");
    expect_changed_error(m, bytes);
    EXPECT_FALSE(read_tar(bytes).clean);

    bytes.clear();
    write_file(data, "hi\n");
    expect_changed_error(m, bytes);
    EXPECT_FALSE(read_tar(bytes).clean);

    bytes.clear();
    fs::remove(data);
    expect_changed_error(m, bytes);
    EXPECT_FALSE(read_tar(bytes).clean);

    bytes.clear();
    fs::create_symlink("run.sh", data); // a symlink in its place is not followed
    expect_changed_error(m, bytes);
    EXPECT_FALSE(read_tar(bytes).clean);
}

TEST(Tar, RetargetedSymlinkFails) {
    TempDir dir;
    make_tree(dir.path() / "ctx");
    Manifest m = make_manifest(dir.path() / "ctx");
    fs::remove(dir.path() / "ctx/link");
    fs::create_symlink("/etc/passwd", dir.path() / "ctx/link");

    std::string bytes;
    expect_changed_error(m, bytes);
    EXPECT_FALSE(read_tar(bytes).clean);
}

// A failure right after a block boundary that is also an entry boundary: the bytes sent so far
// form a tar that libarchive and Go accept as complete (the end marker is optional to them), so
// write_tar must spoil it.
TEST(Tar, FailureAtAnEntryBoundaryStillLeavesAnInvalidArchive) {
    TempDir dir;
    fs::path root = dir.path() / "ctx";
    fs::create_directories(root);
    // 512 header bytes + 65024 data bytes: the first entry fills libarchive's 64 KiB block.
    write_file(root / "a", std::string(65536 - 512, 'a'));
    write_file(root / "b", "before\n");
    Manifest m;
    for (const char* p : {"a", "b"}) {
        m.entries.push_back(imgspec::plan::stat_entry(root / p, p));
    }
    imgspec::plan::hash_entries(m.entries, 1);
    write_file(root / "b", "after!\n");

    std::string bytes;
    expect_changed_error(m, bytes);
    // The hazard: libarchive had sent its first full 64 KiB block, and those bytes alone read
    // as a complete archive.
    ASSERT_GT(bytes.size(), 65536u);
    EXPECT_TRUE(read_tar(bytes.substr(0, 65536)).clean);
    EXPECT_FALSE(read_tar(bytes).clean);
    std::string out, err;
    EXPECT_NE(gnu_tar(dir, bytes, "-t", out, err), 0) << out;
}

TEST(Tar, UnreadableFileFails) {
    // /proc/<pid>/mem is a regular file whose first bytes cannot be read (EIO), even by root.
    // Not /proc/self/mem: /proc/self is a symlink, which no open below a context follows.
    const std::string mem = "/proc/" + std::to_string(::getpid()) + "/mem";
    Manifest m;
    Entry e;
    e.path = "mem";
    e.source = mem;
    e.size = 10;
    m.entries.push_back(e);
    std::string bytes;
    try {
        write_tar(m, {}, [&](const void* data, std::size_t size) {
            bytes.append(static_cast<const char*>(data), size);
        });
        FAIL() << "no error";
    } catch (const Error& err) {
        EXPECT_EQ(err.kind(), ErrorKind::other);
        EXPECT_TRUE(contains(err.what(), mem + ": cannot read")) << err.what();
    }
    EXPECT_FALSE(read_tar(bytes).clean);
}

TEST(Tar, NonAsciiNamesAreReadableByGnuTar) {
    TempDir dir;
    fs::path root = dir.path() / "ctx";
    fs::create_directories(root);
    write_file(root / "caf\xc3\xa9.txt", "utf8\n");
    Manifest m;
    m.entries.push_back(imgspec::plan::stat_entry(root / "caf\xc3\xa9.txt", "caf\xc3\xa9.txt"));
    imgspec::plan::hash_entries(m.entries, 1);
    std::string bytes = tar_bytes(m);
    fs::create_directories(dir.path() / "out");
    std::string out, err;
    ASSERT_EQ(gnu_tar(dir, bytes, "-C '" + (dir.path() / "out").string() + "' -x", out, err), 0)
        << err;
    EXPECT_EQ(read_file(dir.path() / "out/caf\xc3\xa9.txt"), "utf8\n");
}

TEST(Tar, SinkExceptionPropagatesUnchanged) {
    TempDir dir;
    make_tree(dir.path() / "ctx");
    Manifest m = make_manifest(dir.path() / "ctx");
    int calls = 0;
    EXPECT_THROW(write_tar(m, {},
                           [&](const void*, std::size_t) {
                               ++calls;
                               throw std::logic_error("sink is full");
                           }),
                 std::logic_error);
    EXPECT_EQ(calls, 1); // no poison block sent into a failing sink
}

TEST(Tar, BigSparseFileStreamsInBoundedMemory) {
    TempDir dir;
    fs::path big = dir.path() / "big.bin";
    constexpr std::uint64_t size = 100ull << 20;
    {
        int fd = ::open(big.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(size)), 0);
        ASSERT_EQ(::pwrite(fd, "end", 3, static_cast<off_t>(size - 3)), 3);
        ::close(fd);
    }
    Manifest m;
    m.entries.push_back(imgspec::plan::stat_entry(big, "big.bin"));
    imgspec::plan::hash_entry(m.entries[0]);

    rusage before{};
    ::getrusage(RUSAGE_SELF, &before);
    std::uint64_t received = 0;
    std::string tail;
    auto stats = write_tar(m, {}, [&](const void* data, std::size_t n) {
        received += n;
        tail.append(static_cast<const char*>(data), n);
        if (tail.size() > 4096) {
            tail.erase(0, tail.size() - 4096);
        }
    });
    rusage after{};
    ::getrusage(RUSAGE_SELF, &after);

    EXPECT_EQ(stats.files, 1u);
    EXPECT_EQ(received, 512 + size + 1024); // ustar header, data, end marker; no pax header
    EXPECT_EQ(stats.bytes, received);
    EXPECT_EQ(tail.substr(tail.size() - 1024 - 3, 3), "end");
    long grown_kib = after.ru_maxrss - before.ru_maxrss; // ru_maxrss is in KiB on Linux
    EXPECT_LT(grown_kib, 32 * 1024);
}

TEST(Tar, WritesToAPipe) {
    TempDir dir;
    make_tree(dir.path() / "ctx");
    Manifest m = make_manifest(dir.path() / "ctx");
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    std::string received;
    std::thread reader([&] {
        char buf[4096];
        ssize_t n = 0;
        while ((n = ::read(fds[0], buf, sizeof buf)) > 0) {
            received.append(buf, static_cast<std::size_t>(n));
        }
    });
    auto stats = write_tar_to_fd(m, {}, fds[1]);
    ::close(fds[1]);
    reader.join();
    ::close(fds[0]);
    EXPECT_EQ(received, tar_bytes(m));
    EXPECT_EQ(stats.bytes, received.size());
}

TEST(Tar, ClosedPipeGivesConsumerClosedError) {
    TempDir dir;
    make_tree(dir.path() / "ctx");
    Manifest m = make_manifest(dir.path() / "ctx");
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    ::close(fds[0]);
    auto* old = std::signal(SIGPIPE, SIG_IGN); // the caller's job, as documented
    try {
        write_tar_to_fd(m, {}, fds[1]);
        ADD_FAILURE() << "no error on a closed pipe";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::other);
        EXPECT_STREQ(e.what(), "the consumer closed the stream");
    }
    std::signal(SIGPIPE, old);
    ::close(fds[1]);
}

TEST(Tar, WritesToAFileReadableByLibarchive) {
    TempDir dir;
    make_tree(dir.path() / "ctx");
    Manifest m = make_manifest(dir.path() / "ctx");
    fs::path out = dir.path() / "ctx.tar";
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    write_tar_to_fd(m, {}, fd);
    ::close(fd);
    std::string bytes = read_file(out);
    EXPECT_EQ(bytes, tar_bytes(m));
    EXPECT_TRUE(read_tar(bytes).clean);
}

TEST(Tar, EmptyManifestIsAnEmptyArchive) {
    std::string bytes = tar_bytes(Manifest{});
    EXPECT_EQ(bytes, std::string(1024, '\0'));
    ReadResult r = read_tar(bytes);
    EXPECT_TRUE(r.clean);
    EXPECT_TRUE(r.entries.empty());
}
