// Reading a child's output while it runs (child_process.hpp's drain): captured, teed to
// imgspec's stderr (line by line with a prefix), and the child's group killed at a deadline or
// some time after an interrupt.

#include "child_process.hpp"
#include "signal_state.hpp"

#include <imgspec/core/error.hpp>
#include <imgspec/util/fd.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <mutex>

#include <poll.h>
#include <unistd.h>

namespace imgspec::util::detail {

namespace {

constexpr std::size_t tee_keep = 256 * 1024;

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

// After SIGINT/SIGTERM the child's group got SIGTERM; a child that has not ended this long after
// gets SIGKILL, so imgspec never hangs on a child that ignores or is slow with SIGTERM (docker
// buildx can keep reading a large context from its stdin).
constexpr std::chrono::seconds interrupt_grace{10};
// How often the waits below look at the signal state and the deadline.
constexpr int poll_interval_ms = 100;

} // namespace

// Kills the child's group with SIGKILL once `interrupt_grace` has passed since the first call
// that saw a signal. `since` holds that moment.
void escalate_after_interrupt(pid_t pgid, std::optional<Clock::time_point>& since, bool& killed) {
    if (killed || received_signal() == 0) {
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

} // namespace imgspec::util::detail
