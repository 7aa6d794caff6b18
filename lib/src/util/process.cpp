#include <imgspec/util/process.hpp>

#include "child_process.hpp"
#include "signal_state.hpp"

#include <imgspec/core/error.hpp>
#include <imgspec/util/fd.hpp>
#include <imgspec/util/strings.hpp>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <csignal>
#include <exception>
#include <optional>
#include <thread>

#include <poll.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

namespace imgspec::util {

namespace {

using detail::Child;
using detail::Clock;
using detail::throw_if_interrupted;

int decode_status(int status) {
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    if (WIFSIGNALED(status)) {
        return 128 + WTERMSIG(status);
    }
    return 255;
}

// Waits for the child to end without reaping it, so its pid (and process group) cannot be reused
// while the signal handler may still send to it; then takes it off the handler's list (`slot`)
// and reaps.
int wait_child(pid_t pid, int slot, std::optional<Clock::time_point> deadline, bool& timed_out) {
    std::optional<Clock::time_point> interrupted_at;
    bool escalated = false;
    for (;;) {
        // Polls rather than blocks: a signal handled by another thread would not wake a blocking
        // waitid, and an interrupted child that does not end must still be killed.
        siginfo_t info{};
        if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT | WNOHANG) != 0) {
            if (errno == EINTR) {
                continue;
            }
            throw Error(ErrorKind::other, "waitid failed: " + errno_text(errno));
        }
        if (info.si_pid == pid) {
            break;
        }
        if (deadline && !timed_out && Clock::now() >= *deadline) {
            timed_out = true;
            ::kill(-pid, SIGKILL);
            continue;
        }
        detail::escalate_after_interrupt(pid, interrupted_at, escalated);
        ::usleep(10000);
    }
    detail::release_child_slot(slot);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            throw Error(ErrorKind::other, "waitpid failed: " + errno_text(errno));
        }
    }
    return decode_status(status);
}

// A write end whose reader is gone reports POLLERR on Linux.
bool reader_gone(int write_fd) {
    pollfd p{write_fd, POLLOUT, 0};
    return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLERR | POLLHUP)) != 0;
}

// Blocks SIGPIPE on the calling thread; on destruction discards one raised meanwhile (a write to
// a closed pipe raises it for the writing thread) and restores the mask.
class SigpipeBlock {
  public:
    SigpipeBlock() {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGPIPE);
        sigset_t pending;
        sigemptyset(&pending);
        ::sigpending(&pending);
        m_was_pending = sigismember(&pending, SIGPIPE) == 1;
        ::pthread_sigmask(SIG_BLOCK, &set, &m_old);
    }
    ~SigpipeBlock() {
        sigset_t pending;
        sigemptyset(&pending);
        ::sigpending(&pending);
        if (!m_was_pending && sigismember(&pending, SIGPIPE) == 1) {
            sigset_t set;
            sigemptyset(&set);
            sigaddset(&set, SIGPIPE);
            timespec zero{0, 0};
            while (::sigtimedwait(&set, nullptr, &zero) < 0 && errno == EINTR) {
            }
        }
        ::pthread_sigmask(SIG_SETMASK, &m_old, nullptr);
    }
    SigpipeBlock(const SigpipeBlock&) = delete;
    SigpipeBlock& operator=(const SigpipeBlock&) = delete;

  private:
    sigset_t m_old{};
    bool m_was_pending = false;
};

} // namespace

ProcessResult PosixProcessRunner::run(const ProcessSpec& spec) {
    if (spec.argv.empty()) {
        throw Error(ErrorKind::other, "internal error: empty argv");
    }
    if (spdlog::should_log(spdlog::level::debug)) {
        std::string names;
        for (const auto& kv : spec.env) {
            names += (names.empty() ? "" : ", ") + kv.first;
        }
        // Names only: a value could be a credential.
        spdlog::debug("running: {}{}", shell_join(spec.argv),
                      names.empty() ? "" : " (environment: " + names + ")");
    }

    ProcessResult result;
    Child child = detail::spawn(spec, result);
    pid_t pid = child.pid;
    std::optional<Clock::time_point> deadline;
    if (spec.timeout.count() > 0) {
        deadline = Clock::now() + spec.timeout;
    }
    bool drain_timed_out = false;
    bool wait_timed_out = false;

    if (!child.input) {
        try {
            detail::drain(child.readers, pid, deadline, drain_timed_out, spec.before_forward);
        } catch (...) {
            ::kill(-pid, SIGKILL);
            bool ignored = false;
            wait_child(pid, child.slot, std::nullopt, ignored);
            throw;
        }
        result.exit_code = wait_child(pid, child.slot, deadline, wait_timed_out);
        result.timed_out = drain_timed_out || wait_timed_out;
        throw_if_interrupted();
        return result;
    }

    // Output is drained by a second thread while this one writes stdin: a child that writes a lot
    // before it reads everything would otherwise block on a full pipe while we block on its stdin.
    std::exception_ptr drain_error;
    std::thread drainer([&] {
        try {
            detail::drain(child.readers, pid, deadline, drain_timed_out, spec.before_forward);
        } catch (...) {
            drain_error = std::current_exception();
        }
    });
    std::exception_ptr writer_error;
    bool consumer_gone = false;
    {
        // A reader that went away must make the write fail with EPIPE, not kill imgspec, even
        // when SIGPIPE was not ignored (install_signal_handlers): block it on this thread.
        SigpipeBlock block;
        try {
            spec.stdin_writer(child.input.get());
        } catch (...) {
            writer_error = std::current_exception();
            consumer_gone = reader_gone(child.input.get());
        }
    }
    if (writer_error && !consumer_gone) {
        // The input failed while the child still reads it: stop the child before it sees the
        // end of its stdin, so it cannot take a partial input for a whole one.
        ::kill(-pid, SIGTERM);
        child.input.reset();
        bool ignored = false;
        auto grace = Clock::now() + std::chrono::seconds(10);
        // The drainer ends when the child's group closes its output; SIGKILL after the grace.
        result.exit_code = wait_child(pid, child.slot, grace, ignored);
        drainer.join();
        throw_if_interrupted();
        std::rethrow_exception(writer_error);
    }
    child.input.reset();
    drainer.join();
    result.exit_code = wait_child(pid, child.slot, deadline, wait_timed_out);
    result.timed_out = drain_timed_out || wait_timed_out;
    throw_if_interrupted();
    if (drain_error) {
        std::rethrow_exception(drain_error);
    }
    if (writer_error) {
        // The child stopped reading. When it failed, its exit code and stderr tell why; when it
        // claims success, the input it got was incomplete and that is an error of its own.
        if (result.exit_code == 0) {
            std::rethrow_exception(writer_error);
        }
        try {
            std::rethrow_exception(writer_error);
        } catch (const std::exception& e) {
            spdlog::debug("{} stopped reading its input: {}", spec.argv[0], e.what());
        }
    }
    return result;
}

} // namespace imgspec::util
