#include <imgspec/util/signals.hpp>

#include "signal_safe_paths.hpp"
#include "signal_state.hpp"

#include <imgspec/util/atomic_file.hpp>

#include <spdlog/spdlog.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <string>

#include <unistd.h>

namespace imgspec::util {

namespace {

// Only lock-free atomics and async-signal-safe calls are touched by the handler.
// One slot per running child: its process group, detail::spawning or detail::no_child.
std::atomic<int> g_children[detail::child_slots];
std::atomic<int> g_signal{0};
std::atomic<int> g_signal_count{0};
std::atomic<bool> g_installed{false};

// SignalCleanupPath's paths.
constinit detail::SignalSafePaths g_cleanup;

void remove_cleanup_paths_signal_safe() noexcept {
    // Files first, then folders (now empty); a few rounds for nested folders. Order-free, so the
    // handler needs no sorting.
    for (int round = 0; round < 3; ++round) {
        g_cleanup.for_each_live([](const char* path) {
            if (::unlink(path) != 0 && (errno == EISDIR || errno == EPERM)) {
                ::rmdir(path);
            }
        });
    }
}

void on_signal(int sig) {
    int saved_errno = errno;
    int expected = 0;
    g_signal.compare_exchange_strong(expected, sig);
    int count = g_signal_count.fetch_add(1) + 1;
    remove_registered_temp_files_signal_safe();
    remove_cleanup_paths_signal_safe();
    bool children = false;
    for (auto& slot : g_children) {
        int pgid = slot.load();
        if (pgid > 0) {
            // The child has a process group of its own, so the terminal's Ctrl-C did not reach
            // it: stop it here; PosixProcessRunner::run throws once it is gone. A second Ctrl-C
            // means "now".
            ::kill(-pgid, count == 1 ? SIGTERM : SIGKILL);
        }
        children = children || pgid != detail::no_child;
    }
    if (!children) {
        // Nothing to wait for. SIGINT: die of it, so a calling shell stops too (status 130).
        // SIGTERM: exit 130 as well, the one documented "interrupted" code (dying of it would be
        // 143).
        if (sig == SIGTERM) {
            ::_exit(128 + SIGINT);
        }
        ::signal(sig, SIG_DFL);
        ::raise(sig);
    }
    errno = saved_errno;
}

} // namespace

namespace detail {

int acquire_child_slot() noexcept {
    for (;;) {
        for (int i = 0; i < child_slots; ++i) {
            int expected = no_child;
            if (g_children[i].compare_exchange_strong(expected, spawning)) {
                return i;
            }
        }
        ::usleep(10000); // every slot taken: wait for a child to end
    }
}

void set_child_group(int slot, int pgid) noexcept {
    g_children[slot].store(pgid);
}

void release_child_slot(int slot) noexcept {
    g_children[slot].store(no_child);
}

int received_signal() noexcept {
    return g_signal.load();
}

} // namespace detail

void install_signal_handlers() {
    if (g_installed.exchange(true)) {
        return;
    }
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    // Block the other one while handling, so the two never interleave in the handler.
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sa.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
}

bool interrupted() noexcept {
    return g_signal.load() != 0;
}

SignalCleanupPath::SignalCleanupPath(const std::filesystem::path& path) {
    std::string p = std::filesystem::absolute(path).string();
    if (p.size() >= detail::SignalSafePaths::path_size) {
        spdlog::debug("{}: path too long to be removed on a signal", p);
        return;
    }
    m_slot = g_cleanup.add(p);
    if (m_slot < 0) {
        spdlog::debug("{}: no free slot to remove it on a signal", p);
    }
}

void SignalCleanupPath::release() noexcept {
    g_cleanup.remove(m_slot);
    m_slot = -1;
}

} // namespace imgspec::util
