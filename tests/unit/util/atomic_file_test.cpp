#include "unit/test_util.hpp"

#include <imgspec/core/error.hpp>
#include <imgspec/util/atomic_file.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;
using imgspec::Error;
using imgspec::test::read_file;
using imgspec::test::TempDir;
using imgspec::test::write_file;
using imgspec::util::AtomicFile;

namespace {

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) {
        names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

unsigned perms_of(const fs::path& p) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) {
        return ~0u;
    }
    return st.st_mode & 07777;
}

} // namespace

TEST(AtomicFile, TempFileIsHiddenBesideTheTarget) {
    TempDir dir;
    AtomicFile f(dir.path() / "out.json");
    EXPECT_EQ(f.temp_path().parent_path(), fs::absolute(dir.path()));
    EXPECT_EQ(f.temp_path().filename().string().rfind(".out.json.tmp.", 0), 0u) << f.temp_path();
    EXPECT_TRUE(fs::exists(f.temp_path()));
    EXPECT_FALSE(fs::exists(dir.path() / "out.json"));
    EXPECT_GE(f.fd(), 0);
    EXPECT_NE(::fcntl(f.fd(), F_GETFD) & FD_CLOEXEC, 0); // docker must not inherit it
}

TEST(AtomicFile, CommitCreatesTheTarget) {
    TempDir dir;
    fs::path target = dir.path() / "out.json";
    {
        AtomicFile f(target);
        f.write("{\"a\": ");
        f.write(std::string("1}\n"));
        EXPECT_FALSE(fs::exists(target));
        f.commit();
        EXPECT_TRUE(f.committed());
        EXPECT_EQ(f.fd(), -1);
        EXPECT_FALSE(fs::exists(f.temp_path()));
    }
    EXPECT_EQ(read_file(target), "{\"a\": 1}\n");
    EXPECT_EQ(perms_of(target), 0644u);
    EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"out.json"});
}

TEST(AtomicFile, CommitReplacesTheTargetAndKeepsItsPermissions) {
    TempDir dir;
    fs::path target = dir.path() / "lock";
    write_file(target, "old content that is longer");
    ASSERT_EQ(::chmod(target.c_str(), 0600), 0);
    {
        AtomicFile f(target, 0644);
        f.write("new");
        f.commit();
    }
    EXPECT_EQ(read_file(target), "new");
    EXPECT_EQ(perms_of(target), 0600u);

    AtomicFile g(dir.path() / "script", 0755);
    g.commit();
    EXPECT_EQ(perms_of(dir.path() / "script"), 0755u);
}

TEST(AtomicFile, DestructorWithoutCommitLeavesTheTargetAlone) {
    TempDir dir;
    fs::path target = dir.path() / "out";
    write_file(target, "old");
    fs::path temp;
    {
        AtomicFile f(target);
        temp = f.temp_path();
        f.write("half of the new cont");
    }
    EXPECT_FALSE(fs::exists(temp));
    EXPECT_EQ(read_file(target), "old");
    EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"out"});
}

TEST(AtomicFile, AbortRemovesTheTempFileAndEndsWriting) {
    TempDir dir;
    AtomicFile f(dir.path() / "out");
    f.write("x");
    f.abort();
    EXPECT_FALSE(fs::exists(f.temp_path()));
    EXPECT_FALSE(fs::exists(dir.path() / "out"));
    EXPECT_TRUE(names_in(dir.path()).empty());
    EXPECT_THROW(f.write("y"), Error);
    EXPECT_THROW(f.commit(), Error);
    f.abort(); // twice is fine
}

TEST(AtomicFile, WriteOrCommitAfterCommitThrows) {
    TempDir dir;
    AtomicFile f(dir.path() / "out");
    f.commit();
    EXPECT_THROW(f.write("late"), Error);
    EXPECT_THROW(f.commit(), Error);
    EXPECT_TRUE(fs::exists(dir.path() / "out"));
}

TEST(AtomicFile, MissingFolderThrows) {
    TempDir dir;
    try {
        AtomicFile f(dir.path() / "no/such/dir/out");
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), imgspec::ErrorKind::other);
        EXPECT_NE(std::string(e.what()).find("no/such/dir/out"), std::string::npos) << e.what();
    }
}

TEST(AtomicFile, SignalSafeCleanupRemovesLiveTempFiles) {
    TempDir dir;
    fs::path committed_target = dir.path() / "done";
    {
        AtomicFile done(committed_target);
        done.write("kept");
        done.commit();
        AtomicFile a(dir.path() / "a");
        AtomicFile b(dir.path() / "b");
        ASSERT_EQ(names_in(dir.path()).size(), 3u);
        imgspec::util::remove_registered_temp_files_signal_safe();
        EXPECT_FALSE(fs::exists(a.temp_path()));
        EXPECT_FALSE(fs::exists(b.temp_path()));
    } // the destructors then find nothing to remove
    EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"done"});
    EXPECT_EQ(read_file(committed_target), "kept");
}

extern "C" void atomic_file_test_on_sigterm(int sig) {
    imgspec::util::remove_registered_temp_files_signal_safe();
    ::_exit(128 + sig);
}

// What Ctrl-C does to the real program: a signal arrives mid-write, the handler cleans up.
TEST(AtomicFile, SignalHandlerLeavesNoPartialFile) {
    TempDir dir;
    fs::path target = dir.path() / "out";
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        std::signal(SIGTERM, atomic_file_test_on_sigterm);
        AtomicFile f(target);
        f.write("partial");
        ::raise(SIGTERM);
        ::_exit(0); // not reached
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
    EXPECT_TRUE(names_in(dir.path()).empty());
}
