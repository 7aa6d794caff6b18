#pragma once
// A fixed table of paths that a SIGINT/SIGTERM handler may read while other threads add and
// remove entries: lock-free atomics and static storage only, since a handler may neither allocate
// nor lock. Private to util (atomic_file.cpp's temp files, signals.cpp's cleanup paths).

#include <atomic>
#include <cstddef>
#include <cstring>
#include <string_view>

namespace imgspec::util::detail {

static_assert(std::atomic<int>::is_always_lock_free, "the signal handler needs lock-free atomics");

class SignalSafePaths {
  public:
    static constexpr int slot_count = 32;
    static constexpr std::size_t path_size = 4096; // with the terminating NUL

    // The slot now holding `path`, or -1 when the path is too long or every slot is taken.
    int add(std::string_view path) noexcept {
        if (path.size() >= path_size) {
            return -1;
        }
        for (int i = 0; i < slot_count; ++i) {
            int expected = slot_free;
            if (m_slots[i].state.compare_exchange_strong(expected, slot_busy)) {
                std::memcpy(m_slots[i].path, path.data(), path.size());
                m_slots[i].path[path.size()] = '\0';
                m_slots[i].state.store(slot_live, std::memory_order_release);
                return i;
            }
        }
        return -1;
    }

    // Frees a slot from add(); -1 does nothing.
    void remove(int slot) noexcept {
        if (slot < 0) {
            return;
        }
        // Busy first, so a handler running now skips the slot rather than reading a changing path.
        m_slots[slot].state.store(slot_busy, std::memory_order_release);
        m_slots[slot].path[0] = '\0';
        m_slots[slot].state.store(slot_free, std::memory_order_release);
    }

    // Calls f(const char* path) for every live slot; for the signal handler.
    template <class F> void for_each_live(F f) noexcept {
        for (Slot& slot : m_slots) {
            if (slot.state.load(std::memory_order_acquire) == slot_live) {
                f(static_cast<const char*>(slot.path));
            }
        }
    }

  private:
    // A slot is free, being filled or emptied (the handler skips it), or holds a live path.
    enum State : int { slot_free = 0, slot_busy = 1, slot_live = 2 };
    struct Slot {
        std::atomic<int> state{slot_free};
        char path[path_size]{};
    };
    Slot m_slots[slot_count];
};

} // namespace imgspec::util::detail
