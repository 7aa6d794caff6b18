#include <imgspec/context/tar_writer.hpp>

#include <imgspec/core/error.hpp>
#include <imgspec/plan/walk.hpp>
#include <imgspec/util/sha256.hpp>

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <clocale>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

namespace imgspec::context {

namespace {

// Files are read in chunks of this size; up to `rehash_chunks` chunks of a large file are in
// flight between the reading thread and the re-hashing one (1 MiB in all, as before there was a
// second thread). Small enough to stay in the L2 cache between the read and the hash.
constexpr std::size_t chunk_size = 256 * 1024;
constexpr std::size_t rehash_chunks = 4;

// write_tar_to_fd into a regular file: bytes written between two write-back starts.
constexpr std::uint64_t writeback_window = 16 << 20;

// libarchive's output buffer: how many bytes the sink gets per call for most of the stream. It does
// not change the output (bytes_in_last_block is 1), only the number of writes to the pipe.
constexpr int output_block_size = 64 * 1024;

// Sent in place of the end-of-archive marker when writing fails. It is text with no NUL and no
// octal digit, so wherever a reader stands in the stream it fails: reading it as a header gives a
// bad checksum, reading it as file data ends the stream inside an entry.
constexpr std::string_view poison_line =
    "!! imgspec: the build context was aborted; this archive is incomplete !!\n";

const char* changed_hint =
    "Something wrote to the file while imgspec was sending it to docker (an editor, a build, a "
    "download?). Wait for it to finish and run imgspec again.";

std::string errno_text(int err) {
    return std::strerror(err);
}

[[noreturn]] void throw_changed(const std::string& what, const std::string& detail) {
    throw Error(ErrorKind::other,
                fmt::format("{} changed while the build context was written ({})", what, detail),
                changed_hint);
}

// The name the user knows: the file on disk when there is one.
std::string display_name(const plan::Entry& e) {
    return e.source.empty() ? e.path : e.source;
}

class Fd {
  public:
    explicit Fd(int fd) : m_fd(fd) {}
    ~Fd() {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return m_fd; }

  private:
    int m_fd;
};

// Carries the sink and what happened in it through libarchive's C callback, which must not throw.
struct SinkState {
    const Sink* sink = nullptr;
    std::exception_ptr error; // what the sink threw, rethrown once libarchive has returned
    std::uint64_t bytes = 0;
    bool discard = false; // after a failure: whatever libarchive still writes goes nowhere
};

la_ssize_t write_callback(struct archive* /*a*/, void* client, const void* data, size_t size) {
    auto* state = static_cast<SinkState*>(client);
    if (state->discard) {
        return static_cast<la_ssize_t>(size);
    }
    try {
        (*state->sink)(data, size);
        state->bytes += size;
        return static_cast<la_ssize_t>(size);
    } catch (...) {
        state->error = std::current_exception();
        return -1;
    }
}

bool is_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

class TarArchive {
  public:
    explicit TarArchive(SinkState& state) : m_state(state), m_a(archive_write_new()) {
        if (m_a == nullptr) {
            throw Error(ErrorKind::other, "libarchive: cannot create a tar writer");
        }
        // bytes_in_last_block 1: no padding of the last block to the 10 KiB record size.
        if (archive_write_set_format_pax_restricted(m_a) != ARCHIVE_OK ||
            archive_write_add_filter_none(m_a) != ARCHIVE_OK ||
            archive_write_set_bytes_per_block(m_a, output_block_size) != ARCHIVE_OK ||
            archive_write_set_bytes_in_last_block(m_a, 1) != ARCHIVE_OK ||
            archive_write_open2(m_a, &m_state, nullptr, write_callback, nullptr, nullptr) !=
                ARCHIVE_OK) {
            std::string why = error_text();
            discard_and_free();
            throw Error(ErrorKind::other, fmt::format("cannot start the tar stream: {}", why));
        }
    }

    ~TarArchive() {
        if (m_closed) {
            archive_write_free(m_a);
        } else {
            discard_and_free();
        }
    }

    TarArchive(const TarArchive&) = delete;
    TarArchive& operator=(const TarArchive&) = delete;

    void write_header(archive_entry* entry, const plan::Entry& e) {
        int r = archive_write_header(m_a, entry);
        // Under the C locale (see CLocale) a non-ASCII name cannot be converted to UTF-8, so
        // libarchive warns and records it as raw bytes with "hdrcharset=BINARY": what we want.
        // Any other warning counts as failure.
        if (r == ARCHIVE_WARN && (!is_ascii(e.path) || !is_ascii(e.link_target))) {
            return;
        }
        if (r != ARCHIVE_OK) {
            fail(fmt::format("cannot write the tar header of {}", e.path));
        }
    }

