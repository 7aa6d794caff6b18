#include <imgspec/util/progress.hpp>

#include <imgspec/util/fd.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <sys/ioctl.h>
#include <unistd.h>

namespace imgspec::util {

namespace {

int terminal_width(int fd) {
    winsize ws{};
    if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
        return ws.ws_col;
    }
    return 80;
}

} // namespace

std::string format_bytes(std::uint64_t bytes) {
    static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    auto v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1024.0 && u < 4) {
        v /= 1024.0;
        ++u;
    }
    if (u == 0) {
        return fmt::format("{} B", bytes);
    }
    return v < 10.0 ? fmt::format("{:.1f} {}", v, units[u]) : fmt::format("{:.0f} {}", v, units[u]);
}

std::string format_count(std::uint64_t n) {
    std::string digits = std::to_string(n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) {
            out += ',';
        }
        out += digits[i];
    }
    return out;
}

std::string format_duration(std::chrono::seconds s) {
    auto n = s.count();
    if (n < 60) {
        return fmt::format("{}s", n);
    }
    if (n < 3600) {
        return fmt::format("{}m{:02}s", n / 60, n % 60);
    }
    return fmt::format("{}h{:02}m", n / 3600, (n % 3600) / 60);
}

TerminalProgress::TerminalProgress() : TerminalProgress(Options{}) {}

TerminalProgress::TerminalProgress(Options options) : m_options(std::move(options)) {
    if (m_options.width <= 0) {
        m_options.width = terminal_width(m_options.fd);
    }
}

TerminalProgress::~TerminalProgress() {
    end();
}

std::chrono::steady_clock::time_point TerminalProgress::now() const {
    return m_options.now ? m_options.now() : std::chrono::steady_clock::now();
}

void TerminalProgress::begin(std::string_view what, std::uint64_t total_files,
                             std::uint64_t total_bytes) {
    end();
    std::lock_guard lock(m_draw_mutex);
    m_what = std::string(what);
    m_total_files = total_files;
    m_total_bytes = total_bytes;
    m_files = 0;
    m_bytes = 0;
    m_start = now();
    m_next_draw = (m_start + m_options.delay).time_since_epoch().count();
}

void TerminalProgress::advance(std::uint64_t files, std::uint64_t bytes) {
    m_files.fetch_add(files, std::memory_order_relaxed);
    m_bytes.fetch_add(bytes, std::memory_order_relaxed);
    draw(false);
}

std::string TerminalProgress::line() const {
    const std::uint64_t files = m_files.load(std::memory_order_relaxed);
    const std::uint64_t bytes = m_bytes.load(std::memory_order_relaxed);
    std::string out = "imgspec: " + m_what + " ";
    out += m_total_files > 0
               ? fmt::format("{}/{} files", format_count(files), format_count(m_total_files))
               : fmt::format("{} files", format_count(files));
    out += m_total_bytes > 0
               ? fmt::format(", {}/{}", format_bytes(bytes), format_bytes(m_total_bytes))
               : fmt::format(", {}", format_bytes(bytes));
    const double seconds = std::chrono::duration<double>(now() - m_start).count();
    if (seconds > 0.05 && bytes > 0) {
        const double rate = static_cast<double>(bytes) / seconds;
        out += fmt::format(", {}/s", format_bytes(static_cast<std::uint64_t>(rate)));
        if (m_total_bytes > bytes) {
            const auto left = std::llround(static_cast<double>(m_total_bytes - bytes) / rate);
            out += ", ETA " + format_duration(std::chrono::seconds(left));
        }
    }
    // No byte total (files not stat'ed before they are read): the ETA from the files' rate.
    if (seconds > 0.05 && m_total_bytes == 0 && files > 0 && m_total_files > files) {
        const double left =
            static_cast<double>(m_total_files - files) * seconds / static_cast<double>(files);
        out += ", ETA " + format_duration(std::chrono::seconds(std::llround(left)));
    }
    return out;
}

void TerminalProgress::draw(bool force) {
    const auto t = now();
    const std::int64_t ticks = t.time_since_epoch().count();
    std::int64_t due = m_next_draw.load(std::memory_order_relaxed);
    if (!force) {
        if (ticks < due) {
            return;
        }
        // One thread draws; the others go back to work.
        const std::int64_t next = (t + m_options.interval).time_since_epoch().count();
        if (!m_next_draw.compare_exchange_strong(due, next)) {
            return;
        }
    }
    std::unique_lock lock(m_draw_mutex, std::try_to_lock);
    if (!lock.owns_lock() || m_what.empty()) {
        return;
    }
    std::string text = line();
    const auto width = static_cast<std::size_t>(std::max(m_options.width - 1, 10));
    if (text.size() > width) {
        text.resize(width);
    }
    std::string out = "\r" + text;
    if (text.size() < m_drawn) {
        out.append(m_drawn - text.size(), ' ');
    }
    // Best effort: a closed terminal must not fail the work.
    (void)write_all(m_options.fd, out.data(), out.size());
    m_drawn = text.size();
}

void TerminalProgress::end() noexcept {
    try {
        std::lock_guard lock(m_draw_mutex);
        if (m_drawn > 0) {
            std::string blank(m_drawn + 2, ' '); // "\r", spaces over the line, "\r"
            blank.front() = '\r';
            blank.back() = '\r';
            (void)write_all(m_options.fd, blank.data(), blank.size());
        }
        m_drawn = 0;
        m_what.clear();
    } catch (...) { // NOLINT(bugprone-empty-catch): a progress line never fails the work
    }
}

std::unique_ptr<Progress> terminal_progress_if_tty(int fd, TerminalProgress::Options options) {
    if (::isatty(fd) == 0) {
        return nullptr;
    }
    options.fd = fd;
    return std::make_unique<TerminalProgress>(std::move(options));
}

} // namespace imgspec::util
