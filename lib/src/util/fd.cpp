#include <imgspec/util/fd.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

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

std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace imgspec::util
