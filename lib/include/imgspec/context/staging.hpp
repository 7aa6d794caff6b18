#pragma once
// The staged context of the sync delivery: a persistent folder per image in imgspec's cache that
// holds exactly the manifest's entries, given to buildx as its local context so that BuildKit's
// incremental file sync sends only what changed since the last build.
//
//   <root>/ctx     the context: the manifest's entries (but the Dockerfile) and their parent
//                  folders, nothing else
//   <root>/state   what was staged: per entry its type, mode, digest, link target and the staged
//                  file's stat; a file whose record and stat still match is not written again
//   <root>/lock    flock()ed by the imgspec that stages and builds from the folder
//
// Determinism: files have the entry's mode (0644/0755), folders 0755, mtimes are 1970-01-01
// 00:00:00 UTC plus a number of nanoseconds taken from the digest. The image layers keep whole
// seconds only, so the image is the tar delivery's (mtime 0); the nanoseconds are there for
// BuildKit, whose file sync compares size and mtime only (not content): an edit that keeps the
// size must change the mtime to be sent at all. Owners are set to 0/0 by buildx's file sync.

#include <imgspec/plan/manifest.hpp>
#include <imgspec/util/fd.hpp>
#include <imgspec/util/progress.hpp>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace imgspec::context {

struct StageStats {
    std::uint64_t written = 0; // files and symlinks (re)written
    std::uint64_t kept = 0;    // files and symlinks already staged as they are
    std::uint64_t removed = 0; // paths removed: not in the manifest any more
    std::uint64_t bytes = 0;   // bytes of the files written
};

// The staged folder of one image: $cache/contexts/<readable name>-<hash of key>.
std::filesystem::path staging_root(const std::filesystem::path& cache_dir, const std::string& name,
                                   const std::string& key);

// The nanoseconds part of a staged file's mtime for a digest (0 .. 999,999,999).
std::int64_t staged_mtime_ns(const plan::Digest& digest);

class StagedFolder {
  public:
    explicit StagedFolder(std::filesystem::path root);

    const std::filesystem::path& root() const { return m_root; }
    std::filesystem::path context_dir() const { return m_root / "ctx"; }

    // Creates the root and takes its lock without waiting; false when another process holds it.
    // Held until destruction.
    // Throws Error(ErrorKind::other) when the folder or the lock file cannot be made.
    bool try_lock();

    // Makes context_dir() hold exactly the entries of `manifest` but the one at `skip_path` (the
    // Dockerfile, which goes on stdin): new and changed files are written (through a temp file,
    // renamed), files whose state record and stat still match are kept, paths not in the manifest
    // are removed. Every file written is checked against its digest (or the stat cache's proof)
    // as it is copied. Checks `cancel` and util::interrupted() between files.
    // Throws Error(ErrorKind::other) when a file changed since it was hashed or cannot be read or
    // written, Error(ErrorKind::interrupted) on SIGINT/SIGTERM or `cancel`.
    StageStats stage(const plan::Manifest& manifest, const std::string& skip_path,
                     const std::atomic<bool>* cancel = nullptr, util::Progress* progress = nullptr);

    // Every source file staged still has the stat it had when it was hashed (Entry::trusted_stat)
    // or else when it was staged: a file changed after the tag was computed fails the build, as
    // with the tar delivery. Call once buildx runs, before it may read the folder.
    // Throws Error(ErrorKind::other) naming the first file that changed.
    void check_sources(const plan::Manifest& manifest) const;

  private:
    std::filesystem::path m_root;
    util::Fd m_lock;
    // Per manifest index: the source stat to compare at check_sources().
    std::vector<std::pair<std::size_t, plan::FileStat>> m_source_stats;
};

} // namespace imgspec::context
