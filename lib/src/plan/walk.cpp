#include <imgspec/plan/walk.hpp>

#include <imgspec/core/error.hpp>
#include <imgspec/util/fd.hpp>
#include <imgspec/util/open_nofollow.hpp>
#include <imgspec/util/sha256.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <system_error>
#include <thread>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace imgspec::plan {

namespace {

// A hard link to a secret's file has the secret's bytes under another name.
bool is_secret_by_identity(const WalkOptions& o, int dir_fd, const dirent* de) {
    if (o.secret_ids.empty() || de->d_type == DT_DIR) {
        return false;
    }
    bool maybe = std::any_of(o.secret_ids.begin(), o.secret_ids.end(),
                             [&](const auto& id) { return id.second == de->d_ino; });
    struct stat st {};
    if (!maybe || ::fstatat(dir_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(st.st_mode)) {
        return false;
    }
    return std::any_of(o.secret_ids.begin(), o.secret_ids.end(), [&](const auto& id) {
        return id.first == static_cast<std::uint64_t>(st.st_dev) &&
               id.second == static_cast<std::uint64_t>(st.st_ino);
    });
}

constexpr std::size_t read_buffer_size = 1 << 20;

const char* changed_hint = "Something is writing to the folder being copied. Wait for it to "
                           "finish and run imgspec again.";

std::string cannot_read(std::string_view p, int err) {
    return fmt::format("{}: cannot read: {}", p, std::strerror(err));
}

[[noreturn]] void throw_changed(std::string_view p, const std::string& detail) {
    throw Error(ErrorKind::other, fmt::format("{} changed while it was hashed ({})", p, detail),
                changed_hint);
}

std::string read_link(int dirfd, const char* name, const std::string& p, std::size_t size_hint) {
    // st_size of a symlink is its target's length on most file systems, 0 on some (procfs), so
    // the buffer grows until the target fits with room to spare.
    std::string target(std::max<std::size_t>(size_hint + 1, 256), '\0');
    for (;;) {
        ssize_t n = ::readlinkat(dirfd, name, target.data(), target.size());
        if (n < 0) {
            if (errno == EINVAL || errno == ENOENT) { // stat'ed as a symlink a moment ago
                throw_changed(p, "it is no longer a symlink");
            }
            throw Error(ErrorKind::invalid_spec, cannot_read(p, errno));
        }
        if (static_cast<std::size_t>(n) < target.size()) {
            target.resize(static_cast<std::size_t>(n));
            return target;
        }
        target.resize(target.size() * 2);
    }
}

const char* special_kind(mode_t mode) {
    if (S_ISFIFO(mode)) {
        return "a FIFO";
    }
    if (S_ISSOCK(mode)) {
        return "a socket";
    }
    if (S_ISCHR(mode) || S_ISBLK(mode)) {
        return "a device";
    }
    return "not a regular file, folder or symlink";
}

// A regular file's normalized mode: 0755 when its owner may execute it, else 0644.
unsigned file_mode(const struct stat& st) {
    return (st.st_mode & S_IXUSR) != 0 ? 0755 : 0644;
}

// Runs `work` on `threads` threads, this one among them (fewer when the system gives no more),
// and returns when all are done. `first`, when set, runs on this thread before its share.
void on_threads(unsigned threads, const std::function<void()>& work,
                const std::function<void()>& first = {}) {
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) {
        try {
            pool.emplace_back(work);
        } catch (const std::system_error&) {
            break; // out of threads: the ones running share the work
        }
    }
    if (first) {
        first();
    }
    work();
    for (auto& t : pool) {
        t.join();
    }
}

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
        e.mode = file_mode(st);
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

Entry entry_from(const struct stat& st, int dirfd, const char* name, std::string source,
                 std::string context_path, FileStat* stat) {
    Entry e;
    e.path = std::move(context_path);
    if (S_ISREG(st.st_mode)) {
        e.type = EntryType::file;
        e.mode = file_mode(st);
        e.size = static_cast<std::uint64_t>(st.st_size);
        if (stat != nullptr) {
            *stat = FileStat::from(st);
        }
    } else if (S_ISDIR(st.st_mode)) {
        e.type = EntryType::directory;
        e.mode = 0755;
    } else if (S_ISLNK(st.st_mode)) {
        e.type = EntryType::symlink;
        e.mode = 0777;
        e.link_target = read_link(dirfd, name, source, static_cast<std::size_t>(st.st_size));
    } else {
        throw Error(ErrorKind::invalid_spec,
                    fmt::format("{}: is {}; only regular files, folders and symlinks can be copied",
                                source, special_kind(st.st_mode)),
                    "Remove it from the copied folder, or exclude it.");
    }
    e.source = std::move(source);
    return e;
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

    on_threads(threads, work);
    if (error) {
        std::rethrow_exception(error);
    }
}

// a + "/" + b with one allocation.
std::string slash_join(std::string_view a, std::string_view b) {
    std::string s;
    s.reserve(a.size() + 1 + b.size());
    s.append(a).append(1, '/').append(b);
    return s;
}

// Lists the folder `f` into f.found, in readdir order, and stats its entries relative to the open
// folder (fstatat: no path lookup from the root per file). Subfolders to walk are appended to
// `kids`. Paths are built as strings from the folder's own path: std::filesystem::path
// arithmetic per file cost more than the rest of the walk.
void list_folder(WalkedFolder& f, const WalkOptions& o,
                 std::vector<std::unique_ptr<WalkedFolder>>& kids) {
    auto fail = [&](int err) {
        // Where readdir failed is not known: the message goes after what was listed.
        f.found.push_back(Finding::note(Finding::error, f.found.empty() ? "" : "\xff",
                                        fmt::format("cannot read folder '{}': {}", f.rel,
                                                    std::generic_category().message(err))));
    };
    const bool rules = o.ignore != nullptr && !o.ignore->patterns().empty();
    // No symlink followed at any component: the path was canonical when planned, so a symlink
    // in it now was swapped in while imgspec ran, and following it would read outside the folder.
    int fd = util::open_nofollow(AT_FDCWD, f.abs.c_str(), O_RDONLY | O_DIRECTORY);
    DIR* d = fd < 0 ? nullptr : ::fdopendir(fd);
    if (d == nullptr) {
        int err = errno;
        if (fd >= 0) {
            ::close(fd);
        }
        if (err == ELOOP) {
            throw_changed(f.abs, "a folder in its path is now a symlink");
        }
        return fail(err);
    }
    // Closed on every way out: a file replaced during the listing throws.
    const std::unique_ptr<DIR, int (*)(DIR*)> closer(d, ::closedir);
    for (;;) {
        errno = 0;
        const dirent* de = ::readdir(d);
        if (de == nullptr) {
            if (errno != 0) {
                fail(errno);
            }
            break;
        }
        std::string_view name = de->d_name;
        if (name == "." || name == "..") {
            continue;
        }
        bool is_dir = de->d_type == DT_DIR;
        if (de->d_type == DT_UNKNOWN) {
            struct stat st {};
            is_dir =
                ::fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
        }
        // The spec-relative path, only where it is used: no string per file without rules.
        std::string rel;
        auto rel_path = [&]() -> std::string& {
            if (rel.empty()) {
                rel = f.rel.empty() ? std::string(name) : slash_join(f.rel, name);
            }
            return rel;
        };
        bool excluded = rules && o.ignore->excluded(rel_path());
        if (excluded && !(is_dir && o.ignore->may_include_below(rel_path()))) {
            continue;
        }
        std::string abs = slash_join(f.abs, name);
        if ((o.is_secret && o.is_secret(abs)) || is_secret_by_identity(o, fd, de)) {
            f.found.push_back(
                Finding::note(Finding::secret, std::string(name), std::move(rel_path())));
            continue;
        }
        std::string ctx = slash_join(f.ctx, name);
        if (!excluded) {
            Finding x;
            x.name_size = static_cast<std::uint8_t>(name.size()); // NAME_MAX is 255
            if (o.defer_file_stat && de->d_type == DT_REG) {
                x.path = std::move(ctx);
                x.text = std::move(abs);
                if (o.cache_keys) { // a first run: the key orders the records it makes
                    x.key = StatCache::key_of(x.text);
                }
                f.found.push_back(std::move(x)); // mode 0: not stat'ed
                continue;
            }
            bool replaced = false;
            try {
                // A folder's paths are needed again below; a file's are moved.
                Entry e =
                    is_dir ? stat_entry_at(fd, de->d_name, abs, ctx, &x.st)
                           : stat_entry_at(fd, de->d_name, std::move(abs), std::move(ctx), &x.st);
                // readdir and the stat disagree: it was replaced between them (a folder by a
                // symlink, say). Neither view is one state of the folder.
                replaced = is_dir != (e.type == EntryType::directory) ||
                           (de->d_type != DT_UNKNOWN &&
                            (de->d_type == DT_LNK) != (e.type == EntryType::symlink));
                if (e.type == EntryType::file && o.cache_keys) {
                    x.key = StatCache::key_of(e.source);
                }
                x.path = std::move(e.path);
                x.text = std::move(e.source);
                x.link_target = std::move(e.link_target);
                x.st.size = e.size;
                x.mode = e.mode;
                x.type = e.type;
            } catch (const Error& e) {
                if (e.kind() != ErrorKind::invalid_spec) {
                    throw; // changed while listed: the run fails as a whole (exit 1)
                }
                x = Finding::note(Finding::error, std::string(name), e.what());
            }
            if (replaced) {
                throw_changed(x.text, "it was replaced while its folder was listed");
            }
            f.found.push_back(std::move(x));
        }
        if (is_dir) {
            kids.push_back(std::make_unique<WalkedFolder>(
                WalkedFolder{std::move(abs), std::move(rel_path()), std::move(ctx), {}, {}}));
            Finding sub;
            sub.kind = Finding::subfolder;
            sub.name_size = static_cast<std::uint8_t>(name.size());
            sub.folder = kids.back().get();
            f.found.push_back(std::move(sub));
        }
    }
}

// Whether (a, a_slash) sorts before (b, b_slash), a name with `slash` standing for name + "/",
// in byte order.
bool sorts_before(std::string_view a, bool a_slash, std::string_view b, bool b_slash) {
    const std::size_t n = std::min(a.size(), b.size());
    if (int c = std::string_view(a.data(), n).compare(std::string_view(b.data(), n)); c != 0) {
        return c < 0;
    }
    if (a.size() == b.size()) {
        return !a_slash && b_slash; // "x" < "x/"
    }
    if (a.size() < b.size()) {
        return !a_slash || static_cast<unsigned char>('/') < static_cast<unsigned char>(b[n]);
    }
    return b_slash && static_cast<unsigned char>(a[n]) < static_cast<unsigned char>('/');
}

// list_folder, then the findings' order by name (on the walking thread: the sort of the whole
// manifest that this spares was 8 % of a run that found every digest in the stat cache).
void scan_folder(WalkedFolder& f, const WalkOptions& o,
                 std::vector<std::unique_ptr<WalkedFolder>>& kids) {
    list_folder(f, o, kids);
    f.order.resize(f.found.size());
    std::iota(f.order.begin(), f.order.end(), 0u);
    std::sort(f.order.begin(), f.order.end(), [&](std::uint32_t a, std::uint32_t b) {
        const Finding& x = f.found[a];
        const Finding& y = f.found[b];
        return sorts_before(x.name(), x.slash(), y.name(), y.slash());
    });
}

} // namespace

