#pragma once
// Digests of files that did not change since the last run, as git's index keeps them: a file whose
// size, mtime, ctime, inode and device are those recorded with its digest is not read again.

#include <imgspec/plan/manifest.hpp>

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace imgspec::plan {

// A cache file of (source path, FileStat, digest) records for one spec.
//
// Never a wrong digest:
// - A record is used only when every FileStat field equals the file's current one; ctime cannot
//   be set by users, and any write, chmod, rename or touch moves it.
// - "Racily clean" files are never recorded: a file whose mtime or ctime is later than
//   `run_start - racy_margin_ns` could be written again after it was read and keep the same
//   timestamps (file systems stamp with a clock that ticks every few ms, or every 1-2 s on some),
//   so it is hashed again next time, until it is old enough.
// - The file ends with a SHA-256 of its content; a short, damaged or foreign file is ignored (a
//   debug log) and replaced at the next save.
// - save() writes a temp file beside the target and renames it over: concurrent runs each replace
//   the file whole, the last one wins, and a reader sees one complete file or another.
class StatCache {
  public:
    // File systems with whole-second (or FAT's 2 s) timestamps, plus a coarse clock tick.
    static constexpr std::int64_t racy_margin_ns = 2'100'000'000;

    // An empty cache that save() writes to `file`; nothing is read yet. `run_start_ns` is when
    // this run started looking at files (now_ns() before the walk).
    StatCache(std::filesystem::path file, std::int64_t run_start_ns);
    StatCache(const StatCache&) = delete;
    StatCache& operator=(const StatCache&) = delete;

    // Reads the file (see the class comment); a missing, unreadable or corrupt one leaves the
    // cache empty, with a debug log. Never throws, std::bad_alloc aside.
    void load();

    // $XDG_CACHE_HOME/imgspec when XDG_CACHE_HOME is an absolute path, else $HOME/.cache/imgspec;
    // empty when neither is set.
    static std::filesystem::path default_dir();

    // The cache file of one spec under `dir`: stat/<hash of the spec file's absolute path>.
    static std::filesystem::path file_for(const std::filesystem::path& dir,
                                          const std::filesystem::path& spec_file);

    // Whether `file` may hold records (it exists and is longer than an empty cache's): false
    // means a run will find every file's digest by reading it. One stat, nothing read.
    static bool may_have_records(const std::filesystem::path& file);

    // The wall clock now, in ns since the epoch: a run's start for the racy check.
    static std::int64_t now_ns();

    // The recorded digest of `source` when `st` matches its record. Marks the record as still in
    // use (it is saved again), and remembers the order of the calls (the walk's), which save()
    // keeps. One thread, before the record() calls of the run (walk first, then hash).
    std::optional<Digest> lookup(std::string_view source, const FileStat& st);
    // lookup() with the key of `source` computed beforehand (key_of), e.g. on a walking thread.
    std::optional<Digest> lookup(std::uint64_t key, const FileStat& st);

    // The key a path's record is found by: a 64-bit hash of it. Thread-safe.
    static std::uint64_t key_of(std::string_view source);

    // Records a digest just computed from `source`, whose stat before the read was `st`. Racily
    // clean ones are dropped (see the class comment). Thread-safe against itself.
    // Returns whether it was kept: false for a racily clean one.
    bool record(std::string_view source, const FileStat& st, const Digest& digest);

    // Room for `files` records (the files about to be hashed), so the list does not grow by
    // doubling and copying: memory use is a target on large trees.
    void reserve(std::size_t files);

    // Writes the records in use (looked up or recorded) when they differ from what was loaded;
    // does nothing otherwise. Creates the folder. Failures are logged at debug level: a cache that
    // cannot be written only costs time.
    void save() noexcept;

    std::size_t loaded_count() const { return m_loaded.size(); }
    std::size_t hits() const { return m_hits; }

    // The racy rule alone: may a digest read now from a file with stat `st` be trusted later?
    static bool racily_clean(const FileStat& st, std::int64_t run_start_ns);
    // The same rule for this run: may `st` vouch for a digest later in the run (or in a later one)?
    bool trusts(const FileStat& st) const { return !racily_clean(st, m_run_start_ns); }

    struct Record {
        std::uint64_t key = 0; // hash of the source path
        FileStat stat;
        Digest digest{};
    };

  private:
    std::size_t bucket_of(std::uint64_t key) const;
    void index_by_key();

    std::filesystem::path m_file;
    std::int64_t m_run_start_ns;
    std::vector<Record> m_loaded;        // in the file's order
    std::vector<std::uint32_t> m_seq_of; // per loaded record: lookup that used it, 0 unused
    std::vector<std::uint32_t> m_by_key; // indices of m_loaded grouped by bucket (index_by_key)
    unsigned m_bucket_bits = 1;
    std::vector<std::uint32_t> m_buckets; // first index in m_by_key of each bucket, and the end
    std::size_t m_cursor = 0;             // the record after the last hit
    std::uint32_t m_seq = 0;              // lookups so far
    std::vector<std::pair<std::uint64_t, std::uint32_t>> m_misses; // (key, lookup) that missed
    std::size_t m_hits = 0;
    std::size_t m_out_of_order = 0; // lookups not found at the cursor
    std::mutex m_mutex;             // guards m_fresh
    std::vector<Record> m_fresh;    // recorded this run
};

// Deletes the files in `dir` that a cache of imgspec writes (32 hex digits, or an atomic writer's
// ".<32 hex>.tmp.XXXXXX") and that are older than 30 days, and nothing else: not a file of another
// name that someone keeps there, not through a symlink (the folder is opened with O_NOFOLLOW, and
// unlinkat removes a symlink itself, never its target).
void remove_stale(const std::filesystem::path& dir);

} // namespace imgspec::plan