    void write_data(const void* data, std::size_t size, const std::string& path) {
        la_ssize_t n = archive_write_data(m_a, data, size);
        if (n < 0 || static_cast<std::size_t>(n) != size) {
            fail(fmt::format("cannot write {} into the tar stream", path));
        }
    }

    void close() {
        if (archive_write_close(m_a) != ARCHIVE_OK) {
            fail("cannot finish the tar stream");
        }
        m_closed = true;
    }

  private:
    // After a failure, closing would send the rest of the buffer and the end-of-archive marker,
    // making a truncated context look complete. archive_write_fail() avoids that but leaks
    // libarchive's output buffer (3.6), so the archive is closed into a sink that drops it all.
    void discard_and_free() {
        m_state.discard = true;
        archive_write_close(m_a);
        archive_write_free(m_a);
    }

    [[noreturn]] void fail(const std::string& what) {
        if (m_state.error) {
            std::rethrow_exception(m_state.error);
        }
        throw Error(ErrorKind::other, fmt::format("{}: {}", what, error_text()));
    }

    std::string error_text() const {
        const char* why = archive_error_string(m_a);
        return why ? why : "libarchive error";
    }

    SinkState& m_state;
    struct archive* m_a;
    bool m_closed = false;
};

// libarchive's pax writer converts names from the current locale's charset to UTF-8, and records
// them as raw bytes (hdrcharset=BINARY) when that fails, so a non-ASCII name would give other
// bytes under LANG=C.UTF-8 than under LANG=C. Writing under the C locale, on this thread only,
// always takes the raw-bytes path: Linux names are bytes, and BuildKit (Go's archive/tar), GNU tar
// and bsdtar all read them back unchanged. ASCII names need no conversion and no pax header.
class CLocale {
  public:
    CLocale() : m_c(::newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(nullptr))) {
        if (m_c == static_cast<locale_t>(nullptr)) {
            throw Error(ErrorKind::other, "cannot create the C locale");
        }
        m_previous = ::uselocale(m_c);
    }
    ~CLocale() {
        ::uselocale(m_previous);
        ::freelocale(m_c);
    }
    CLocale(const CLocale&) = delete;
    CLocale& operator=(const CLocale&) = delete;

