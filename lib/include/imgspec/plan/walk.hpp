#pragma once
// Turning files on disk into manifest entries: what the manifest builder calls for each path it
// walks.

#include <imgspec/plan/dockerignore.hpp>
#include <imgspec/plan/manifest.hpp>
#include <imgspec/plan/stat_cache.hpp>
#include <imgspec/util/progress.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
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
// still has e.size bytes (a file not stat'ed yet, with mode 0, gets its mode and size from the
// open file first). An entry with no source is hashed from e.content (and e.size set from
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

struct WalkedFolder;

// One thing a FolderWalk found in a folder. Compact (168 bytes, an Entry 224): every file of a tree
// has one until the visit, next to its manifest entry.
struct Finding {
    enum Kind : std::uint8_t { entry, error, secret, subfolder };
    // entry: the Entry's path (in the context). error, secret: the name it was found under ("" or
    // "\xff" for an error about the folder itself: before or after what was listed). Unused for a
    // subfolder.
    std::string path;
    // entry: the Entry's source (on disk); error: the message; secret: the spec-relative path.
    std::string text;
    std::string link_target;          // entry, symlinks
    FileStat st;                      // entry, files: the stat data (size: the file's, always)
    std::uint64_t key = 0;            // entry, files: StatCache::key_of(source), with cache_keys
    WalkedFolder* folder = nullptr;   // subfolder: its own findings
    unsigned mode = 0;                // entry: Entry::mode (0: a file not stat'ed yet)
    EntryType type = EntryType::file; // entry
    Kind kind = entry;
    // The name's length (at most NAME_MAX, 255): the end of `path`, or of a subfolder's ctx.
    std::uint8_t name_size = 0;

    // Its name, and whether what sorts there is a subfolder's contents (name + "/"): its place
    // among the folder's findings, in byte order of their paths ("a" < "a-b" < "a.txt" < "a/x").
    std::string_view name() const;
    bool slash() const { return kind == subfolder; }

    // The manifest entry of an `entry` finding (moved out of it).
    Entry take_entry();

    static Finding note(Kind kind, std::string name, std::string text);
};

struct WalkedFolder {
    std::string abs;            // on disk
    std::string rel;            // spec-relative ("" for the spec's folder): what ignore rules match
    std::string ctx;            // in the context
    std::vector<Finding> found; // in readdir order
    std::vector<std::uint32_t> order; // indices of `found` by Finding::name
};

struct WalkOptions {
    const Dockerignore* ignore = nullptr; // null: nothing is excluded
    // A secret's file (by its path on disk) is left out, as a Finding::secret. Null: none is.
    std::function<bool(const std::string& abs)> is_secret;
    // Secrets' files by identity (st_dev, st_ino): a hard link to one, under any name, is left
    // out too. Checked by readdir's d_ino first, so it costs a stat only for a likely match.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> secret_ids;
    bool cache_keys = false; // fill Finding::key (on the walking threads)
    // A regular file (by readdir's d_type) is not stat'ed: its entry has mode 0 and size 0, which
    // hash_file sets from the fstat of the open file it reads anyway (one syscall fewer per file;
    // 100,000 on a tree of small files). Only when every file is hashed next, with no stat cache.
    bool defer_file_stat = false;
    unsigned threads = 1;
    // Runs on the calling thread while the other threads start walking (e.g. loading the stat
    // cache). What it throws is rethrown by run().
    std::function<void()> meanwhile;
};

// A folder and everything below it, listed and stat'ed on several threads, then visited in one
// order. The stat calls are independent, and a profile of an unchanged tree showed two thirds of
// the time in the kernel's fstatat and getdents, so folders are handed out to the threads one at a
// time. Each folder's findings are then ordered by name on its thread, so that a visit depth
// first gives the paths in byte order (the manifest needs no sort after it), and errors and
// warnings come in one order on any number of threads, whatever order readdir lists names in.
class FolderWalk {
  public:
    FolderWalk(std::string abs, std::string rel, std::string ctx);

    // Walks. A file that cannot be stat'ed, a FIFO, socket or device, or a folder that cannot be
    // listed is a Finding::error, not an exception. Rethrows anything else a walking thread
    // threw (std::bad_alloc), after all threads stopped.
    void run(const WalkOptions& options);

    // Every finding but subfolders, depth first, each folder's by name, with the folder it was
    // found in. The visitor may move from them. Frees each folder's findings after its visit.
    void visit(const std::function<void(Finding&, const WalkedFolder&)>& visitor);

    // The number of findings, subfolders included: room to reserve for a visit's entries.
    std::size_t size() const;

  private:
    WalkedFolder m_root;
    std::vector<std::unique_ptr<WalkedFolder>> m_folders; // below the root
};

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
