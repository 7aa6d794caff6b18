#pragma once
// SIGINT/SIGTERM: stop the running child in order, remove what must not outlive imgspec (temp
// files, credential folders), and end with the one "interrupted" exit code, 130.

#include <filesystem>

namespace imgspec::util {

// Installs imgspec's SIGINT/SIGTERM handlers (once; later calls do nothing) and ignores SIGPIPE,
// so a child that stops reading makes a write fail with EPIPE instead of killing imgspec.
//
// While a child runs, a signal is recorded and SIGTERM is sent to the child's process group (a
// second signal, or 10 s without the child ending, sends SIGKILL); registered temp files and
// cleanup paths are removed at once; PosixProcessRunner::run then throws
// Error(ErrorKind::interrupted) once the child is gone, so destructors run and imgspec exits 130.
// With no child running the handler removes the same files and ends imgspec at once: SIGINT is
// re-raised with its default action (a calling shell sees status 130 and stops too), SIGTERM
// exits with 130.
//
// Exit status: 130 for SIGTERM as well as SIGINT. The contract has one "interrupted" code, and a
// script that checks for 130 should not have to know which signal its supervisor sent (ninja
// does the same).
void install_signal_handlers();

// True once SIGINT or SIGTERM arrived (after install_signal_handlers()).
bool interrupted() noexcept;

// A path that the signal handler removes (unlink, or rmdir for a folder), newest first, for files
// that are not AtomicFiles: a private DOCKER_CONFIG folder holding registry credentials. The
// normal removal stays the owner's job; release() (or the destructor) only takes the path off the
// list. Holds 32 paths of up to 4095 bytes; one that does not fit is skipped with a debug log.
class SignalCleanupPath {
  public:
    explicit SignalCleanupPath(const std::filesystem::path& path);
    ~SignalCleanupPath() { release(); }
    SignalCleanupPath(const SignalCleanupPath&) = delete;
    SignalCleanupPath& operator=(const SignalCleanupPath&) = delete;
    void release() noexcept;

  private:
    int m_slot = -1;
};

} // namespace imgspec::util
