#pragma once
// The build context as a list of entries: what the tag hashes and what the tar writer streams.

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace imgspec::plan {

using Digest = std::array<unsigned char, 32>; // SHA-256

enum class EntryType { file, directory, symlink };

struct Entry {
    std::string path;               // inside the context, '/'-separated, relative, no "./", no "/" at end
    EntryType type = EntryType::file;
    unsigned mode = 0644;           // normalized: files 0644 or 0755, directories 0755, symlinks 0777
    std::uint64_t size = 0;         // files only
    std::string link_target;        // symlinks only, as read by readlink
    // File on disk; empty when `content` holds the bytes. A plain string, not a
    // std::filesystem::path: libstdc++'s path also keeps a heap list of its components, about
    // 1 KiB per entry, and the manifest holds one entry per copied file.
    std::string source;
    std::string content;            // generated files (the Dockerfile)
    Digest digest{};                // SHA-256 of the file's content (files only)
};

// Entries sorted by path in byte order, each path once. Parent directories precede their children
// because "a" < "a/b" in byte order.
struct Manifest {
    std::vector<Entry> entries;
};

} // namespace imgspec::plan
