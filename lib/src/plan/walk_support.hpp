#pragma once
// What the three parts of turning files into manifest entries share: entry_stat.cpp (one path's
// stat into an Entry), hash_files.cpp (reading files for their digests) and walk.cpp (listing a
// folder tree on several threads). Internal to lib/src/plan.

#include <imgspec/core/error.hpp>

#include <fmt/format.h>

#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <sys/stat.h>

namespace imgspec::plan::detail {

inline std::string cannot_read(std::string_view p, int err) {
    return fmt::format("{}: cannot read: {}", p, std::strerror(err));
}

// A file that changed between two looks at it: the run fails as a whole (exit 1), with a hint.
[[noreturn]] inline void throw_changed(std::string_view p, const std::string& detail) {
    throw Error(ErrorKind::other, fmt::format("{} changed while it was hashed ({})", p, detail),
                "Something is writing to the folder being copied. Wait for it to finish and run "
                "imgspec again.");
}

// A regular file's normalized mode: 0755 when its owner may execute it, else 0644.
inline unsigned file_mode(const struct stat& st) {
    return (st.st_mode & S_IXUSR) != 0 ? 0755 : 0644;
}

// Runs `work` on `threads` threads, this one among them (fewer when the system gives no more),
// and returns when all are done. `first`, when set, runs on this thread before its share.
inline void on_threads(unsigned threads, const std::function<void()>& work,
                       const std::function<void()>& first = {}) {
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) {
        try {
            pool.emplace_back(work);
        } catch (const std::system_error&) {
            break; // out of threads: the ones running share the work
        }
    }
    if (first) {
        first();
    }
    work();
    for (auto& t : pool) {
        t.join();
    }
}

} // namespace imgspec::plan::detail
