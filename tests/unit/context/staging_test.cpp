#include "unit/test_util.hpp"

#include <imgspec/context/staging.hpp>
#include <imgspec/core/error.hpp>
#include <imgspec/plan/walk.hpp>
#include <imgspec/util/sha256.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include <sys/stat.h>

namespace fs = std::filesystem;
using imgspec::Error;
using imgspec::ErrorKind;
using imgspec::context::StagedFolder;
using imgspec::plan::Entry;
using imgspec::plan::EntryType;
using imgspec::plan::Manifest;
using imgspec::test::read_file;
using imgspec::test::TempDir;
using imgspec::test::write_file;

namespace {

Manifest manifest_of(const fs::path& root, const std::vector<std::string>& paths) {
    Manifest m;
    for (const auto& p : paths) {
        m.entries.push_back(imgspec::plan::stat_entry(root / p, p));
    }
    Entry dockerfile;
    dockerfile.path = "Dockerfile";
    dockerfile.content = "FROM scratch\nCOPY . /\n";
    m.entries.push_back(dockerfile);
    imgspec::plan::hash_entries(m.entries, 1);
    std::sort(m.entries.begin(), m.entries.end(),
              [](const Entry& a, const Entry& b) { return a.path < b.path; });
    return m;
}

struct stat lstat_of(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
    return st;
}

std::vector<std::string> listing(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        out.push_back(e.path().lexically_relative(dir).generic_string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

class StagingTest : public ::testing::Test {
  protected:
    void SetUp() override {
        m_tmp.write("src/app/a.txt", "aaaa\n");
        fs::permissions(m_tmp.write("src/app/b.txt", "bbbb\n"), fs::perms(0600));
        fs::permissions(m_tmp.write("src/app/sub/run.sh", "#!/bin/sh\n"), fs::perms(0700));
        fs::create_symlink("a.txt", src() / "app/link");
        m_tmp.write("src/outside.txt", "not planned\n");
    }
    fs::path src() const { return m_tmp.path() / "src"; }
    fs::path root() const { return m_tmp.path() / "cache/contexts/img-0"; }
    Manifest manifest() const {
        return manifest_of(
            src(), {"app", "app/a.txt", "app/b.txt", "app/link", "app/sub", "app/sub/run.sh"});
    }

    TempDir m_tmp;
};

TEST_F(StagingTest, HoldsExactlyTheManifestWithNormalizedModesAndTimes) {
    StagedFolder f(root());
    ASSERT_TRUE(f.try_lock());
    auto stats = f.stage(manifest(), "");
    EXPECT_EQ(stats.written, 5U); // 3 files, a symlink, the Dockerfile
    fs::path ctx = f.context_dir();
    EXPECT_EQ(listing(ctx), (std::vector<std::string>{"Dockerfile", "app", "app/a.txt", "app/b.txt",
                                                      "app/link", "app/sub", "app/sub/run.sh"}));
    EXPECT_EQ(read_file(ctx / "app/a.txt"), "aaaa\n");
    EXPECT_EQ(read_file(ctx / "Dockerfile"), "FROM scratch\nCOPY . /\n");
    EXPECT_EQ(fs::read_symlink(ctx / "app/link"), "a.txt");
    EXPECT_EQ(lstat_of(ctx / "app/b.txt").st_mode & 07777, 0644U);
    EXPECT_EQ(lstat_of(ctx / "app/sub/run.sh").st_mode & 07777, 0755U);
    EXPECT_EQ(lstat_of(ctx / "app/sub").st_mode & 07777, 0755U);
    for (const char* p : {"app/a.txt", "app/b.txt", "app/link", "app/sub", "Dockerfile"}) {
        EXPECT_EQ(lstat_of(ctx / p).st_mtim.tv_sec, 0) << p;
    }
    EXPECT_EQ(lstat_of(ctx / "app").st_mtim.tv_nsec, 0);
}

TEST_F(StagingTest, RewritesOnlyWhatChangedAndRemovesWhatWentAway) {
    {
        StagedFolder f(root());
        ASSERT_TRUE(f.try_lock());
        f.stage(manifest(), "");
    }
    fs::path ctx = root() / "ctx";
    struct stat b_before = lstat_of(ctx / "app/b.txt");
    write_file(src() / "app/a.txt", "AAAA\n"); // same size
    fs::remove(src() / "app/sub/run.sh");
    write_file(ctx / "stray.txt", "put there by someone else\n");
    StagedFolder f(root());
    ASSERT_TRUE(f.try_lock());
    auto stats =
        f.stage(manifest_of(src(), {"app", "app/a.txt", "app/b.txt", "app/link", "app/sub"}), "");
    EXPECT_EQ(stats.written, 1U);
    EXPECT_EQ(stats.kept, 3U); // b.txt, link, Dockerfile
    EXPECT_EQ(stats.removed, 2U);
    EXPECT_EQ(read_file(ctx / "app/a.txt"), "AAAA\n");
    EXPECT_FALSE(fs::exists(ctx / "app/sub/run.sh"));
    EXPECT_FALSE(fs::exists(ctx / "stray.txt"));
    struct stat b_after = lstat_of(ctx / "app/b.txt");
    EXPECT_EQ(b_before.st_ino, b_after.st_ino);
    EXPECT_EQ(b_before.st_ctim.tv_nsec, b_after.st_ctim.tv_nsec);
}

TEST_F(StagingTest, SameSizeEditMovesTheMtime) {
    // BuildKit's file sync compares size and mtime only: an edit that keeps the size must move
    // the mtime, and the seconds stay 0 (the image keeps whole seconds).
    fs::path ctx = root() / "ctx";
    std::vector<long> ns;
    for (const char* text : {"one\n", "two\n", "one\n"}) {
        write_file(src() / "app/a.txt", text);
        StagedFolder f(root());
        ASSERT_TRUE(f.try_lock());
        f.stage(manifest_of(src(), {"app", "app/a.txt"}), "");
        struct stat st = lstat_of(ctx / "app/a.txt");
        EXPECT_EQ(st.st_mtim.tv_sec, 0);
        ns.push_back(st.st_mtim.tv_nsec);
    }
    EXPECT_NE(ns[0], ns[1]);
    EXPECT_NE(ns[1], ns[2]);
    EXPECT_EQ(ns[0], ns[2]); // from the content, not from when it was staged
}

TEST_F(StagingTest, TamperedStagedFileIsWrittenAgain) {
    {
        StagedFolder f(root());
        ASSERT_TRUE(f.try_lock());
        f.stage(manifest(), "");
    }
    fs::path ctx = root() / "ctx";
    write_file(ctx / "app/a.txt", "evil\n");
    StagedFolder f(root());
    ASSERT_TRUE(f.try_lock());
    f.stage(manifest(), "");
    EXPECT_EQ(read_file(ctx / "app/a.txt"), "aaaa\n");
}

TEST_F(StagingTest, FileChangedSinceHashingFailsAndLeavesNoTempFile) {
    Manifest m = manifest();
    write_file(src() / "app/b.txt", "changed after hashing\n");
    StagedFolder f(root());
    ASSERT_TRUE(f.try_lock());
    try {
        f.stage(m, "");
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::other);
        EXPECT_NE(std::string(e.what()).find("b.txt"), std::string::npos) << e.what();
    }
    for (const auto& p : listing(root())) {
        EXPECT_EQ(p.find(".tmp."), std::string::npos) << p;
    }
    EXPECT_FALSE(fs::exists(root() / "ctx/app/b.txt"));
}

TEST_F(StagingTest, CheckSourcesSeesAChangeAfterStaging) {
    Manifest m = manifest();
    StagedFolder f(root());
    ASSERT_TRUE(f.try_lock());
    f.stage(m, "");
    EXPECT_NO_THROW(f.check_sources(m));
    write_file(src() / "app/a.txt", "aaaa\n"); // same bytes, new stat: still fine
    EXPECT_NO_THROW(f.check_sources(m));
    write_file(src() / "app/a.txt", "late change\n");
    EXPECT_THROW(f.check_sources(m), Error);
}

TEST_F(StagingTest, SkipPathIsNotStaged) {
    StagedFolder f(root());
    ASSERT_TRUE(f.try_lock());
    f.stage(manifest(), "Dockerfile");
    EXPECT_FALSE(fs::exists(f.context_dir() / "Dockerfile"));
}

TEST_F(StagingTest, SecondLockFails) {
    StagedFolder a(root());
    StagedFolder b(root());
    ASSERT_TRUE(a.try_lock());
    EXPECT_FALSE(b.try_lock());
}

TEST_F(StagingTest, CancelStopsStaging) {
    StagedFolder f(root());
    ASSERT_TRUE(f.try_lock());
    std::atomic<bool> cancel{true};
    try {
        f.stage(manifest(), "", &cancel);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::interrupted);
    }
}

TEST(StagingRoot, ReadableNameAndKeyedHash) {
    fs::path a = imgspec::context::staging_root("/c", "my image!", "k1");
    EXPECT_EQ(a.parent_path(), fs::path("/c/contexts"));
    EXPECT_EQ(a.filename().string().rfind("my_image_-", 0), 0U) << a;
    EXPECT_NE(a, imgspec::context::staging_root("/c", "my image!", "k2"));
}

} // namespace

namespace {

TEST_F(StagingTest, NameOfTheLongestLengthIsStaged) {
    // AtomicFile's temp name (".<name>.tmp.XXXXXX") would not fit beside a 255-byte name.
    std::string name(255, 'a');
    write_file(src() / "app" / name, "long\n");
    StagedFolder f(root());
    ASSERT_TRUE(f.try_lock());
    f.stage(manifest_of(src(), {"app", "app/" + name}), "");
    EXPECT_EQ(read_file(f.context_dir() / "app" / name), "long\n");
    EXPECT_EQ(listing(f.context_dir()),
              (std::vector<std::string>{"Dockerfile", "app", "app/" + name}));
}

} // namespace
