#include <imgspec/util/fd.hpp>
#include <imgspec/util/open_nofollow.hpp>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace imgspec::util {

namespace {

// Whether openat2 is worth trying: cleared at the first ENOSYS or EPERM (an old kernel, or a
// seccomp filter that does not know it), so the fallback costs no failed syscall per open after
// that.
std::atomic<bool> g_have_openat2{true};

bool has_dot_dot(std::string_view p) {
    for (std::size_t i = 0; i < p.size();) {
        std::size_t end = p.find('/', i);
        if (end == std::string_view::npos) {
            end = p.size();
        }
        if (p.substr(i, end - i) == "..") {
            return true;
        }
        i = end + 1;
    }
    return false;
}

} // namespace

int open_nofollow_by_component(int dirfd, const char* path, int flags) {
    std::string_view p(path);
    if (has_dot_dot(p)) {
        errno = EXDEV;
        return -1;
    }
    Fd cur;
    int at = dirfd;
    if (!p.empty() && p.front() == '/') {
        cur.reset(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!cur) {
            return -1;
        }
        at = cur.get();
    }
    std::string name;
    std::size_t i = 0;
    for (;;) {
        while (i < p.size() && p[i] == '/') {
            ++i;
        }
        std::size_t end = p.find('/', i);
        if (end == std::string_view::npos) {
            end = p.size();
        }
        name.assign(p.substr(i, end - i));
        std::size_t next = end;
        while (next < p.size() && p[next] == '/') {
            ++next;
        }
        if (next == p.size()) { // the last component
            if (name.empty()) {
                name = ".";
            }
            return ::openat(at, name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC);
        }
        if (name != ".") {
            int fd = ::openat(at, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0) {
                // O_PATH | O_NOFOLLOW opens a symlink itself, and O_DIRECTORY then says ENOTDIR:
                // say what it is.
                int err = errno;
                struct stat st {};
                if (err == ENOTDIR && ::fstatat(at, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                    S_ISLNK(st.st_mode)) {
                    err = ELOOP;
                }
                errno = err;
                return -1;
            }
            cur.reset(fd);
            at = cur.get();
        }
        i = next;
    }
}

int open_nofollow(int dirfd, const char* path, int flags) {
    std::string_view p(path);
    if (has_dot_dot(p)) {
        errno = EXDEV;
        return -1;
    }
    if (g_have_openat2.load(std::memory_order_relaxed)) {
        open_how how{};
        how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
        how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
        long fd = ::syscall(SYS_openat2, dirfd, path, &how, sizeof how);
        // EPERM: what some seccomp filters answer for a syscall they do not know. A real EPERM
        // comes back from the fallback too.
        if (fd >= 0 || (errno != ENOSYS && errno != EPERM)) {
            return static_cast<int>(fd);
        }
        g_have_openat2.store(false, std::memory_order_relaxed);
    }
    return open_nofollow_by_component(dirfd, path, flags);
}

} // namespace imgspec::util
