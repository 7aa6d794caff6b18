#pragma once
// Progress of long work over many files (hashing the files of a large context, streaming it as a
// tar): a small interface that the library calls and the app implements, so that plan and context
// stay free of terminals. A null Progress* means "nobody is watching": every call site checks.
//
// Where the library calls it (PlanOptions::progress, TarOptions::progress):
//   plan:    begin("hashing", files to read, their bytes) before the files are read, advance(0, n)
//            after each chunk read, advance(1, 0) after each file, end() when done or failed.
//   context: begin("sending context", file entries, their bytes), the same advances while the
//            files stream, end() after the last block or on failure.
//   build:   also end() from the thread that forwards buildx's output, before its first byte
//            (BuildOptions::context_progress), while the tar still streams: advance() calls after
//            an end() and before the next begin() show nothing, and the later end() is harmless.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace imgspec::util {

class Progress {
  public:
    virtual ~Progress() = default;
    // A phase starts. Totals are 0 when unknown. A second begin() without end() starts over.
    virtual void begin(std::string_view what, std::uint64_t total_files,
                       std::uint64_t total_bytes) = 0;
    // The work done grows by these amounts. Thread-safe and cheap (atomics, a clock read), so it
    // may be called for every chunk of every file from several threads.
    virtual void advance(std::uint64_t files, std::uint64_t bytes) = 0;
    // The phase ended, done or failed, or its display must stop (see "build" above). May be called
    // again, and from another thread than advance(). Never throws.
    virtual void end() noexcept = 0;
};

// begin() on construction, end() on destruction; does nothing with a null Progress.
class ProgressPhase {
  public:
    ProgressPhase(Progress* p, std::string_view what, std::uint64_t total_files,
                  std::uint64_t total_bytes)
        : m_progress(p) {
        if (m_progress != nullptr) {
            m_progress->begin(what, total_files, total_bytes);
        }
    }
    ~ProgressPhase() {
        if (m_progress != nullptr) {
            m_progress->end();
        }
    }
    ProgressPhase(const ProgressPhase&) = delete;
    ProgressPhase& operator=(const ProgressPhase&) = delete;

    void advance(std::uint64_t files, std::uint64_t bytes) const {
        if (m_progress != nullptr) {
            m_progress->advance(files, bytes);
        }
    }

  private:
    Progress* m_progress;
};

// One line on a terminal, redrawn at most every `interval`, first drawn only once the phase has
// run for `delay` (so quick work shows nothing):
//   "imgspec: hashing 1,204/5,000 files, 512 MiB/2.0 GiB, 180 MiB/s, ETA 9s"
// The line is redrawn with "\r" and padded with spaces (no escape sequences, so any terminal
// works), cut to the terminal's width, and cleared by end().
class TerminalProgress final : public Progress {
  public:
    struct Options {
        int fd = 2;
        std::chrono::milliseconds delay{500};
        std::chrono::milliseconds interval{100};
        int width = 0; // columns; 0: ask the terminal (TIOCGWINSZ), else 80
        // The clock, for tests; empty: std::chrono::steady_clock.
        std::function<std::chrono::steady_clock::time_point()> now;
    };

    TerminalProgress();
    explicit TerminalProgress(Options options);
    ~TerminalProgress() override;

    void begin(std::string_view what, std::uint64_t total_files,
               std::uint64_t total_bytes) override;
    void advance(std::uint64_t files, std::uint64_t bytes) override;
    void end() noexcept override;

    // The line as it would be drawn now (for tests).
    std::string line() const;

  private:
    std::chrono::steady_clock::time_point now() const;
    void draw(bool force);

    Options m_options;
    std::string m_what;
    std::uint64_t m_total_files = 0;
    std::uint64_t m_total_bytes = 0;
    std::atomic<std::uint64_t> m_files{0};
    std::atomic<std::uint64_t> m_bytes{0};
    std::chrono::steady_clock::time_point m_start;
    std::atomic<std::int64_t> m_next_draw{0}; // steady_clock ticks
    std::mutex m_draw_mutex;
    std::size_t m_drawn = 0; // characters on the line now
};

// "1.5 GiB", "512 MiB", "12 KiB", "900 B".
std::string format_bytes(std::uint64_t bytes);
// "1,204".
std::string format_count(std::uint64_t n);
// "9s", "2m05s", "1h02m".
std::string format_duration(std::chrono::seconds s);

// A TerminalProgress on `fd` when it is a terminal, else nullptr (so that logs, pipes and CI
// output stay free of redraws).
std::unique_ptr<Progress> terminal_progress_if_tty(int fd, TerminalProgress::Options options = {});

} // namespace imgspec::util
