#include <imgspec/util/process.hpp>

#include "signal_state.hpp"

#include <imgspec/core/error.hpp>
#include <imgspec/util/fd.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

extern char** environ; // NOLINT: POSIX declares it nowhere in a header

namespace imgspec::util {

namespace {

// ---------------------------------------------------------------------------------------------
// Small POSIX helpers
// ---------------------------------------------------------------------------------------------

struct Pipe {
    Fd read;
    Fd write;
};

Pipe make_pipe() {
    int fds[2];
    // O_CLOEXEC: a child started by another thread must not inherit our ends (it would hold a
    // pipe open and hide the end of file).
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        throw Error(ErrorKind::other, "cannot create a pipe: " + errno_text(errno));
    }
    return Pipe{Fd(fds[0]), Fd(fds[1])};
}

// A pseudo-terminal pair sized like imgspec's stderr, or nothing when that fails.
std::optional<Pipe> make_pty() {
    Fd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!master || ::grantpt(master.get()) != 0 || ::unlockpt(master.get()) != 0) {
        return std::nullopt;
    }
    char name[256];
    if (::ptsname_r(master.get(), name, sizeof name) != 0) {
        return std::nullopt;
    }
    Fd slave(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!slave) {
        return std::nullopt;
    }
    winsize ws{};
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0) {
        ::ioctl(slave.get(), TIOCSWINSZ, &ws);
    }
    return Pipe{std::move(master), std::move(slave)};
}

int decode_status(int status) {
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    if (WIFSIGNALED(status)) {
        return 128 + WTERMSIG(status);
    }
    return 255;
}

// The environment of the child: imgspec's, with the spec's entries added or replaced.
std::vector<std::string>
child_environment(const std::vector<std::pair<std::string, std::string>>& env) {
    std::vector<std::string> out;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        std::string_view entry(*e);
        bool replaced = std::any_of(env.begin(), env.end(), [&](const auto& kv) {
            return entry.size() > kv.first.size() && entry.substr(0, kv.first.size()) == kv.first &&
                   entry[kv.first.size()] == '=';
        });
        if (!replaced) {
            out.emplace_back(entry);
        }
    }
    for (const auto& [name, value] : env) {
        out.push_back(name + "=" + value);
    }
    return out;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (auto& s : strings) {
        out.push_back(s.data());
    }
    out.push_back(nullptr);
    return out;
}

constexpr std::size_t tee_keep = 256 * 1024;

// One output stream of the child being read by the parent.
struct Reader {
    Fd fd;
    std::string* sink = nullptr;
    bool forward = false; // tee: also to imgspec's stderr
    std::string prefix;   // ProcessSpec::forward_prefix
    std::string partial;  // with a prefix: the start of a line not yet forwarded
};

// Children of several threads forward to one stderr: a prefixed line goes out whole.
std::mutex g_forward_mutex;

// Forwards `data` to imgspec's stderr; with a prefix, line by line with the prefix in front of
// each, the end of an unfinished line kept for later (`at_end`: forwarded now, with a newline).
void forward(Reader& r, const char* data, std::size_t size, bool at_end) {
    if (r.prefix.empty()) {
        // imgspec's stderr gone: nothing sensible to do with the bytes.
        (void)write_all(STDERR_FILENO, data, size);
        return;
    }
    r.partial.append(data, size);
    std::string out;
    std::size_t from = 0;
    for (std::size_t nl; (nl = r.partial.find('\n', from)) != std::string::npos; from = nl + 1) {
        std::size_t end = nl > from && r.partial[nl - 1] == '\r' ? nl - 1 : nl;
        out += r.prefix;
        out.append(r.partial, from, end - from);
        out += '\n';
    }
    r.partial.erase(0, from);
    if (at_end && !r.partial.empty()) {
        out += r.prefix + r.partial + "\n";
        r.partial.clear();
    }
    if (!out.empty()) {
        std::lock_guard<std::mutex> lock(g_forward_mutex);
        (void)write_all(STDERR_FILENO, out.data(), out.size());
    }
}

using Clock = std::chrono::steady_clock;

// After SIGINT/SIGTERM the child's group got SIGTERM; a child that has not ended this long after
// gets SIGKILL, so imgspec never hangs on a child that ignores or is slow with SIGTERM (docker
// buildx can keep reading a large context from its stdin).
constexpr std::chrono::seconds interrupt_grace{10};
// How often the waits below look at the signal state and the deadline.
constexpr int poll_interval_ms = 100;

// Kills the child's group with SIGKILL once `interrupt_grace` has passed since the first call
// that saw a signal. `since` holds that moment.
void escalate_after_interrupt(pid_t pgid, std::optional<Clock::time_point>& since, bool& killed) {
    if (killed || detail::received_signal() == 0) {
        return;
    }
    auto now = Clock::now();
    if (!since) {
        since = now;
    } else if (now - *since >= interrupt_grace) {
        ::kill(-pgid, SIGKILL);
        killed = true;
    }
}

