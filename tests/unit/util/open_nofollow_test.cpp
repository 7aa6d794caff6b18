#include <imgspec/util/fd.hpp>
#include <imgspec/util/open_nofollow.hpp>

#include "unit/test_util.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include <fcntl.h>
#include <unistd.h>

using imgspec::test::TempDir;
using imgspec::util::Fd;

namespace {

using Open = int (*)(int, const char*, int);

// Both ways: openat2 (where the kernel has it) and the fallback one component at a time.
class OpenNofollow : public ::testing::TestWithParam<Open> {};

TEST_P(OpenNofollow, OpensAPathWithoutSymlinks) {
    TempDir t;
    t.write("a/b/f.txt", "x");
    std::string p = (t / "a/b/f.txt").string();
    Fd fd(GetParam()(AT_FDCWD, p.c_str(), O_RDONLY));
    ASSERT_TRUE(fd) << std::strerror(errno);
    char c = 0;
    EXPECT_EQ(::read(fd.get(), &c, 1), 1);
    EXPECT_EQ(c, 'x');
    Fd dir(GetParam()(AT_FDCWD, (t / "a").c_str(), O_RDONLY | O_DIRECTORY));
    ASSERT_TRUE(dir);
    Fd rel(GetParam()(dir.get(), "b/f.txt", O_RDONLY));
    EXPECT_TRUE(rel);
}

TEST_P(OpenNofollow, RefusesASymlinkAtAnyComponent) {
    TempDir t;
    t.write("outside/b/f.txt", "secret");
    std::filesystem::create_directories(t / "in");
    std::filesystem::create_symlink(t / "outside", t / "in/link");
    std::filesystem::create_symlink(t / "outside/b/f.txt", t / "in/file");
    for (const char* rel : {"in/link/b/f.txt", "in/link/b", "in/link", "in/file"}) {
        std::string p = (t / rel).string();
        errno = 0;
        Fd fd(GetParam()(AT_FDCWD, p.c_str(), O_RDONLY));
        EXPECT_FALSE(fd) << rel;
        EXPECT_EQ(errno, ELOOP) << rel;
    }
}

TEST_P(OpenNofollow, RefusesDotDot) {
    TempDir t;
    t.write("a/f.txt", "x");
    std::string p = (t / "a/../a/f.txt").string();
    Fd fd(GetParam()(AT_FDCWD, p.c_str(), O_RDONLY));
    EXPECT_FALSE(fd);
    EXPECT_EQ(errno, EXDEV);
}

INSTANTIATE_TEST_SUITE_P(Util, OpenNofollow,
                         ::testing::Values(&imgspec::util::open_nofollow,
                                           &imgspec::util::open_nofollow_by_component));

} // namespace
