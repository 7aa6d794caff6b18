#pragma once
// Replacing a file all at once: readers see the old content or the new, never a partial write,
// and an interrupted run leaves no temp file behind.

#include <cstddef>
#include <filesystem>
#include <string_view>

namespace imgspec::util {

// Writes to a temp file beside the target ("<dir>/.<basename>.tmp.XXXXXX", same file system, so
// the final rename is atomic) and renames it over the target on commit(). Without commit() the
// destructor removes the temp file and the target is untouched.
//
// While it exists, the temp file's path is also in a fixed-size registry that
// remove_registered_temp_files_signal_safe() reads, so a SIGINT/SIGTERM handler can remove it
// too. Not copyable or movable (the registry holds its slot).
class AtomicFile {
  public:
    // Creates the temp file. `mode` is the new file's permissions when the target does not exist
    // yet; an existing target keeps its own permission bits.
    // Throws imgspec::Error(ErrorKind::other) when the temp file cannot be created (the folder is
    // missing or read-only...).
    explicit AtomicFile(std::filesystem::path target, unsigned mode = 0644);
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    // The temp file's descriptor (O_CLOEXEC, so child processes such as docker do not inherit
    // it); -1 after commit() or abort().
    int fd() const { return m_fd; }

    // Appends bytes; retries partial writes and EINTR.
    // Throws imgspec::Error(ErrorKind::other) on a write error or after commit()/abort().
    void write(const void* data, std::size_t size);
    void write(std::string_view text) { write(text.data(), text.size()); }

    // How commit() leaves the file: `synced` survives a crash of the machine once commit()
    // returns; `unsynced` skips both fsyncs (as GNU tar does), for output that the same command
    // can write again. Either way no reader ever sees a partial file of a run that failed or was
    // interrupted.
    enum class Durability { synced, unsynced };

    // Sets the permissions, fsyncs the file (when synced), renames it over the target and fsyncs
    // the folder (when synced; best effort).
    // Throws imgspec::Error(ErrorKind::other) when any step but the folder fsync fails (the temp
    // file is then removed) or after commit()/abort().
    void commit(Durability durability = Durability::synced);

    // Removes the temp file now; the target is untouched. Does nothing after commit() or abort().
    void abort() noexcept;

    const std::filesystem::path& target() const { return m_target; }
    const std::filesystem::path& temp_path() const { return m_temp; }
    bool committed() const { return m_committed; }

  private:
    void release_slot() noexcept;

    std::filesystem::path m_target;
    std::filesystem::path m_temp;
    unsigned m_mode;
    int m_fd = -1;
    int m_slot = -1; // index in the signal-safe registry; -1 when it did not fit
    bool m_committed = false;
    bool m_finished = false; // committed or aborted: the temp file is gone
};

// Unlinks every live AtomicFile temp file. Async-signal-safe (atomics, unlink and a static array
// only): call it from the SIGINT/SIGTERM handler before re-raising the signal, so Ctrl-C leaves no
// ".*.tmp.*" file. It does not close descriptors or mark the AtomicFiles: only call it when the
// process is about to exit.
//
// The registry holds 32 paths of up to 4095 bytes; a temp file that does not fit is still removed
// by its AtomicFile's destructor, just not by this.
void remove_registered_temp_files_signal_safe() noexcept;

} // namespace imgspec::util