// Reads every reader until all reach end of file. Kills the child's group when the deadline
// passes (and keeps reading until the pipes close).
void drain(std::vector<Reader>& readers, pid_t pgid, std::optional<Clock::time_point> deadline,
           bool& timed_out, const std::function<void()>& before_forward) {
    bool forwarded = false;
    char buf[65536];
    std::optional<Clock::time_point> interrupted_at;
    bool escalated = false;
    for (;;) {
        escalate_after_interrupt(pgid, interrupted_at, escalated);
        std::vector<pollfd> fds;
        std::vector<Reader*> which;
        for (auto& r : readers) {
            if (r.fd) {
                fds.push_back(pollfd{r.fd.get(), POLLIN, 0});
                which.push_back(&r);
            }
        }
        if (fds.empty()) {
            return;
        }
        // A signal may land on another thread, so this one wakes now and then to look.
        int wait_ms = poll_interval_ms;
        if (deadline && !timed_out) {
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
            wait_ms = static_cast<int>(
                std::clamp<std::chrono::milliseconds::rep>(left.count(), 0, poll_interval_ms));
        }
        int n = ::poll(fds.data(), fds.size(), wait_ms);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw Error(ErrorKind::other, "poll failed: " + errno_text(errno));
        }
        if (n == 0) {
            if (deadline && !timed_out && Clock::now() >= *deadline) {
                timed_out = true;
                ::kill(-pgid, SIGKILL);
            }
            continue;
        }
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (fds[i].revents == 0) {
                continue;
            }
            Reader& r = *which[i];
            ssize_t got = ::read(r.fd.get(), buf, sizeof buf);
            if (got < 0 && errno == EINTR) {
                continue;
            }
            if (got <= 0) {
                // EOF, or EIO from a pseudo-terminal whose last writer closed it.
                r.fd.reset();
                if (r.forward) {
                    forward(r, buf, 0, true);
                }
                continue;
            }
            auto size = static_cast<std::size_t>(got);
            if (r.forward) {
                if (!forwarded && before_forward) {
                    before_forward();
                }
                forwarded = true;
                forward(r, buf, size, false);
            }
            r.sink->append(buf, size);
            if (r.forward && r.sink->size() > 2 * tee_keep) {
                r.sink->erase(0, r.sink->size() - tee_keep);
            }
        }
    }
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
        escalate_after_interrupt(pid, interrupted_at, escalated);
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

void throw_if_interrupted() {
    if (int sig = detail::received_signal(); sig != 0) {
        throw Error(ErrorKind::interrupted,
                    sig == SIGTERM ? "terminated (SIGTERM)" : "interrupted");
    }
}

} // namespace

namespace {

struct Child {
    pid_t pid = 0;
    int slot = -1;               // in the signal handler's table
    std::vector<Reader> readers; // its captured output streams
    Fd input;                    // the write end of its stdin, when the spec has a writer
};

// Starts the child as `spec` says, its captured streams read into `result`. Registers it with
// the signal handler.
Child spawn(const ProcessSpec& spec, ProcessResult& result) {
    Child child;
    std::vector<Fd> child_ends; // closed in the parent once the child started

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    struct Cleanup {
        posix_spawn_file_actions_t* a;
        posix_spawnattr_t* b;
        ~Cleanup() {
            posix_spawn_file_actions_destroy(a);
            posix_spawnattr_destroy(b);
        }
    } cleanup{&actions, &attr};

    if (spec.stdin_writer) {
        Pipe in = make_pipe();
        posix_spawn_file_actions_adddup2(&actions, in.read.get(), STDIN_FILENO);
        child_ends.push_back(std::move(in.read));
        child.input = std::move(in.write);
    } else {
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    }

    auto route = [&](Stream mode, int target, std::string* sink) {
        switch (mode) {
        case Stream::inherit:
            break;
        case Stream::discard:
            posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_WRONLY, 0);
            break;
        case Stream::to_stderr:
            if (target != STDERR_FILENO) {
                posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, target);
            }
            break;
        case Stream::capture:
        case Stream::tee: {
            std::optional<Pipe> p;
            if (mode == Stream::tee && target == STDERR_FILENO && spec.forward_prefix.empty() &&
                ::isatty(STDERR_FILENO) == 1) {
                p = make_pty();
            }
            if (!p) {
                p = make_pipe();
            }
            posix_spawn_file_actions_adddup2(&actions, p->write.get(), target);
            child_ends.push_back(std::move(p->write));
            child.readers.push_back(
                Reader{std::move(p->read), sink, mode == Stream::tee, spec.forward_prefix, {}});
            break;
        }
        }
    };
    route(spec.out, STDOUT_FILENO, &result.out);
    route(spec.err, STDERR_FILENO, &result.err);

    // The child starts with default signal actions (SIGPIPE is ignored here) and an empty mask,
    // in a process group of its own.
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP}) {
        sigaddset(&defaults, sig);
    }
    sigset_t empty;
    sigemptyset(&empty);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setsigmask(&attr, &empty);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(
        &attr,
        static_cast<short>(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK));

    std::vector<std::string> argv = spec.argv;
    std::vector<char*> argv_c = c_strings(argv);
    std::vector<std::string> env = child_environment(spec.env);
    std::vector<char*> env_c = c_strings(env);

    throw_if_interrupted();
    child.slot = detail::acquire_child_slot();
    int rc = ::posix_spawnp(&child.pid, argv_c[0], &actions, &attr, argv_c.data(), env_c.data());
    if (rc != 0) {
        detail::release_child_slot(child.slot);
        throw_if_interrupted();
        throw Error(ErrorKind::other,
                    fmt::format("cannot run '{}': {}", spec.argv[0], errno_text(rc)));
    }
    detail::set_child_group(child.slot, child.pid);
    if (detail::received_signal() != 0) {
        ::kill(-child.pid, SIGTERM); // the signal came while the child was being started
    }
    return child;
}

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
    Child child = spawn(spec, result);
    pid_t pid = child.pid;
    std::optional<Clock::time_point> deadline;
    if (spec.timeout.count() > 0) {
        deadline = Clock::now() + spec.timeout;
    }
    bool drain_timed_out = false;
    bool wait_timed_out = false;

    if (!child.input) {
        try {
            drain(child.readers, pid, deadline, drain_timed_out, spec.before_forward);
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
            drain(child.readers, pid, deadline, drain_timed_out, spec.before_forward);
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
