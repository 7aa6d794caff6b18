#pragma once
// The parts of PosixProcessRunner::run (process.cpp): starting the child (process_spawn.cpp) and
// reading its output while it runs (process_output.cpp). Private to util.

#include <imgspec/util/fd.hpp>
#include <imgspec/util/process.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace imgspec::util::detail {

using Clock = std::chrono::steady_clock;

// One output stream of the child being read by the parent.
struct Reader {
    Fd fd;
    std::string* sink = nullptr;
    bool forward = false; // tee: also to imgspec's stderr
    std::string prefix;   // ProcessSpec::forward_prefix
    std::string partial;  // with a prefix: the start of a line not yet forwarded
};

struct Child {
    pid_t pid = 0;
    int slot = -1;               // in the signal handler's table
    std::vector<Reader> readers; // its captured output streams
    Fd input;                    // the write end of its stdin, when the spec has a writer
};

// Starts the child as `spec` says, its captured streams read into `result`. Registers it with
// the signal handler.
Child spawn(const ProcessSpec& spec, ProcessResult& result);

// Reads every reader until all reach end of file. Kills the child's group when the deadline
// passes (and keeps reading until the pipes close).
void drain(std::vector<Reader>& readers, pid_t pgid, std::optional<Clock::time_point> deadline,
           bool& timed_out, const std::function<void()>& before_forward);

// Kills the child's group with SIGKILL once `interrupt_grace` has passed since the first call
// that saw a signal. `since` holds that moment.
void escalate_after_interrupt(pid_t pgid, std::optional<Clock::time_point>& since, bool& killed);

// Throws Error(ErrorKind::interrupted) once SIGINT or SIGTERM arrived.
void throw_if_interrupted();

} // namespace imgspec::util::detail
