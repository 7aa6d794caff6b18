// The progress line: nothing before the delay, at most one redraw per interval, files, bytes, rate
// and ETA in the line, cleared at the end, safe from several threads, never on a non-terminal.

#include <imgspec/util/progress.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace imgspec::util;
using namespace std::chrono_literals;

namespace {

// A pipe whose read end collects what the progress wrote.
class Pipe {
  public:
    Pipe() {
        if (::pipe(m_fds) != 0) {
            throw std::runtime_error("pipe");
        }
        ::fcntl(m_fds[0], F_SETFL, O_NONBLOCK);
    }
    ~Pipe() {
        ::close(m_fds[0]);
        ::close(m_fds[1]);
    }
    int write_fd() const { return m_fds[1]; }
    std::string drain() {
        std::string out;
        char buf[4096];
        ssize_t n = 0;
        while ((n = ::read(m_fds[0], buf, sizeof buf)) > 0) {
            out.append(buf, static_cast<std::size_t>(n));
        }
        return out;
    }

  private:
    int m_fds[2] = {-1, -1};
};

struct FakeClock {
    std::chrono::steady_clock::time_point t{std::chrono::seconds(1000)};
    std::function<std::chrono::steady_clock::time_point()> fn() {
        return [this] { return t; };
    }
};

} // namespace

TEST(Progress, Formats) {
    EXPECT_EQ(format_bytes(900), "900 B");
    EXPECT_EQ(format_bytes(1536), "1.5 KiB");
    EXPECT_EQ(format_bytes(512ULL << 20), "512 MiB");
    EXPECT_EQ(format_bytes(2ULL << 30), "2.0 GiB");
    EXPECT_EQ(format_count(0), "0");
    EXPECT_EQ(format_count(1204), "1,204");
    EXPECT_EQ(format_count(1234567), "1,234,567");
    EXPECT_EQ(format_duration(9s), "9s");
    EXPECT_EQ(format_duration(125s), "2m05s");
    EXPECT_EQ(format_duration(3720s), "1h02m");
}

TEST(Progress, WithoutAByteTotalTheEtaComesFromTheFiles) {
    Pipe pipe;
    FakeClock clock;
    TerminalProgress p({pipe.write_fd(), 0ms, 100ms, 120, clock.fn()});
    p.begin("hashing", 100, 0);
    clock.t += 2s;
    p.advance(20, 3 << 20);
    std::string drawn = pipe.drain();
    EXPECT_NE(drawn.find("imgspec: hashing 20/100 files, 3.0 MiB, 1.5 MiB/s, ETA 8s"),
              std::string::npos)
        << drawn;
}

TEST(Progress, DrawsAfterTheDelayAndClearsAtTheEnd) {
    Pipe pipe;
    FakeClock clock;
    TerminalProgress p({pipe.write_fd(), 500ms, 100ms, 120, clock.fn()});
    p.begin("hashing", 10, 10ULL << 20);
    p.advance(1, 1 << 20);
    EXPECT_EQ(pipe.drain(), "") << "nothing before the delay";

    clock.t += 1s;
    p.advance(1, 1 << 20);
    std::string drawn = pipe.drain();
    EXPECT_EQ(drawn.front(), '\r');
    EXPECT_NE(drawn.find("imgspec: hashing 2/10 files, 2.0 MiB/10 MiB, 2.0 MiB/s, ETA 4s"),
              std::string::npos)
        << drawn;

    clock.t += 50ms;
    p.advance(1, 1 << 20);
    EXPECT_EQ(pipe.drain(), "") << "at most one redraw per interval";

    clock.t += 100ms;
    p.advance(0, 0);
    EXPECT_NE(pipe.drain().find("3/10 files"), std::string::npos);

    const std::size_t width = p.line().size();
    p.end();
    std::string cleared = pipe.drain();
    EXPECT_EQ(cleared.front(), '\r');
    EXPECT_EQ(cleared.back(), '\r');
    EXPECT_GE(cleared.size(), width);
    EXPECT_EQ(cleared.find_first_not_of(" \r"), std::string::npos) << "only spaces";

    clock.t += 1s;
    p.advance(1, 1);
    p.end();
    EXPECT_EQ(pipe.drain(), "") << "nothing after end()";
}

TEST(Progress, QuickWorkShowsNothing) {
    Pipe pipe;
    FakeClock clock;
    {
        TerminalProgress p({pipe.write_fd(), 500ms, 100ms, 80, clock.fn()});
        ProgressPhase phase(&p, "writing context", 3, 300);
        phase.advance(3, 300);
    }
    EXPECT_EQ(pipe.drain(), "");
}

TEST(Progress, UnknownTotalsAndNarrowTerminals) {
    Pipe pipe;
    FakeClock clock;
    TerminalProgress p({pipe.write_fd(), 0ms, 0ms, 30, clock.fn()});
    p.begin("sending context", 0, 0);
    clock.t += 2s;
    p.advance(5, 4096);
    EXPECT_EQ(p.line(), "imgspec: sending context 5 files, 4.0 KiB, 2.0 KiB/s");
    std::string drawn = pipe.drain();
    EXPECT_LE(drawn.size(), 30U) << "cut to the terminal's width";
    p.end();
}

TEST(Progress, CountsFromManyThreads) {
    Pipe pipe;
    TerminalProgress p({pipe.write_fd(), 0ms, 1ms, 200, {}});
    p.begin("hashing", 8000, 8000 * 100);
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&p] {
            for (int i = 0; i < 1000; ++i) {
                p.advance(1, 100);
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_NE(p.line().find("8,000/8,000 files"), std::string::npos) << p.line();
    p.end();
    (void)pipe.drain();
}

TEST(Progress, NoneOnANonTerminalOrWithoutAProgress) {
    Pipe pipe;
    EXPECT_EQ(terminal_progress_if_tty(pipe.write_fd()), nullptr);
    ProgressPhase phase(nullptr, "hashing", 1, 1);
    phase.advance(1, 1); // does nothing, does not crash
}
