#include "unit/test_util.hpp"

#include <imgspec/core/error.hpp>
#include <imgspec/util/process.hpp>
#include <imgspec/util/strings.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

namespace fs = std::filesystem;
using imgspec::Error;
using imgspec::ErrorKind;
using imgspec::test::TempDir;
using imgspec::util::PosixProcessRunner;
using imgspec::util::ProcessResult;
using imgspec::util::ProcessSpec;
using imgspec::util::Stream;

namespace {

ProcessResult run(std::vector<std::string> argv) {
    ProcessSpec spec;
    spec.argv = std::move(argv);
    spec.timeout = std::chrono::seconds(60);
    return PosixProcessRunner().run(spec);
}

// Writes `total` bytes of a repeating pattern in 64 KiB chunks.
void write_bytes(int fd, std::size_t total) {
    std::string chunk(65536, 'x');
    for (std::size_t i = 0; i < chunk.size(); ++i) {
        chunk[i] = static_cast<char>('a' + i % 26);
    }
    while (total > 0) {
        std::size_t n = std::min(total, chunk.size());
        const char* p = chunk.data();
        std::size_t left = n;
        while (left > 0) {
            ssize_t w = ::write(fd, p, left);
            if (w < 0) {
                if (errno == EINTR) {
                    continue;
                }
                throw Error(ErrorKind::other, "write failed: " + std::string(std::strerror(errno)));
            }
            p += w;
            left -= static_cast<std::size_t>(w);
        }
        total -= n;
    }
}

constexpr std::size_t mib = 1024 * 1024;

} // namespace

TEST(Process, CapturesStdoutAndStderrSeparately) {
    ProcessResult r = run({"sh", "-c", "echo out; echo err >&2; echo more"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "out\nmore\n");
    EXPECT_EQ(r.err, "err\n");
    EXPECT_FALSE(r.timed_out);
}

TEST(Process, ReportsExitCodes) {
    EXPECT_EQ(run({"true"}).exit_code, 0);
    EXPECT_EQ(run({"false"}).exit_code, 1);
    EXPECT_EQ(run({"sh", "-c", "exit 42"}).exit_code, 42);
}

TEST(Process, ASignalDeathIs128PlusTheSignal) {
    EXPECT_EQ(run({"sh", "-c", "kill -TERM $$"}).exit_code, 128 + SIGTERM);
}

TEST(Process, ArgvIsNotShellInterpreted) {
    ProcessResult r =
        run({"printf", "%s|", "a b", "'q'", "\"dq\"", "$HOME", "`id`", "; rm -rf /", "*", ""});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "a b|'q'|\"dq\"|$HOME|`id`|; rm -rf /|*||");
}

TEST(Process, EnvironmentAddsAndOverrides) {
    ::setenv("IMGSPEC_PROCESS_TEST_OLD", "old", 1);
    ::setenv("IMGSPEC_PROCESS_TEST_KEEP", "kept", 1);
    ProcessSpec spec;
    spec.argv = {"sh", "-c",
                 "echo \"$IMGSPEC_PROCESS_TEST_OLD|$IMGSPEC_PROCESS_TEST_NEW|"
                 "$IMGSPEC_PROCESS_TEST_KEEP\"; env | grep -c '^IMGSPEC_PROCESS_TEST_OLD='"};
    spec.env = {{"IMGSPEC_PROCESS_TEST_OLD", "new value with spaces"},
                {"IMGSPEC_PROCESS_TEST_NEW", "added"}};
    ProcessResult r = PosixProcessRunner().run(spec);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "new value with spaces|added|kept\n1\n");
    // Our own environment is untouched.
    EXPECT_STREQ(std::getenv("IMGSPEC_PROCESS_TEST_OLD"), "old");
    ::unsetenv("IMGSPEC_PROCESS_TEST_OLD");
    ::unsetenv("IMGSPEC_PROCESS_TEST_KEEP");
}

TEST(Process, StdinIsDevNullWithoutAWriter) {
    ProcessResult r = run({"wc", "-c"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(std::stoi(r.out), 0);
}

TEST(Process, Streams50MiBIntoStdin) {
    ProcessSpec spec;
    spec.argv = {"sh", "-c", "cat > /dev/null && echo ok"};
    spec.stdin_writer = [](int fd) { write_bytes(fd, 50 * mib); };
    spec.timeout = std::chrono::seconds(60);
    ProcessResult r = PosixProcessRunner().run(spec);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "ok\n");

    spec.argv = {"wc", "-c"};
    r = PosixProcessRunner().run(spec);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(std::stoull(r.out), 50 * mib);
}

// cat echoes its input while we still write it: without draining stdout concurrently both sides
// would block on full pipes.
TEST(Process, EchoingChildDoesNotDeadlock) {
    ProcessSpec spec;
    spec.argv = {"cat"};
    spec.stdin_writer = [](int fd) { write_bytes(fd, 20 * mib); };
    spec.timeout = std::chrono::seconds(60);
    ProcessResult r = PosixProcessRunner().run(spec);
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 0);
    ASSERT_EQ(r.out.size(), 20 * mib);
    EXPECT_EQ(r.out.substr(0, 3), "abc");
}

