#include <imgspec/util/atomic_file.hpp>

#include "signal_safe_paths.hpp"

#include <imgspec/core/error.hpp>
#include <imgspec/util/fd.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace imgspec::util {

namespace {

// The temp files of live AtomicFiles, for the signal handler.
constinit detail::SignalSafePaths g_temp_files;

} // namespace

void remove_registered_temp_files_signal_safe() noexcept {
    int saved_errno = errno;
    g_temp_files.for_each_live([](const char* path) { ::unlink(path); });
    errno = saved_errno;
}

AtomicFile::AtomicFile(std::filesystem::path target, unsigned mode)
    : m_target(std::move(target)), m_mode(mode) {
    // Absolute, so the signal handler's unlink does not depend on the current directory.
    std::filesystem::path absolute = std::filesystem::absolute(m_target);
    std::string tmpl =
        (absolute.parent_path() / ("." + absolute.filename().string() + ".tmp.XXXXXX")).string();
    // mkostemp for O_CLOEXEC: mkstemp's descriptor would leak into the docker child process.
    m_fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
    if (m_fd < 0) {
        int err = errno;
        throw Error(ErrorKind::other, fmt::format("cannot create a temporary file beside {}: {}",
                                                  m_target.string(), errno_text(err)));
    }
    m_temp = tmpl;
    m_slot = g_temp_files.add(tmpl);
}

AtomicFile::~AtomicFile() {
    abort();
}

void AtomicFile::write(const void* data, std::size_t size) {
    if (m_fd < 0) {
        throw Error(
            ErrorKind::other,
            fmt::format("internal error: {} written after commit or abort", m_target.string()));
    }
    if (int err = write_all(m_fd, data, size); err != 0) {
        throw Error(ErrorKind::other,
                    fmt::format("cannot write {}: {}", m_temp.string(), errno_text(err)));
    }
}

void AtomicFile::commit(Durability durability) {
    if (m_fd < 0) {
        throw Error(
            ErrorKind::other,
            fmt::format("internal error: {} committed after commit or abort", m_target.string()));
    }
    auto fail = [this](const char* what, int err) {
        std::string message =
            fmt::format("cannot {} {}: {}", what, m_target.string(), errno_text(err));
        abort();
        throw Error(ErrorKind::other, message);
    };

    // mkostemp made the file 0600; a replaced file keeps its permissions.
    mode_t mode = static_cast<mode_t>(m_mode & 07777);
    struct stat st {};
    if (::stat(m_target.c_str(), &st) == 0) {
        mode = st.st_mode & 07777;
    }
    if (::fchmod(m_fd, mode) != 0) {
        fail("set the permissions of", errno);
    }
    if (durability == Durability::synced && ::fsync(m_fd) != 0) {
        fail("write", errno);
    }
    int fd = m_fd;
    m_fd = -1;
    if (::close(fd) != 0) {
        fail("write", errno);
    }
    if (::rename(m_temp.c_str(), m_target.c_str()) != 0) {
        fail("replace", errno);
    }
    m_committed = true;
    m_finished = true;
    release_slot();

    if (durability == Durability::unsynced) {
        return;
    }
    // Makes the rename itself durable. Best effort: some file systems refuse fsync on a folder.
    std::filesystem::path dir = std::filesystem::absolute(m_target).parent_path();
    int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
        ::fsync(dir_fd);
        ::close(dir_fd);
    }
}

void AtomicFile::abort() noexcept {
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
    }
    if (!m_finished) {
        // Unlink before leaving the registry: a signal in between finds the path already gone,
        // which is harmless; the reverse order could leak the file.
        ::unlink(m_temp.c_str());
        release_slot();
        m_finished = true;
    }
}

void AtomicFile::release_slot() noexcept {
    g_temp_files.remove(m_slot);
    m_slot = -1;
}

} // namespace imgspec::util
