// Reading files for their digests (walk.hpp's hash_entry, hash_entries, hash_pending), on
// several threads, and FolderOpener, which opens them.

#include <imgspec/plan/walk.hpp>

#include "walk_support.hpp"

#include <imgspec/core/error.hpp>
#include <imgspec/util/fd.hpp>
#include <imgspec/util/open_nofollow.hpp>
#include <imgspec/util/sha256.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace imgspec::plan {

namespace {

using detail::cannot_read;
using detail::throw_changed;

constexpr std::size_t read_buffer_size = 1 << 20;

// `hash` is the calling thread's own, reused from file to file.
void hash_file(Entry& e, std::vector<char>& buffer, FolderOpener& opener, util::Sha256& hash,
               StatCache* cache, const util::ProgressPhase* phase) {
    // O_NONBLOCK: if a FIFO took the file's place, open must not wait for a writer. Reads from a
    // regular file ignore it.
    util::Fd fd(opener.open(e.source, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (fd.get() < 0) {
        int err = errno;
        if (err == ENOENT) {
            throw_changed(e.source, "it was deleted");
        }
        if (err == ELOOP) {
            throw_changed(e.source, "it is now a symlink");
        }
        throw Error(ErrorKind::invalid_spec, cannot_read(e.source, err));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        throw Error(ErrorKind::invalid_spec, cannot_read(e.source, errno));
    }
    if (!S_ISREG(st.st_mode)) {
        throw_changed(e.source, "it is no longer a regular file");
    }
    if (e.mode == 0) { // listed, not stat'ed (WalkOptions::defer_file_stat): this is its stat
        e.mode = detail::file_mode(st);
        e.size = static_cast<std::uint64_t>(st.st_size);
    }
    if (static_cast<std::size_t>(st.st_size) > buffer.size()) {
        ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
    }

    hash.reset();
    std::uint64_t total = 0;
    for (;;) {
        ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw Error(ErrorKind::invalid_spec, cannot_read(e.source, errno));
        }
        if (n == 0) {
            break;
        }
        hash.update(buffer.data(), static_cast<std::size_t>(n));
        total += static_cast<std::uint64_t>(n);
        if (phase != nullptr) {
            phase->advance(0, static_cast<std::uint64_t>(n));
        }
        // A read of a regular file that returns less than asked for stopped at the end of the
        // file: when that is the expected size, the read that would return 0 is not needed (one
        // syscall fewer per small file; 100,000 of them on a tree of small files).
        if (static_cast<std::size_t>(n) < buffer.size() && total == e.size &&
            total == static_cast<std::uint64_t>(st.st_size)) {
            break;
        }
    }
    if (total != e.size) {
        throw_changed(e.source, fmt::format("it has {} bytes, {} were expected", total, e.size));
    }
    e.digest = hash.finish();
    if (cache != nullptr) {
        // The stat from before the read: a write during the read moved mtime/ctime past it, so
        // the record will not match next time (or is racily clean and not kept).
        FileStat fs = FileStat::from(st);
        if (cache->record(e.source, fs, e.digest)) {
            // The same trust as a record: the tar writer may check this stat instead of hashing
            // the file again (a write during the read left the record unmatchable, see above).
            e.trusted_stat = fs;
        }
    }
}

// The buffers and handles one thread reuses from file to file.
struct Worker {
    std::vector<char> buffer = std::vector<char>(read_buffer_size);
    FolderOpener opener;
    util::Sha256 hash;
};

// A generated file (no source): its content is in the entry.
void hash_content(Entry& e) {
    e.size = e.content.size();
    e.digest = util::sha256(e.content);
}

void hash_one(Entry& e, Worker& w, StatCache* cache = nullptr,
              const util::ProgressPhase* phase = nullptr) {
    if (e.type != EntryType::file) {
        return;
    }
    if (e.source.empty()) {
        hash_content(e);
        if (phase != nullptr) {
            phase->advance(1, e.size);
        }
        return;
    }
    hash_file(e, w.buffer, w.opener, w.hash, cache, phase);
    if (phase != nullptr) {
        phase->advance(1, 0);
    }
}

bool pending(const Entry& e) {
    return e.type == EntryType::file && e.digest == Digest{};
}

// The work loop of hash_entries: `which` picks the entries to hash.
template <class Which>
void hash_some(std::vector<Entry>& entries, unsigned threads, StatCache* cache,
               util::Progress* progress, Which which) {
    if (threads == 0) {
        threads = std::max(1u, std::thread::hardware_concurrency());
    }
    std::size_t files = 0;
    std::uint64_t bytes = 0;
    for (const Entry& e : entries) {
        if (which(e)) {
            ++files;
            bytes += e.source.empty() ? e.content.size() : e.size;
        }
    }
    if (files == 0) {
        return;
    }
    // end() on every way out, a failure too.
    const util::ProgressPhase phase(progress, "hashing", files, bytes);
    threads = static_cast<unsigned>(std::min<std::size_t>(threads, files));
    if (threads <= 1) {
        Worker w;
        for (Entry& e : entries) {
            if (which(e)) {
                hash_one(e, w, cache, &phase);
            }
        }
        return;
    }

    // An atomic index rather than fixed chunks: file sizes vary wildly, so threads take the next
    // entry when they are done with one.
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex error_mutex;
    std::size_t error_index = entries.size();
    std::exception_ptr error;

    auto work = [&] {
        std::optional<Worker> w;
        try {
            w.emplace();
        } catch (...) {
            std::lock_guard lock(error_mutex);
            if (!error) {
                error = std::current_exception();
            }
            failed.store(true, std::memory_order_relaxed);
            return;
        }
        while (!failed.load(std::memory_order_relaxed)) {
            std::size_t i = next.fetch_add(1, std::memory_order_relaxed);
            if (i >= entries.size()) {
                return;
            }
            if (!which(entries[i])) {
                continue;
            }
            try {
                hash_one(entries[i], *w, cache, &phase);
            } catch (...) {
                std::lock_guard lock(error_mutex);
                if (i < error_index) {
                    error_index = i;
                    error = std::current_exception();
                }
                failed.store(true, std::memory_order_relaxed);
            }
        }
    };

    detail::on_threads(threads, work);
    if (error) {
        std::rethrow_exception(error);
    }
}

} // namespace

void hash_entry(Entry& e) {
    if (e.type != EntryType::file) {
        return;
    }
    if (e.source.empty()) {
        hash_content(e); // no Worker: its read buffer is not needed
        return;
    }
    Worker w;
    hash_one(e, w);
}

FolderOpener::~FolderOpener() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

int FolderOpener::open(const std::string& path, int flags) {
    std::size_t slash = path.rfind('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == path.size() || path[0] != '/') {
        return util::open_nofollow(AT_FDCWD, path.c_str(), flags);
    }
    std::string_view dir(path.data(), slash);
    if (m_fd < 0 || dir != m_dir) {
        if (m_fd >= 0) {
            ::close(m_fd);
            m_fd = -1;
        }
        // O_PATH: only a handle to resolve names from, even in a folder that may not be listed.
        // No symlink followed in the folder's path (see util::open_nofollow): the file is read
        // from inside the folder that was planned, or not at all.
        int fd = util::open_nofollow(AT_FDCWD, std::string(dir).c_str(), O_PATH | O_DIRECTORY);
        if (fd < 0) {
            return -1; // errno: ELOOP for a symlink in the path
        }
        m_fd = fd;
        m_dir.assign(dir);
    }
    return ::openat(m_fd, path.c_str() + slash + 1, flags);
}

void hash_entries(std::vector<Entry>& entries, unsigned threads, util::Progress* progress) {
    hash_some(entries, threads, nullptr, progress,
              [](const Entry& e) { return e.type == EntryType::file; });
}

void hash_pending(std::vector<Entry>& entries, unsigned threads, StatCache* cache,
                  util::Progress* progress) {
    hash_some(entries, threads, cache, progress, pending);
}

} // namespace imgspec::plan