TEST(Process, LotsOfStderrAndStdoutAtOnceAreDrained) {
    // 4 MiB on each stream, interleaved: more than a pipe holds.
    ProcessResult r =
        run({"sh", "-c", "head -c 4194304 /dev/zero; head -c 4194304 /dev/zero >&2; echo done"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out.size(), 4 * mib + 5);
    EXPECT_EQ(r.err.size(), 4 * mib);
}

TEST(Process, ChildThatStopsReadingReportsItsOwnFailure) {
    ProcessSpec spec;
    spec.argv = {"sh", "-c", "echo bad flag >&2; exit 3"};
    spec.stdin_writer = [](int fd) { write_bytes(fd, 10 * mib); };
    ProcessResult r = PosixProcessRunner().run(spec);
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(r.err, "bad flag\n");
}

TEST(Process, ChildThatSucceedsOnPartialInputIsAnError) {
    ::signal(SIGPIPE, SIG_IGN);
    ProcessSpec spec;
    spec.argv = {"head", "-c", "10"};
    spec.stdin_writer = [](int fd) { write_bytes(fd, 10 * mib); };
    EXPECT_THROW(PosixProcessRunner().run(spec), Error);
}

// The context writer fails midway (a file changed): the child must be stopped before it sees the
// end of its input, so it cannot take a partial context for a whole one.
TEST(Process, FailingWriterStopsTheChildBeforeEndOfInput) {
    TempDir dir;
    fs::path marker = dir.path() / "saw-eof";
    ProcessSpec spec;
    spec.argv = {"sh", "-c", "cat > /dev/null; touch '" + marker.string() + "'"};
    spec.stdin_writer = [](int fd) {
        write_bytes(fd, 1 * mib);
        throw std::runtime_error("file changed");
    };
    auto t0 = std::chrono::steady_clock::now();
    try {
        PosixProcessRunner().run(spec);
        FAIL() << "expected the writer's exception";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "file changed");
    }
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_FALSE(fs::exists(marker)) << "the child read to the end of its input";
}

TEST(Process, TimeoutKillsTheChild) {
    ProcessSpec spec;
    spec.argv = {"sleep", "30"};
    spec.timeout = std::chrono::milliseconds(200);
    auto t0 = std::chrono::steady_clock::now();
    ProcessResult r = PosixProcessRunner().run(spec);
    EXPECT_TRUE(r.timed_out);
    EXPECT_EQ(r.exit_code, 128 + SIGKILL);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

TEST(Process, MissingProgramThrows) {
    try {
        run({"imgspec-no-such-program-xyz"});
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::other);
        EXPECT_NE(std::string(e.what()).find("imgspec-no-such-program-xyz"), std::string::npos);
    }
}

TEST(Process, ChildHasItsOwnProcessGroup) {
    // Field 5 of /proc/PID/stat is the process group.
    ProcessResult r = run({"sh", "-c", "echo $$; cut -d' ' -f5 /proc/$$/stat"});
    ASSERT_EQ(r.exit_code, 0);
    auto nl = r.out.find('\n');
    long pid = std::stol(r.out.substr(0, nl));
    long pgid = std::stol(r.out.substr(nl + 1));
    EXPECT_EQ(pgid, pid);
    EXPECT_NE(pgid, static_cast<long>(::getpgrp()));
}

TEST(Process, ChildDoesNotInheritIgnoredSigpipe) {
    imgspec::util::install_signal_handlers(); // ignores SIGPIPE here
    ProcessResult r = run({"grep", "SigIgn", "/proc/self/status"});
    ASSERT_EQ(r.exit_code, 0);
    unsigned long long mask = std::stoull(r.out.substr(r.out.find(':') + 1), nullptr, 16);
    EXPECT_EQ(mask & (1ULL << (SIGPIPE - 1)), 0u) << r.out;
}

TEST(Process, DiscardAndToStderr) {
    ProcessSpec spec;
    spec.argv = {"sh", "-c", "echo a; echo b >&2"};
    spec.out = Stream::discard;
    spec.err = Stream::discard;
    ProcessResult r = PosixProcessRunner().run(spec);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "");
}

TEST(Process, TeeCapturesWhatItForwards) {
    ProcessSpec spec;
    spec.argv = {"sh", "-c", "echo progress >&2; echo 'ERROR: boom' >&2; exit 1"};
    spec.out = Stream::to_stderr;
    spec.err = Stream::tee;
    ProcessResult r = PosixProcessRunner().run(spec);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("ERROR: boom"), std::string::npos);
}

