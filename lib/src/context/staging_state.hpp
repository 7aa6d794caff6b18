#pragma once
// What a staged folder held after its last staging (staging_state.cpp), which the next staging
// (staging.cpp) compares with the folder on disk to keep what is already there. Private to context.

#include <imgspec/plan/manifest.hpp>

#include <filesystem>
#include <string>
#include <unordered_map>

namespace imgspec::context::detail {

// What was staged at one path (the state file's record).
struct Record {
    plan::EntryType type = plan::EntryType::file;
    unsigned mode = 0;
    std::string digest; // hex, files only
    std::string link;   // symlinks only
    plan::FileStat st;  // the staged path's lstat after it was written
};

// Records by path in the context.
using State = std::unordered_map<std::string, Record>;

// The state file: a header, then per record the path, the fields and the link target, each ended
// by a NUL (paths may hold any byte but NUL). A file that does not parse, or is missing, is an
// empty state: every file is written again.
State read_state(const std::filesystem::path& file);

// Writes the state file atomically (util::AtomicFile, not synced). Throws what AtomicFile throws.
void write_state(const std::filesystem::path& file, const State& state);

} // namespace imgspec::context::detail
