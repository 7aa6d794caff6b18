#pragma once
// Child processes by argv only (never `sh -c`), with explicit stdin, captured or forwarded output,
// and Ctrl-C handling that stops the child and cleans up before imgspec exits 130.
//
// ProcessRunner is the seam between imgspec and docker: the build and registry code only talk to
// the interface, so unit tests run them against a fake (as ninja's CommandRunner).

#include <imgspec/util/signals.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace imgspec::util {

// Where one of the child's output streams goes.
enum class Stream {
    inherit,   // imgspec's own stream
    capture,   // into ProcessResult::out / err, drained while the child runs
    discard,   // /dev/null
    to_stderr, // imgspec's stderr (for stdout: keeps imgspec's stdout for its own output)
    // Forwarded to imgspec's stderr as it arrives and captured too (the last 256 KiB), for long
    // runs whose errors imgspec must read. For the child's stderr, when imgspec's stderr is a
    // terminal, the child writes to a pseudo-terminal instead of a pipe, so tools such as buildx
    // still draw their interactive progress (and the captured text has "\r\n" line ends).
    tee,
};

struct ProcessSpec {
    std::vector<std::string> argv; // argv[0] is looked up in PATH
    // Added to (or replacing in) imgspec's environment, in order; the rest is inherited.
    std::vector<std::pair<std::string, std::string>> env;
    // Writes the child's stdin through this descriptor (a pipe); it must not close it. Empty:
    // stdin is /dev/null. SIGPIPE is blocked on the writing thread, so a child that stops
    // reading makes its writes fail with EPIPE. It may throw: the child's process group is then
    // stopped before its stdin is closed, so the child never sees the end of a partial input, and
    // the exception is rethrown.
    std::function<void(int fd)> stdin_writer;
    Stream out = Stream::capture;
    Stream err = Stream::capture;
    // Called once, on the thread that drains the child's output, just before the first bytes of a
    // `tee` stream reach imgspec's stderr: the moment to clear a progress line of imgspec's own
    // on that terminal, so the child's output starts on a clean line. It must not throw.
    std::function<void()> before_forward;
    // When not empty, a `tee` stream is forwarded line by line, each line with this in front and
    // written whole (children of several threads share imgspec's stderr), and never through a
    // pseudo-terminal (a tool draws no redrawn progress into a pipe).
    std::string forward_prefix;
    // 0: no limit. On expiry the child's process group is killed and `timed_out` is set.
    std::chrono::milliseconds timeout{0};
};

struct ProcessResult {
    int exit_code = 0; // the child's exit status; 128 + N when signal N ended it
    std::string out;   // Stream::capture / tee only
    std::string err;
    bool timed_out = false;
};

// Runs processes. Implementations report a finished child, whatever its exit code, as a result.
class ProcessRunner {
  public:
    virtual ~ProcessRunner() = default;
    // Throws imgspec::Error(ErrorKind::other) when the program cannot be started (the message
    // names it and the reason, such as "No such file or directory"), rethrows what the stdin
    // writer throws, and throws imgspec::Error(ErrorKind::interrupted) when SIGINT/SIGTERM
    // arrived while the child ran.
    virtual ProcessResult run(const ProcessSpec& spec) = 0;
};

// The real thing: posix_spawnp, the child in a process group of its own (so the terminal's
// Ctrl-C reaches imgspec only, which then stops the child in order), signals reset to their
// defaults in the child, pipes drained with poll() before the child is reaped.
class PosixProcessRunner final : public ProcessRunner {
  public:
    // Throws as ProcessRunner::run.
    ProcessResult run(const ProcessSpec& spec) override;
};

} // namespace imgspec::util