// The hook that clears imgspec's progress line: once, before the first forwarded byte, while the
// stdin writer still runs; never for a child that forwards nothing.
TEST(Process, BeforeForwardRunsOnceBeforeTheFirstForwardedByte) {
    ProcessSpec spec;
    spec.argv = {"sh", "-c", "echo one >&2; cat >/dev/null; echo two >&2"};
    spec.out = Stream::discard;
    spec.err = Stream::tee;
    std::atomic<int> calls{0};
    std::atomic<bool> writer_done{false};
    std::atomic<bool> called_while_writing{false};
    spec.before_forward = [&] {
        ++calls;
        called_while_writing = !writer_done.load();
    };
    spec.stdin_writer = [&](int fd) {
        // Until the child's first line was forwarded (or 10 s passed), keep its stdin open.
        for (int i = 0; i < 1000 && calls.load() == 0; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        write_bytes(fd, 1000);
        writer_done = true;
    };
    ProcessResult r = PosixProcessRunner().run(spec);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(calls.load(), 1);
    EXPECT_TRUE(called_while_writing.load());

    ProcessSpec quiet;
    quiet.argv = {"true"};
    quiet.err = Stream::tee;
    int quiet_calls = 0;
    quiet.before_forward = [&] { ++quiet_calls; };
    EXPECT_EQ(PosixProcessRunner().run(quiet).exit_code, 0);
    EXPECT_EQ(quiet_calls, 0);
}

TEST(Process, ShellJoinQuotesOnlyWhatNeedsIt) {
    using imgspec::util::shell_join;
    EXPECT_EQ(shell_join({"docker", "buildx", "--platform", "linux/amd64,linux/arm64"}),
              "docker buildx --platform linux/amd64,linux/arm64");
    EXPECT_EQ(shell_join({"a b", "it's", "", "{{json .Image}}"}),
              "'a b' 'it'\\''s' '' '{{json .Image}}'");
}

// Bodies of the death tests: run in a forked child, ending with _Exit or a signal.
[[noreturn]] static void interrupt_while_child_runs() {
    imgspec::util::install_signal_handlers();
    std::thread killer([] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        ::kill(::getpid(), SIGINT);
    });
    auto t0 = std::chrono::steady_clock::now();
    int code = 1;
    try {
        ProcessSpec spec;
        spec.argv = {"sleep", "30"};
        PosixProcessRunner().run(spec);
    } catch (const Error& e) {
        bool quick = std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5);
        code = e.kind() == ErrorKind::interrupted && quick ? 42 : 2;
    }
    killer.join();
    std::_Exit(code);
}

// SIGTERM while a child that ignores SIGTERM runs (docker buildx can be slow to end while it
// still reads a large context): SIGKILL after the grace, so imgspec does not hang.
[[noreturn]] static void interrupt_while_stubborn_child_runs() {
    imgspec::util::install_signal_handlers();
    std::thread killer([] {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        ::kill(::getpid(), SIGTERM);
    });
    auto t0 = std::chrono::steady_clock::now();
    int code = 1;
    try {
        ProcessSpec spec;
        spec.argv = {"sh", "-c", "trap '' TERM; sleep 60 & wait; sleep 60"};
        PosixProcessRunner().run(spec);
    } catch (const Error& e) {
        bool bounded = std::chrono::steady_clock::now() - t0 < std::chrono::seconds(30);
        code = e.kind() == ErrorKind::interrupted && bounded ? 42 : 2;
    }
    killer.join();
    std::_Exit(code);
}

[[noreturn]] static void signal_without_child(const fs::path& folder, const fs::path& secret,
                                              int sig) {
    fs::create_directory(folder);
    std::ofstream(secret) << "{}";
    imgspec::util::SignalCleanupPath a(folder);
    imgspec::util::SignalCleanupPath b(secret);
    imgspec::util::install_signal_handlers();
    ::raise(sig);
    std::_Exit(0);
}

// SIGINT while a child runs: the child's group gets SIGTERM, run() throws Error(interrupted).
TEST(ProcessDeathTest, InterruptStopsTheChildAndThrows) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(interrupt_while_child_runs(), ::testing::ExitedWithCode(42), "");
}

TEST(ProcessDeathTest, InterruptKillsAChildThatIgnoresSigterm) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(interrupt_while_stubborn_child_runs(), ::testing::ExitedWithCode(42), "");
}

// With no child running, the handler removes the registered paths and ends the process: SIGINT
// by dying of it (a calling shell stops too), SIGTERM with the one "interrupted" exit code, 130.
TEST(ProcessDeathTest, SignalWithoutChildRemovesCleanupPathsAndDies) {
    // "fast" forks without re-running the test binary, so the child uses this TempDir's path.
    GTEST_FLAG_SET(death_test_style, "fast");
    TempDir dir;
    fs::path folder = dir.path() / "docker-config";
    fs::path secret = folder / "config.json";
    EXPECT_EXIT(signal_without_child(folder, secret, SIGINT), ::testing::KilledBySignal(SIGINT),
                "");
    EXPECT_FALSE(fs::exists(secret));
    EXPECT_FALSE(fs::exists(folder));
    EXPECT_EXIT(signal_without_child(folder, secret, SIGTERM), ::testing::ExitedWithCode(130), "");
    EXPECT_FALSE(fs::exists(secret));
    EXPECT_FALSE(fs::exists(folder));
}
