#pragma once
// Turning files on disk into manifest entries: what the manifest builder calls for each path it
// walks.

#include <imgspec/plan/manifest.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace imgspec::plan {

// Stats `source` without following a symlink and describes it as an Entry at `context_path`:
// type; normalized mode (files 0755 when the owner may execute them, else 0644; folders 0755;
// symlinks 0777); size (files); link_target (symlinks, as readlink returns it, not resolved).
// `source` is recorded; digest is left zero (see hash_entry).
//
// Throws imgspec::Error(ErrorKind::invalid_spec) when `source` cannot be stat'ed or read, or is a
// FIFO, socket or device: "<source>: is a FIFO; only regular files, folders and symlinks can be
// copied".
Entry stat_entry(const std::filesystem::path& source, std::string context_path);

// Fills e.digest with the SHA-256 of a regular file's content, read from e.source through a 1 MiB
// buffer (O_NOFOLLOW, so a symlink that took the file's place is not followed), and checks that it
// still has e.size bytes. An entry with no source is hashed from e.content (and e.size set from
// it). Folders and symlinks are left unchanged.
//
// Throws imgspec::Error(ErrorKind::invalid_spec) when the file cannot be opened or read, and
// imgspec::Error(ErrorKind::other) when it changed since stat_entry (size, type, or deleted).
void hash_entry(Entry& e);

// hash_entry for every entry, on up to `threads` threads (0: one per CPU). Each entry is hashed by
// exactly one thread, so results equal a single-threaded run.
//
// Throws what hash_entry throws. After a failure the other threads stop at their next entry; if
// several entries failed, the error of the first in `entries` order among them is thrown.
void hash_entries(std::vector<Entry>& entries, unsigned threads);

} // namespace imgspec::plan
