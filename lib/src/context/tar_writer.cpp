#include <imgspec/context/tar_writer.hpp>

#include <imgspec/core/error.hpp>
#include <imgspec/plan/walk.hpp>
#include <imgspec/util/fd.hpp>
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

// Files are read ahead of the writer, on another thread, into batches of this size; up to
// `batch_count` of them are in flight (2 MiB in all, whatever the size of the context). One batch
// holds about a hundred small files, so the two threads meet once per hundred files, not per file.
constexpr std::size_t batch_size = 256 * 1024;
constexpr std::size_t batch_count = 8;
// Files per batch at most: bounds the memory of a batch of empty files.
constexpr std::size_t batch_pieces = 1024;

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

[[noreturn]] void throw_changed(const std::string& what, const std::string& detail) {
    throw Error(ErrorKind::other,
                fmt::format("{} changed while the build context was written ({})", what, detail),
                changed_hint);
}

// The name the user knows: the file on disk when there is one.
std::string display_name(const plan::Entry& e) {
    return e.source.empty() ? e.path : e.source;
}

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
    locale_t get() const { return m_c; }

  private:
    locale_t m_c;
    locale_t m_previous{};
};

struct EntryDeleter {
    void operator()(archive_entry* e) const { archive_entry_free(e); }
};

// A stretch of one file's bytes in a Batch. `last` ends the file: its bytes are all there and
// proven unchanged, or `error` says why not, to be thrown once the bytes before it are written.
struct Piece {
    std::size_t offset = 0;
    std::size_t size = 0;
    bool last = false;
    std::exception_ptr error;
};

// Files' bytes in manifest order, each file one or more pieces (a file may go on in the next
// batch).
struct Batch {
    Batch() : data(new char[batch_size]) {}
    bool full() const { return used == batch_size || pieces.size() == batch_pieces; }
    // A new piece, at the end of the bytes so far.
    Piece& start_piece() {
        pieces.emplace_back().offset = used;
        return pieces.back();
    }
    void clear() {
        used = 0;
        pieces.clear();
    }

    std::unique_ptr<char[]> data;
    std::size_t used = 0;
    std::vector<Piece> pieces;
};

// Reads the manifest's source files in order into batches, checking each as it goes: a file
// whose Entry::trusted_stat equals the open file's fstat before and after the read is not hashed
// again (the stat cache's proof, see open()); every other file is hashed while it is read, and
// must have Entry::size bytes and Entry::digest. All checks of a file are done before its last
// piece is handed over, so the writer sends no byte of a file read after a later one failed.
class FileReader {
  public:
    explicit FileReader(const std::vector<plan::Entry>& entries) : m_entries(entries) {}

    // Fills `b` until it is full or the files end. A failure ends the reading: it becomes the
    // error of the failing file's last piece.
    void fill(Batch& b) {
        try {
            if (m_file != nullptr) {
                b.start_piece(); // the open file goes on in this batch
            }
            while (!m_done) {
                if (m_file == nullptr && !start_next(b)) {
                    return;
                }
                if (!read_into(b)) {
                    return; // the batch is full; the file goes on in the next one
                }
                finish();
                b.pieces.back().last = true;
            }
        } catch (...) {
            fail(b, std::current_exception());
        }
    }

    // Every file is read, or one failed.
    bool done() const { return m_done; }

  private:
    // Opens the next source file into a new piece of `b`; false when `b` is full or there is
    // no file left.
    bool start_next(Batch& b) {
        if (b.full()) {
            return false;
        }
        while (m_next < m_entries.size() && !has_source(m_entries[m_next])) {
            ++m_next;
        }
        if (m_next == m_entries.size()) {
            m_done = true;
            return false;
        }
        open(m_entries[m_next++]);
        b.start_piece();
        return true;
    }

    static bool has_source(const plan::Entry& e) {
        return e.type == plan::EntryType::file && !e.source.empty();
    }

