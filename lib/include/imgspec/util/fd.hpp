#pragma once
// File descriptors: an owner that closes one on every way out, a write that finishes, and the
// text of an errno value.

#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>

#include <unistd.h>

namespace imgspec::util {

// Owns one descriptor (-1: none) and closes it when destroyed or reset. Movable, not copyable.
class Fd {
  public:
    Fd() = default;
    explicit Fd(int fd) : m_fd(fd) {}
    ~Fd() { reset(); }
    Fd(Fd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
    Fd& operator=(Fd&& other) noexcept {
        if (this != &other) {
            reset(std::exchange(other.m_fd, -1));
        }
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;

    int get() const { return m_fd; }
    explicit operator bool() const { return m_fd >= 0; }

    // Closes the descriptor held, if any, and holds `fd` instead.
    void reset(int fd = -1) noexcept {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
        m_fd = fd;
    }

  private:
    int m_fd = -1;
};

// Writes all `size` bytes, again after EINTR and short writes. 0 when done, else the errno of the
// write that failed (EIO for a write that wrote nothing). Throws nothing; async-signal-safe.
int write_all(int fd, const void* data, std::size_t size) noexcept;

// strerror(err), as a message shows it.
std::string errno_text(int err);

// A whole file's bytes; "" when it cannot be read (a caller that must tell "missing" from "empty"
// looks first).
std::string read_text(const std::filesystem::path& file);

} // namespace imgspec::util