  private:
    locale_t m_c;
    locale_t m_previous{};
};

struct EntryDeleter {
    void operator()(archive_entry* e) const { archive_entry_free(e); }
};

// Re-hashes large files on another core while this thread reads them and hands them to
// libarchive. SHA-256 runs at about 1.8 GB/s a core, no faster than reading from the page cache
// and writing to a pipe or file, so in one thread it doubled the time to stream a large context;
// a profile of `render --context` showed it as the largest item. Small files (one chunk) are
// hashed inline: a hand-over would cost more than their hash.
//
// Digests are compared as the hasher finishes each file. A mismatch is reported by check() or
// drain(), which the writer calls after every file and before the end-of-archive marker, so a
// changed file still ends the stream without a valid end (a few entries later at most).
class Rehasher {
  public:
    Rehasher() : m_memory(chunk_size * rehash_chunks) {
        for (std::size_t i = 0; i < rehash_chunks; ++i) {
            m_free.push_back(m_memory.data() + i * chunk_size);
        }
    }
    ~Rehasher() {
        {
            std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_cv.notify_all();
        if (m_thread.joinable()) {
            m_thread.join();
        }
    }
    Rehasher(const Rehasher&) = delete;
    Rehasher& operator=(const Rehasher&) = delete;

    // Starts the thread; false when the system has none to give (the caller hashes inline).
    bool start() {
        if (m_thread.joinable()) {
            return true;
        }
        try {
            m_thread = std::thread([this] { run(); });
            return true;
        } catch (const std::system_error&) {
            return false;
        }
    }

    // A chunk to read into, once the hasher is done with it.
    char* free_chunk() {
        std::unique_lock lock(m_mutex);
        m_cv.wait(lock, [&] { return !m_free.empty(); });
        char* c = m_free.back();
        m_free.pop_back();
        return c;
    }

    // The next `n` bytes of the current file, in `chunk` (from free_chunk()). The caller may
    // still read the chunk (to write it) until its next free_chunk().
    void hash(char* chunk, std::size_t n) { push(Job{chunk, n, nullptr}); }

    // The current file ended: its digest must be e.digest.
    void finish(const plan::Entry& e) { push(Job{nullptr, 0, &e}); }

    // Throws the first mismatch found so far.
    void check() {
        if (m_failed.load(std::memory_order_acquire)) {
            throw_mismatch();
        }
    }

    // Waits for every file handed over, then throws the first mismatch.
    void drain() {
        std::unique_lock lock(m_mutex);
        m_cv.wait(lock, [&] { return m_jobs.empty() && !m_busy; });
        lock.unlock();
        check();
    }

  private:
    struct Job {
        char* chunk;
        std::size_t n;
        const plan::Entry* finish;
    };

    void push(Job job) {
        {
            std::lock_guard lock(m_mutex);
            m_jobs.push_back(job);
        }
        m_cv.notify_all();
    }

    [[noreturn]] void throw_mismatch() {
        if (m_error) {
            std::rethrow_exception(m_error);
        }
        throw_changed(display_name(*m_mismatch),
                      "its content no longer matches the hash in the image tag");
    }

    // The first failure wins: a mismatch (m_mismatch) or an error of OpenSSL (m_error).
    void fail(const plan::Entry* mismatch, std::exception_ptr error) {
        if (!m_failed.load(std::memory_order_relaxed)) {
            m_mismatch = mismatch;
            m_error = std::move(error);
            m_failed.store(true, std::memory_order_release);
        }
    }

    // Never throws: after a failure it still takes the jobs and gives the chunks back, so the
    // writer does not wait forever; the writer reports the failure at its next check().
    void run() {
        std::optional<util::Sha256> hash;
        auto restart = [&] {
            try {
                hash.emplace();
            } catch (...) {
                hash.reset();
                fail(nullptr, std::current_exception());
            }
        };
        restart();
        for (;;) {
            Job job{};
            {
                std::unique_lock lock(m_mutex);
                m_busy = false;
                m_cv.notify_all();
                m_cv.wait(lock, [&] { return m_stop || !m_jobs.empty(); });
                if (m_stop) {
                    return;
                }
                job = m_jobs.front();
                m_jobs.pop_front();
                m_busy = true;
            }
            if (job.finish != nullptr) {
                if (hash && hash->finish() != job.finish->digest) {
                    fail(job.finish, nullptr);
                }
                restart();
                continue;
            }
            if (hash) {
                hash->update(job.chunk, job.n);
            }
            {
                std::lock_guard lock(m_mutex);
                m_free.push_back(job.chunk);
            }
            m_cv.notify_all();
        }
    }

    std::vector<char> m_memory;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::vector<char*> m_free;
    std::deque<Job> m_jobs;
    bool m_busy = false;
    bool m_stop = false;
    std::atomic<bool> m_failed{false};
    const plan::Entry* m_mismatch = nullptr; // set before m_failed
    std::exception_ptr m_error;              // set before m_failed
    std::thread m_thread;
};

void check_symlink(const plan::Entry& e) {
    if (e.source.empty()) {
        return;
    }
    std::string target(4096, '\0');
    for (;;) {
        ssize_t n = ::readlink(e.source.c_str(), target.data(), target.size());
        if (n < 0) {
            int err = errno;
            throw_changed(display_name(e), fmt::format("readlink: {}", errno_text(err)));
        }
        if (static_cast<std::size_t>(n) < target.size()) {
            target.resize(static_cast<std::size_t>(n));
            break;
        }
        target.resize(target.size() * 2);
    }
    if (target != e.link_target) {
        throw_changed(display_name(e), fmt::format("the symlink now points to \"{}\", not \"{}\"",
                                                   target, e.link_target));
    }
}

// Streams one file's bytes into the archive, hashing them on the way (on the Rehasher's thread
// for a file larger than one chunk), unless its stat vouches for its digest (below). The header
// (with the size from the manifest) is already written, so any difference must throw before the
// archive ends.
void stream_file(TarArchive& tar, const plan::Entry& e, std::vector<char>& buffer,
                 plan::FolderOpener& opener, Rehasher& rehasher, const util::ProgressPhase& phase) {
    if (e.source.empty()) {
        if (e.content.size() != e.size) {
            throw Error(ErrorKind::other,
                        fmt::format("internal error: generated file {} has {} bytes, the manifest "
                                    "says {}",
                                    e.path, e.content.size(), e.size));
        }
        tar.write_data(e.content.data(), e.content.size(), e.path);
        phase.advance(0, e.content.size());
        if (util::sha256(e.content) != e.digest) {
            throw_changed(display_name(e),
                          "its content no longer matches the hash in the image tag");
        }
        return;
    }
    // O_NONBLOCK: if a FIFO took the file's place, open must not wait for a writer. It does
    // not affect reads from a regular file.
    Fd fd(opener.open(e.source, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (fd.get() < 0) {
        int err = errno;
        if (err == ENOENT || err == ELOOP) {
            throw_changed(display_name(e), err == ELOOP ? "it is now a symlink" : "it was deleted");
        }
        throw Error(ErrorKind::other,
                    fmt::format("{}: cannot read: {}", display_name(e), errno_text(err)));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        int err = errno;
        throw Error(ErrorKind::other,
                    fmt::format("{}: cannot read: {}", display_name(e), errno_text(err)));
    }
    if (!S_ISREG(st.st_mode)) {
        throw_changed(display_name(e), "it is no longer a regular file");
    }
    // A file whose stat vouches for its digest (Entry::trusted_stat, equal to the open file's
    // fstat) is copied without hashing it again: the re-hash was most of the CPU of `render
    // --context` beyond GNU tar's (0.55 s per GiB). This is the stat cache's own proof, with the
    // same trust: a record exists only for a file that was not racily clean, i.e. whose mtime and
    // ctime were older than the run's start minus StatCache::racy_margin_ns when its digest was
    // read, so any later write, truncate, chmod or rename moves mtime or ctime (ctime cannot be set
    // by users) or the inode to a value the record does not hold. The fstat after the last read
    // catches a write during the copy (the kernel updates the times before it changes the data);
    // the size it reports proves the file did not grow, so no read past the end is needed. A change
    // found after bytes went out throws, and write_tar then cuts the stream into an invalid
    // archive, as for a digest mismatch.
    const bool trusted = e.trusted_stat && plan::FileStat::from(st) == *e.trusted_stat;
    bool offload = !trusted && e.size > chunk_size && rehasher.start();
    if (e.size > chunk_size && (trusted || offload)) {
        ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
    }

    std::optional<util::Sha256> hash;
    if (!trusted && !offload) {
        hash.emplace();
    }
    std::uint64_t remaining = e.size;
    // One read past the expected size tells a file that grew from one that did not; for a trusted
    // file the fstat after the copy tells it.
    while (!(trusted && remaining == 0)) {
        char* chunk = offload && remaining > 0 ? rehasher.free_chunk() : buffer.data();
        std::size_t want = static_cast<std::size_t>(
            std::min<std::uint64_t>(chunk_size, remaining == 0 ? 1 : remaining));
        ssize_t n = 0;
        do {
            n = ::read(fd.get(), chunk, want);
        } while (n < 0 && errno == EINTR);
        if (n < 0) {
            int err = errno;
            throw Error(ErrorKind::other,
                        fmt::format("{}: cannot read: {}", display_name(e), errno_text(err)));
        }
        if (n == 0) {
            if (remaining != 0) {
                throw_changed(display_name(e), fmt::format("it has {} bytes, {} were expected",
                                                           e.size - remaining, e.size));
            }
            break;
        }
        if (remaining == 0) {
            throw_changed(display_name(e),
                          fmt::format("it has more than the {} bytes expected", e.size));
        }
        auto got = static_cast<std::size_t>(n);
        if (offload) {
            rehasher.hash(chunk, got); // hashed on the other core while this one writes it
        } else if (hash) {
            hash->update(chunk, got);
        }
        tar.write_data(chunk, got, e.path);
        phase.advance(0, got);
        remaining -= got;
    }
    if (trusted) {
        struct stat after {};
        if (::fstat(fd.get(), &after) != 0) {
            int err = errno;
            throw Error(ErrorKind::other,
                        fmt::format("{}: cannot read: {}", display_name(e), errno_text(err)));
        }
        if (plan::FileStat::from(after) != *e.trusted_stat) {
            throw_changed(display_name(e), "it was modified while it was read");
        }
    } else if (offload) {
        rehasher.finish(e);
        rehasher.check();
    } else if (hash->finish() != e.digest) {
        throw_changed(display_name(e), "its content no longer matches the hash in the image tag");
    }
}

void write_entries(TarArchive& tar, const plan::Manifest& manifest, const TarOptions& options,
                   TarStats& stats, const util::ProgressPhase& phase) {
    std::vector<char> buffer(chunk_size);
    Rehasher rehasher;
    plan::FolderOpener opener;
    for (const plan::Entry& e : manifest.entries) {
        std::unique_ptr<archive_entry, EntryDeleter> entry(archive_entry_new());
        if (!entry) {
            throw Error(ErrorKind::other, "libarchive: out of memory");
        }
        archive_entry* ae = entry.get();
        archive_entry_copy_pathname(ae, e.path.c_str());
        archive_entry_set_perm(ae, static_cast<__LA_MODE_T>(e.mode & 07777));
        archive_entry_set_mtime(ae, static_cast<time_t>(options.mtime), 0);
        archive_entry_set_uid(ae, 0);
        archive_entry_set_gid(ae, 0);
        switch (e.type) {
        case plan::EntryType::directory:
            archive_entry_set_filetype(ae, AE_IFDIR);
            archive_entry_set_size(ae, 0);
            tar.write_header(ae, e);
            break;
        case plan::EntryType::symlink:
            check_symlink(e);
            archive_entry_set_filetype(ae, AE_IFLNK);
            archive_entry_copy_symlink(ae, e.link_target.c_str());
            archive_entry_set_size(ae, 0);
            tar.write_header(ae, e);
            break;
        case plan::EntryType::file:
            archive_entry_set_filetype(ae, AE_IFREG);
            archive_entry_set_size(ae, static_cast<la_int64_t>(e.size));
            tar.write_header(ae, e);
            stream_file(tar, e, buffer, opener, rehasher, phase);
            ++stats.files;
            phase.advance(1, 0);
            break;
        }
    }
    // Every digest is checked before the end-of-archive marker can be written.
    rehasher.drain();
}

void write_all(int fd, const void* data, std::size_t size) {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
        ssize_t n = ::write(fd, p, size);
        if (n < 0) {
            int err = errno;
            if (err == EINTR) {
                continue;
            }
            if (err == EAGAIN || err == EWOULDBLOCK) {
                pollfd pfd{fd, POLLOUT, 0};
                ::poll(&pfd, 1, -1);
                continue;
            }
            if (err == EPIPE) {
                throw Error(ErrorKind::other, "the consumer closed the stream",
                            "docker stopped reading the build context; its own error says why");
            }
            throw Error(ErrorKind::other,
                        fmt::format("cannot write the build context: {}", errno_text(err)));
        }
        p += n;
        size -= static_cast<std::size_t>(n);
    }
}

} // namespace

TarStats write_tar(const plan::Manifest& manifest, const TarOptions& options, const Sink& sink) {
    CLocale c_locale;
    SinkState state;
    state.sink = &sink;
    TarStats stats;
    std::uint64_t total_files = 0;
    std::uint64_t total_bytes = 0;
    if (options.progress != nullptr) {
        for (const plan::Entry& e : manifest.entries) {
            if (e.type == plan::EntryType::file) {
                ++total_files;
                total_bytes += e.size;
            }
        }
    }
    // end() once the last block is out, or when this throws.
    const util::ProgressPhase phase(options.progress, options.progress_what, total_files,
                                    total_bytes);
    try {
        TarArchive tar(state);
        write_entries(tar, manifest, options, stats, phase);
        tar.close();
    } catch (...) {
        // The archive is already freed without its end marker. A sink that failed gets nothing
        // more; otherwise it is told, in a way no tar reader accepts, that the stream is broken.
        if (!state.error) {
            std::string poison;
            while (poison.size() < 512) {
                poison += poison_line;
            }
            poison.resize(512);
            try {
                sink(poison.data(), poison.size());
            } catch (...) {
                // The original error matters more than a second one from the sink.
            }
        }
        throw;
    }
    stats.bytes = state.bytes;
    return stats;
}

TarStats write_tar_to_fd(const plan::Manifest& manifest, const TarOptions& options, int fd) {
    // Into a regular file, start the write-back of each written window to the disk at once, in the
    // background: `render --context` fsyncs the file when it is complete (AtomicFile::commit),
    // and that fsync otherwise waits for the whole archive to reach the disk after the last byte.
    struct stat st {};
    bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    off_t start = regular ? ::lseek(fd, 0, SEEK_CUR) : 0;
    regular = regular && start >= 0;
    std::uint64_t written = 0;
    std::uint64_t flushed = 0;
    return write_tar(manifest, options, [&](const void* data, std::size_t size) {
        write_all(fd, data, size);
        written += size;
        if (regular && written - flushed >= writeback_window) {
            ::sync_file_range(fd, start + static_cast<off_t>(flushed),
                              static_cast<off_t>(written - flushed), SYNC_FILE_RANGE_WRITE);
            flushed = written;
        }
    });
}

} // namespace imgspec::context
