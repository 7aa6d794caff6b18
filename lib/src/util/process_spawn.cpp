// Starting a child process (child_process.hpp's spawn): its pipes or pseudo-terminal, its
// environment and signal state, posix_spawnp, and its place in the signal handler's table.

#include "child_process.hpp"
#include "signal_state.hpp"

#include <imgspec/core/error.hpp>
#include <imgspec/util/fd.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <optional>
#include <string_view>

#include <fcntl.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

extern char** environ; // NOLINT: POSIX declares it nowhere in a header

namespace imgspec::util::detail {

namespace {

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

} // namespace

void throw_if_interrupted() {
    if (int sig = received_signal(); sig != 0) {
        throw Error(ErrorKind::interrupted,
                    sig == SIGTERM ? "terminated (SIGTERM)" : "interrupted");
    }
}

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
    child.slot = acquire_child_slot();
    int rc = ::posix_spawnp(&child.pid, argv_c[0], &actions, &attr, argv_c.data(), env_c.data());
    if (rc != 0) {
        release_child_slot(child.slot);
        throw_if_interrupted();
        throw Error(ErrorKind::other,
                    fmt::format("cannot run '{}': {}", spec.argv[0], errno_text(rc)));
    }
    set_child_group(child.slot, child.pid);
    if (received_signal() != 0) {
        ::kill(-child.pid, SIGTERM); // the signal came while the child was being started
    }
    return child;
}

} // namespace imgspec::util::detail
