#pragma once
// The build context as a list of entries: what the tag hashes and what the tar writer streams.

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

struct stat;

namespace imgspec::plan {

using Digest = std::array<unsigned char, 32>; // SHA-256

// What a file's stat says about whether its content may have changed. Times in ns since the epoch.
struct FileStat {
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;
    std::int64_t ctime_ns = 0;
    std::uint64_t ino = 0;
    std::uint64_t dev = 0;

    static FileStat from(const struct stat& st);
    bool operator==(const FileStat&) const = default;
};

enum class EntryType { file, directory, symlink };

struct Entry {
    std::string path; // inside the context, '/'-separated, relative, no "./", no "/" at end
    EntryType type = EntryType::file;
    unsigned mode = 0644;    // normalized: files 0644 or 0755, directories 0755, symlinks 0777
                             // (0, with size 0: a file listed but not stat'ed yet, see
                             // WalkOptions::defer_file_stat; hashing sets both)
    std::uint64_t size = 0;  // files only
    std::string link_target; // symlinks only, as read by readlink
    // File on disk; empty when `content` holds the bytes. A plain string, not a
    // std::filesystem::path: libstdc++'s path also keeps a heap list of its components, about
    // 1 KiB per entry, and the manifest holds one entry per copied file.
    std::string source;
    std::string content; // generated files (the Dockerfile)
    Digest digest{};     // SHA-256 of the file's content (files only)
    // Files only, set by the planner when the stat cache is in use: the stat data that `digest`
    // belongs to (from the cache record it matched, or taken before the read that computed it),
    // only when it is not racily clean (StatCache::racily_clean). While the context is written, a
    // file whose fstat equals this before and after the read is not hashed again (see
    // context::write_tar); without it, the file is re-hashed.
    std::optional<FileStat> trusted_stat;
};

// Entries sorted by path in byte order, each path once. Parent directories precede their children
// because "a" < "a/b" in byte order.
struct Manifest {
    std::vector<Entry> entries;
};

} // namespace imgspec::plan