    void open(const plan::Entry& e) {
        // O_NONBLOCK: if a FIFO took the file's place, open must not wait for a writer. It does
        // not affect reads from a regular file.
        m_fd.reset(m_opener.open(e.source, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
        if (m_fd.get() < 0) {
            int err = errno;
            if (err == ENOENT || err == ELOOP) {
                throw_changed(display_name(e),
                              err == ELOOP ? "it is now a symlink" : "it was deleted");
            }
            throw_unreadable(e, err);
        }
        struct stat st {};
        if (::fstat(m_fd.get(), &st) != 0) {
            throw_unreadable(e, errno);
        }
        if (!S_ISREG(st.st_mode)) {
            throw_changed(display_name(e), "it is no longer a regular file");
        }
        // A file whose stat vouches for its digest (Entry::trusted_stat, equal to the open
        // file's fstat) is copied without hashing it again: the re-hash was most of the CPU of
        // `render --context` beyond GNU tar's (0.55 s per GiB). This is the stat cache's own
        // proof, with the same trust: a record exists only for a file that was not racily clean,
        // i.e. whose mtime and ctime were older than the run's start minus
        // StatCache::racy_margin_ns when its digest was read, so any later write, truncate, chmod
        // or rename moves mtime or ctime (ctime cannot be set by users) or the inode to a value
        // the record does not hold. The fstat after the last read (finish()) catches a write
        // during the read (the kernel updates the times before it changes the data); the size it
        // reports proves the file did not grow, so no read past the end is needed.
        m_trusted = e.trusted_stat && plan::FileStat::from(st) == *e.trusted_stat;
        if (e.size > batch_size) {
            ::posix_fadvise(m_fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
        }
        if (!m_trusted) {
            m_hash.emplace();
        }
        m_file = &e;
        m_remaining = e.size;
    }

    // Reads the rest of the file into `b`, hashing it unless trusted; false when `b` fills first.
    bool read_into(Batch& b) {
        Piece& piece = b.pieces.back();
        while (m_remaining > 0) {
            std::size_t space = batch_size - b.used;
            if (space == 0) {
                return false;
            }
            char* at = b.data.get() + b.used;
            std::size_t got = read_some(at, std::min<std::uint64_t>(space, m_remaining));
            if (got == 0) {
                throw_changed(display_name(*m_file),
                              fmt::format("it has {} bytes, {} were expected",
                                          m_file->size - m_remaining, m_file->size));
            }
            if (m_hash) {
                m_hash->update(at, got);
            }
            b.used += got;
            piece.size += got;
            m_remaining -= got;
        }
        return true;
    }

    // The file's bytes are read: proves them unchanged and closes it.
    void finish() {
        const plan::Entry& e = *m_file;
        if (m_trusted) {
            struct stat after {};
            if (::fstat(m_fd.get(), &after) != 0) {
                throw_unreadable(e, errno);
            }
            if (plan::FileStat::from(after) != *e.trusted_stat) {
                throw_changed(display_name(e), "it was modified while it was read");
            }
        } else {
            // One read past the expected size tells a file that grew from one that did not.
            char extra = 0;
            if (read_some(&extra, 1) != 0) {
                throw_changed(display_name(e),
                              fmt::format("it has more than the {} bytes expected", e.size));
            }
            if (m_hash->finish() != e.digest) {
                throw_changed(display_name(e),
                              "its content no longer matches the hash in the image tag");
            }
            m_hash.reset();
        }
        m_fd.reset(-1);
        m_file = nullptr;
    }

    std::size_t read_some(char* to, std::size_t want) {
        ssize_t n = 0;
        do {
            n = ::read(m_fd.get(), to, want);
        } while (n < 0 && errno == EINTR);
        if (n < 0) {
            throw_unreadable(*m_file, errno);
        }
        return static_cast<std::size_t>(n);
    }

    [[noreturn]] static void throw_unreadable(const plan::Entry& e, int err) {
        throw Error(ErrorKind::other,
                    fmt::format("{}: cannot read: {}", display_name(e), util::errno_text(err)));
    }

    // The failure ends the failing file's piece (a new one if the file had none in `b` yet)
    // and the reading.
    void fail(Batch& b, std::exception_ptr error) {
        if (b.pieces.empty() || b.pieces.back().last) {
            b.start_piece();
        }
        b.pieces.back().last = true;
        b.pieces.back().error = std::move(error);
        m_fd.reset(-1);
        m_file = nullptr;
        m_done = true;
    }

    const std::vector<plan::Entry>& m_entries;
    std::size_t m_next = 0;              // the next entry to look at
    const plan::Entry* m_file = nullptr; // the file being read, open in m_fd
    util::Fd m_fd;
    std::uint64_t m_remaining = 0;
    bool m_trusted = false;
    std::optional<util::Sha256> m_hash; // of an untrusted file
    plan::FolderOpener m_opener;
    bool m_done = false;
};

// Runs a FileReader on another core while this thread writes headers and data through
// libarchive: a profile of `render --context` on 100,000 small files showed the open, fstat,
// read and close of each file as more than half of the writing, and libarchive's headers and the
// writes as most of the rest, so the two halves overlap. The reader also hashes the files that
// need it, which a thread of its own used to do for large files (SHA-256 runs at about 1.8 GB/s a
// core, no faster than reading and writing them).
//
// Without a thread to be had, the batches are filled on this thread as they are needed.
class Prefetcher {
  public:
    Prefetcher(const std::vector<plan::Entry>& entries, locale_t locale)
        : m_reader(entries), m_batches(batch_count) {
        for (Batch& b : m_batches) {
            m_free.push_back(&b);
        }
        try {
            m_thread = std::thread([this, locale] { run(locale); });
        } catch (const std::system_error&) {
            // m_thread stays empty: next() fills the batches itself.
        }
    }
    ~Prefetcher() {
        {
            std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_cv.notify_all();
        if (m_thread.joinable()) {
            m_thread.join();
        }
    }
    Prefetcher(const Prefetcher&) = delete;
    Prefetcher& operator=(const Prefetcher&) = delete;

    // The next piece of the source files' bytes, in manifest order. It and its bytes stay valid
    // until the next call.
    const Piece& next() {
        while (m_current == nullptr || m_index == m_current->pieces.size()) {
            if (m_current != nullptr) {
                give_back(m_current);
            }
            m_current = take_ready();
            m_index = 0;
        }
        return m_current->pieces[m_index++];
    }

    const char* data(const Piece& p) const { return m_current->data.get() + p.offset; }

  private:
    // Never throws: FileReader::fill hands every failure over in a piece.
    void run(locale_t locale) {
        ::uselocale(locale); // strerror() in messages as on the writing thread
        while (Batch* b = take_free()) {
            m_reader.fill(*b);
            bool done = m_reader.done();
            {
                std::lock_guard lock(m_mutex);
                m_ready.push_back(b);
                m_finished = done;
            }
            m_cv.notify_all();
            if (done) {
                return;
            }
        }
    }

    Batch* take_free() {
        std::unique_lock lock(m_mutex);
        m_cv.wait(lock, [&] { return m_stop || !m_free.empty(); });
        if (m_stop) {
            return nullptr;
        }
        Batch* b = m_free.back();
        m_free.pop_back();
        return b;
    }

    Batch* take_ready() {
        if (!m_thread.joinable()) {
            return fill_here();
        }
        std::unique_lock lock(m_mutex);
        m_cv.wait(lock, [&] { return !m_ready.empty() || m_finished; });
        if (m_ready.empty()) {
            throw_exhausted();
        }
        Batch* b = m_ready.front();
        m_ready.pop_front();
        return b;
    }

    // Without a thread: the writer holds no batch now, so one is free.
    Batch* fill_here() {
        if (m_reader.done()) {
            throw_exhausted();
        }
        Batch* b = m_free.back();
        m_free.pop_back();
        m_reader.fill(*b);
        return b;
    }

    // The writer asked for more files than the manifest has: a bug, but not a hang.
    [[noreturn]] static void throw_exhausted() {
        throw Error(ErrorKind::other, "internal error: the tar writer ran out of file data");
    }

    void give_back(Batch* b) {
        b->clear();
        {
            std::lock_guard lock(m_mutex);
            m_free.push_back(b);
        }
        m_cv.notify_all();
    }

    FileReader m_reader; // used by the thread only, or by this one when there is no thread
    std::vector<Batch> m_batches;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::vector<Batch*> m_free;
    std::deque<Batch*> m_ready;
    bool m_stop = false;
    bool m_finished = false;    // the thread handed over its last batch
    Batch* m_current = nullptr; // the batch the writer reads, from take_ready()
    std::size_t m_index = 0;    // its next piece
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
            throw_changed(display_name(e), fmt::format("readlink: {}", util::errno_text(err)));
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

// Writes a generated file (Entry::content), checking it against the digest in the image tag.
void write_content(TarArchive& tar, const plan::Entry& e, const util::ProgressPhase& phase) {
    if (e.content.size() != e.size) {
        throw Error(ErrorKind::other,
                    fmt::format("internal error: generated file {} has {} bytes, the manifest "
                                "says {}",
                                e.path, e.content.size(), e.size));
    }
    tar.write_data(e.content.data(), e.content.size(), e.path);
    phase.advance(0, e.content.size());
    if (util::sha256(e.content) != e.digest) {
        throw_changed(display_name(e), "its content no longer matches the hash in the image tag");
    }
}

// Writes one file's bytes as the Prefetcher read and checked them. The header (with the size
// from the manifest) is already written, so a failure throws before the archive ends.
void write_source(TarArchive& tar, const plan::Entry& e, Prefetcher& files,
                  const util::ProgressPhase& phase) {
    for (;;) {
        const Piece& p = files.next();
        if (p.size > 0) {
            tar.write_data(files.data(p), p.size, e.path);
            phase.advance(0, p.size);
        }
        if (p.error) {
            std::rethrow_exception(p.error);
        }
        if (p.last) {
            return;
        }
    }
}

// The header fields every entry type has, and no symlink target (one archive_entry serves all).
void set_common_fields(archive_entry* ae, const plan::Entry& e, const TarOptions& options) {
    archive_entry_copy_pathname(ae, e.path.c_str());
    archive_entry_set_perm(ae, static_cast<__LA_MODE_T>(e.mode & 07777));
    archive_entry_set_mtime(ae, static_cast<time_t>(options.mtime), 0);
    archive_entry_set_uid(ae, 0);
    archive_entry_set_gid(ae, 0);
    archive_entry_copy_symlink(ae, nullptr);
}

void write_entries(TarArchive& tar, const plan::Manifest& manifest, const TarOptions& options,
                   TarStats& stats, const util::ProgressPhase& phase, locale_t locale) {
    Prefetcher files(manifest.entries, locale);
    // One archive_entry for all, every field set again for each entry (set_common_fields):
    // archive_write_header clones and frees the entry it is given anyway (pax writer), and a new
    // and freed entry per file on top of that was 9 % of this thread's instructions (callgrind,
    // 100,000 small files), mostly malloc and free.
    std::unique_ptr<archive_entry, EntryDeleter> entry(archive_entry_new());
    if (!entry) {
        throw Error(ErrorKind::other, "libarchive: out of memory");
    }
    archive_entry* ae = entry.get();
    for (const plan::Entry& e : manifest.entries) {
        set_common_fields(ae, e, options);
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
            if (e.source.empty()) {
                write_content(tar, e, phase);
            } else {
                write_source(tar, e, files, phase);
            }
            ++stats.files;
            phase.advance(1, 0);
            break;
        }
    }
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
                        fmt::format("cannot write the build context: {}", util::errno_text(err)));
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
        write_entries(tar, manifest, options, stats, phase, c_locale.get());
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
    return write_tar(manifest, options,
                     [&](const void* data, std::size_t size) { write_all(fd, data, size); });
}

} // namespace imgspec::context