std::string_view Finding::name() const {
    std::string_view p = kind == subfolder ? std::string_view(folder->ctx) : std::string_view(path);
    return p.substr(p.size() - name_size);
}

Entry Finding::take_entry() {
    Entry e;
    e.path = std::move(path);
    e.type = type;
    e.mode = mode;
    e.size = type == EntryType::file ? st.size : 0;
    e.link_target = std::move(link_target);
    e.source = std::move(text);
    return e;
}

Finding Finding::note(Kind kind, std::string name, std::string text) {
    Finding x;
    x.kind = kind;
    x.name_size = static_cast<std::uint8_t>(name.size());
    x.path = std::move(name);
    x.text = std::move(text);
    return x;
}

FolderWalk::FolderWalk(std::string abs, std::string rel, std::string ctx)
    : m_root{std::move(abs), std::move(rel), std::move(ctx), {}, {}} {}

void FolderWalk::run(const WalkOptions& options) {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<WalkedFolder*> todo{&m_root};
    std::size_t busy = 0;
    std::exception_ptr failure;
    auto work = [&] {
        std::vector<std::unique_ptr<WalkedFolder>> kids;
        std::unique_lock lock(mutex);
        for (;;) {
            changed.wait(lock, [&] { return !todo.empty() || busy == 0 || failure; });
            if (failure || todo.empty()) {
                return; // failed, or nothing left to hand out and nobody who could add more
            }
            WalkedFolder* f = todo.back();
            todo.pop_back();
            ++busy;
            lock.unlock();
            std::exception_ptr thrown;
            try {
                scan_folder(*f, options, kids);
            } catch (...) {
                thrown = std::current_exception();
            }
            lock.lock();
            --busy;
            if (thrown && !failure) {
                failure = thrown;
            }
            for (auto& k : kids) {
                todo.push_back(k.get());
                m_folders.push_back(std::move(k));
            }
            kids.clear();
            changed.notify_all();
        }
    };
    auto meanwhile = [&] {
        try {
            options.meanwhile();
        } catch (...) {
            std::lock_guard lock(mutex);
            failure = std::current_exception();
            changed.notify_all();
        }
    };
    on_threads(options.threads, work,
               options.meanwhile ? std::function<void()>(meanwhile) : nullptr);
    if (failure) {
        std::rethrow_exception(failure);
    }
}

