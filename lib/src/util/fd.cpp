#include <imgspec/util/fd.hpp>

#include <cerrno>
#include <cstring>

namespace imgspec::util {

int write_all(int fd, const void* data, std::size_t size) noexcept {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
        ssize_t n = ::write(fd, p, size);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return errno;
        }
        if (n == 0) {
            return EIO;
        }
        p += n;
        size -= static_cast<std::size_t>(n);
    }
    return 0;
}

std::string errno_text(int err) {
    return std::strerror(err);
}

} // namespace imgspec::util
