#pragma once
// What the signal handler (signals.cpp) and the process runner (process.cpp, process_spawn.cpp,
// process_output.cpp) share: which children to stop, and whether a signal arrived. Private to util.
//
// Several children may run at once (one per thread of a parallel build), so the handler keeps a
// fixed table of them, lock-free: one slot per running child.

namespace imgspec::util::detail {

inline constexpr int no_child = 0;
inline constexpr int spawning = -1; // a child is about to start: record signals, do not re-raise
inline constexpr int child_slots = 64;

// A free slot of the table, set to `spawning`; waits while every slot is taken. Thread-safe.
int acquire_child_slot() noexcept;

// The process group that a signal stops (SIGTERM, SIGKILL on a second signal), or spawning.
// Async-signal-safe.
void set_child_group(int slot, int pgid) noexcept;

// The slot is free again (its child was reaped, or never started).
void release_child_slot(int slot) noexcept;

// 0, or the first of SIGINT and SIGTERM that arrived. Async-signal-safe.
int received_signal() noexcept;

} // namespace imgspec::util::detail