void FolderWalk::visit(const std::function<void(Finding&, const WalkedFolder&)>& visitor) {
    struct Visit {
        WalkedFolder* folder;
        std::size_t next = 0;
    };
    std::vector<Visit> stack{{&m_root}};
    while (!stack.empty()) {
        WalkedFolder* cur = stack.back().folder;
        if (stack.back().next == cur->order.size()) {
            std::vector<Finding>().swap(cur->found); // visited: give the memory back now
            stack.pop_back();
            continue;
        }
        Finding& x = cur->found[cur->order[stack.back().next++]];
        if (x.kind == Finding::subfolder) {
            stack.push_back(Visit{x.folder});
        } else {
            visitor(x, *cur);
        }
    }
}

std::size_t FolderWalk::size() const {
    std::size_t n = m_root.found.size();
    for (const auto& f : m_folders) {
        n += f->found.size();
    }
    return n;
}

Entry stat_entry(const std::filesystem::path& source, std::string context_path) {
    return stat_entry(source, std::move(context_path), nullptr);
}

Entry stat_entry(const std::filesystem::path& source, std::string context_path, FileStat* stat) {
    return stat_entry_at(AT_FDCWD, source.c_str(), source.string(), std::move(context_path), stat);
}

Entry stat_entry_at(int dirfd, const char* name, std::string source, std::string context_path,
                    FileStat* stat) {
    struct stat st {};
    if (::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        throw Error(ErrorKind::invalid_spec, cannot_read(source, errno));
    }
    return entry_from(st, dirfd, name, std::move(source), std::move(context_path), stat);
}

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
