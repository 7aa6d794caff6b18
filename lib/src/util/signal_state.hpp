#pragma once
// What the signal handler (signals.cpp) and the process runner (process.cpp) share: which child
// to stop, and whether a signal arrived. Private to util.

namespace imgspec::util::detail {

inline constexpr int no_child = 0;
inline constexpr int spawning = -1; // a child is about to start: record signals, do not re-raise

// The process group that a signal stops (SIGTERM, SIGKILL on a second signal), or no_child (the
// handler ends imgspec itself), or spawning. Async-signal-safe.
void set_child_group(int pgid) noexcept;

// 0, or the first of SIGINT and SIGTERM that arrived. Async-signal-safe.
int received_signal() noexcept;

} // namespace imgspec::util::detail
