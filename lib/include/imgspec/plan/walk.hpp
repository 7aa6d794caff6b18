#pragma once
// Turning files on disk into manifest entries: what the manifest builder calls for each path it
// walks.

#include <imgspec/plan/manifest.hpp>
#include <imgspec/plan/stat_cache.hpp>
#include <imgspec/util/progress.hpp>

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

// stat_entry that also gives the file's stat data in `*stat` (for the stat cache) when `stat` is
// not null.
Entry stat_entry(const std::filesystem::path& source, std::string context_path, FileStat* stat);

// stat_entry for `name` in the open folder `dirfd` (fstatat, readlinkat: no path lookup from the
// root for every file of a large tree). `source` is the path recorded in the entry and shown in
// messages: the folder's path + "/" + name. Throws what stat_entry throws.
Entry stat_entry_at(int dirfd, const char* name, std::string source, std::string context_path,
                    FileStat* stat);

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
// With a `progress`: begin("hashing", files to read, their bytes) once there is something to read,
// advance(0, n) after each chunk read and advance(1, 0) after each file (from the hashing threads),
// end() when done or failed.
//
// Throws what hash_entry throws. After a failure the other threads stop at their next entry; if
// several entries failed, the error of the first in `entries` order among them is thrown.
void hash_entries(std::vector<Entry>& entries, unsigned threads,
                  util::Progress* progress = nullptr);

// hash_entries for the file entries whose digest is still all zeros, i.e. not filled from the stat
// cache (a SHA-256 of all zeros is not a digest that occurs). With a `cache`, each digest computed
// is recorded in it with the file's stat data from before the read. Threads are started only when
// there is something to read.
//
// Reports to `progress` as hash_entries, over the files it reads.
//
// Throws what hash_entries throws.
void hash_pending(std::vector<Entry>& entries, unsigned threads, StatCache* cache,
                  util::Progress* progress = nullptr);

// Opens files one after another, in manifest order, through a descriptor of their folder that
// is kept while the next file is in the same folder: openat() resolves one name where open() of
// an absolute path walks every component again (a profile of 100,000 small files showed the
// path walk as the largest cost of reading them). Not thread-safe: one per thread.
class FolderOpener {
  public:
    FolderOpener() = default;
    ~FolderOpener();
    FolderOpener(const FolderOpener&) = delete;
    FolderOpener& operator=(const FolderOpener&) = delete;

    // ::open(path, flags) for an absolute path, with the same errno on failure (-1). `flags`
    // apply to the last component (O_NOFOLLOW keeps refusing a symlink there).
    int open(const std::string& path, int flags);

  private:
    std::string m_dir; // folder of m_fd, without the final '/'
    int m_fd = -1;
};

} // namespace imgspec::plan
