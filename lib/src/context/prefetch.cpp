#include "prefetch.hpp"

#include <imgspec/core/error.hpp>
#include <imgspec/plan/walk.hpp>
#include <imgspec/util/fd.hpp>
#include <imgspec/util/sha256.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace imgspec::context::detail {

namespace {

// Files are read ahead of the writer, on another thread, into batches of this size; up to
// `batch_count` of them are in flight (2 MiB in all, whatever the size of the context). One batch
// holds about a hundred small files, so the two threads meet once per hundred files, not per file.
constexpr std::size_t batch_size = 256 * 1024;
constexpr std::size_t batch_count = 8;
// Files per batch at most: bounds the memory of a batch of empty files.
constexpr std::size_t batch_pieces = 1024;

const char* const changed_hint =
    "Something wrote to the file while imgspec was sending it to docker (an editor, a build, a "
    "download?). Wait for it to finish and run imgspec again.";

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

} // namespace

void throw_changed(const std::string& what, const std::string& detail) {
    throw Error(ErrorKind::other,
                fmt::format("{} changed while the build context was written ({})", what, detail),
                changed_hint);
}

std::string display_name(const plan::Entry& e) {
    return e.source.empty() ? e.path : e.source;
}

// Runs a FileReader on another core while this thread writes headers and data through
// libarchive: a profile of `render --context` on 100,000 small files showed the open, fstat,
// read and close of each file as more than half of the writing, and libarchive's headers and the
// writes as most of the rest, so the two halves overlap. The reader also hashes the files that
// need it, which a thread of its own used to do for large files (SHA-256 runs at about 1.8 GB/s a
// core, no faster than reading and writing them).
//
// Without a thread to be had, the batches are filled on this thread as they are needed.
class Prefetcher::Impl {
  public:
    Impl(const std::vector<plan::Entry>& entries, locale_t locale)
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
    ~Impl() {
        {
            std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_cv.notify_all();
        if (m_thread.joinable()) {
            m_thread.join();
        }
    }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

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

Prefetcher::Prefetcher(const std::vector<plan::Entry>& entries, locale_t locale)
    : m_impl(std::make_unique<Impl>(entries, locale)) {}

Prefetcher::~Prefetcher() = default;

const Piece& Prefetcher::next() {
    return m_impl->next();
}

const char* Prefetcher::data(const Piece& p) const {
    return m_impl->data(p);
}

} // namespace imgspec::context::detail
