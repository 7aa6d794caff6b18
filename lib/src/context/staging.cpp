#include <imgspec/context/staging.hpp>

#include "prefetch.hpp"

#include <imgspec/core/error.hpp>
#include <imgspec/util/atomic_file.hpp>
#include <imgspec/util/sha256.hpp>
#include <imgspec/util/signals.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <sstream>
#include <unordered_map>

#include <fcntl.h>
#include <locale.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace imgspec::context {

namespace fs = std::filesystem;
using plan::Entry;
using plan::EntryType;
using plan::FileStat;

namespace {

constexpr std::string_view state_header = "imgspec-staged 1\n";
constexpr std::int64_t ns_per_second = 1000000000;

// What was staged at one path (the state file's record).
struct Record {
    EntryType type = EntryType::file;
    unsigned mode = 0;
    std::string digest; // hex, files only
    std::string link;   // symlinks only
    FileStat st;        // the staged path's lstat after it was written
};

using State = std::unordered_map<std::string, Record>;

char type_char(EntryType t) {
    return t == EntryType::file ? 'f' : t == EntryType::symlink ? 'l' : 'd';
}

// The state file: a header, then per record the path, the fields and the link target, each ended
// by a NUL (paths may hold any byte but NUL). A file that does not parse is an empty state: every
// file is written again.
State read_state(const fs::path& file) {
    State state;
    std::ifstream in(file, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.compare(0, state_header.size(), state_header) != 0) {
        return state;
    }
    std::size_t at = state_header.size();
    auto field = [&](std::string& out) {
        std::size_t end = text.find('\0', at);
        if (end == std::string::npos) {
            return false;
        }
        out = text.substr(at, end - at);
        at = end + 1;
        return true;
    };
    std::string path;
    std::string fields;
    std::string link;
    while (at < text.size()) {
        if (!field(path) || !field(fields) || !field(link)) {
            return {};
        }
        std::istringstream f(fields);
        char t = 0;
        Record r;
        f >> t >> std::oct >> r.mode >> std::dec >> r.digest >> r.st.size >> r.st.mtime_ns >>
            r.st.ctime_ns >> r.st.ino >> r.st.dev;
        if (!f || (t != 'f' && t != 'l' && t != 'd')) {
            return {};
        }
        r.type = t == 'f' ? EntryType::file : t == 'l' ? EntryType::symlink : EntryType::directory;
        r.link = link;
        state[path] = std::move(r);
    }
    return state;
}

void write_state(const fs::path& file, const State& state) {
    std::string text(state_header);
    for (const auto& [path, r] : state) {
        text += path;
        text += '\0';
        text += fmt::format("{} {:o} {} {} {} {} {} {}", type_char(r.type), r.mode,
                            r.digest.empty() ? "-" : r.digest, r.st.size, r.st.mtime_ns,
                            r.st.ctime_ns, r.st.ino, r.st.dev);
        text += '\0';
        text += r.link;
        text += '\0';
    }
    util::AtomicFile out(file, 0600);
    out.write(text);
    out.commit(util::AtomicFile::Durability::unsynced);
}

[[noreturn]] void throw_io(const std::string& what, const fs::path& path, int err) {
    throw Error(ErrorKind::other, fmt::format("staging the build context: {} {}: {}", what,
                                              path.string(), util::errno_text(err)));
}

std::optional<FileStat> lstat_of(const fs::path& p) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) {
        return std::nullopt;
    }
    return FileStat::from(st);
}

void set_mtime(const fs::path& p, std::int64_t ns, bool symlink) {
    struct timespec times[2] = {{0, 0},
                                {ns / ns_per_second, static_cast<long>(ns % ns_per_second)}};
    if (::utimensat(AT_FDCWD, p.c_str(), times, symlink ? AT_SYMLINK_NOFOLLOW : 0) != 0) {
        throw_io("cannot set the time of", p, errno);
    }
}

void check_stop(const std::atomic<bool>* cancel) {
    if (util::interrupted() || (cancel != nullptr && cancel->load())) {
        throw Error(ErrorKind::interrupted, "staging the build context was stopped");
    }
}

// The mtime a staged file gets: 0 s and the digest's nanoseconds, moved on by one when that is
// the mtime the same path had with other content of the same size (BuildKit would not send it).
std::int64_t new_mtime(const plan::Digest& digest, std::uint64_t size, const Record* old) {
    std::int64_t ns = staged_mtime_ns(digest);
    if (old != nullptr && old->type == EntryType::file && old->st.size == size &&
        old->st.mtime_ns == ns && old->digest != util::to_hex(digest)) {
        ns = (ns + 1) % ns_per_second;
    }
    return ns;
}

// The source file still has the digest in the manifest (its stat moved: touched, or rewritten
// with the same bytes).
bool same_content(const Entry& e) {
    util::Fd fd(::open(e.source.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) {
        return false;
    }
    util::Sha256 h;
    std::vector<char> buf(1 << 20);
    for (;;) {
        ssize_t n = ::read(fd.get(), buf.data(), buf.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return false;
        }
        if (n == 0) {
            break;
        }
        h.update(buf.data(), static_cast<std::size_t>(n));
    }
    return h.finish() == e.digest;
}

// AtomicFile's temp name is ".<name>.tmp.XXXXXX": for a name near NAME_MAX (255 bytes) it does not
// fit, so such a file is written under a short name in its folder and renamed (a leftover of an
// interrupted run is a path not in the manifest, removed by the next staging).
constexpr std::size_t long_name = 200;
constexpr const char* short_name = ".imgspec-staging";

fs::path write_path(const fs::path& target) {
    return target.filename().native().size() > long_name ? target.parent_path() / short_name
                                                         : target;
}

void move_into_place(const fs::path& target) {
    fs::path written = write_path(target);
    if (written != target && ::rename(written.c_str(), target.c_str()) != 0) {
        throw_io("cannot rename into", target, errno);
    }
}

} // namespace

fs::path staging_root(const fs::path& cache_dir, const std::string& name, const std::string& key) {
    std::string readable;
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.';
        readable += ok ? c : '_';
    }
    if (readable.size() > 64) {
        readable.resize(64);
    }
    std::string hash = util::to_hex(util::sha256(key)).substr(0, 16);
    return cache_dir / "contexts" / (readable.empty() ? hash : readable + "-" + hash);
}

std::int64_t staged_mtime_ns(const plan::Digest& digest) {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) {
        v = (v << 8) | digest[static_cast<std::size_t>(i)];
    }
    return static_cast<std::int64_t>(v % static_cast<std::uint64_t>(ns_per_second));
}

StagedFolder::StagedFolder(fs::path root) : m_root(std::move(root)) {}

bool StagedFolder::try_lock() {
    std::error_code ec;
    fs::create_directories(m_root, ec);
    if (ec) {
        throw_io("cannot create", m_root, ec.value());
    }
    fs::path file = m_root / "lock";
    util::Fd fd(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd) {
        throw_io("cannot open", file, errno);
    }
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            return false;
        }
        throw_io("cannot lock", file, errno);
    }
    m_lock = std::move(fd);
    return true;
}

StageStats StagedFolder::stage(const plan::Manifest& manifest, const std::string& skip_path,
                               const std::atomic<bool>* cancel, util::Progress* progress) {
    StageStats stats;
    const fs::path ctx = context_dir();
    const fs::path state_file = m_root / "state";
    std::error_code ec;
    fs::create_directories(ctx, ec);
    if (ec) {
        throw_io("cannot create", ctx, ec.value());
    }
    State old = read_state(state_file);
    // The state is rewritten at the end only; a run stopped before that leaves records that may no
    // longer match, so they go now and the files they described are checked by stat next time.
    fs::remove(state_file, ec);

    // What the folder must hold: the entries and the folders above them.
    std::unordered_map<std::string, std::size_t> wanted;
    std::set<std::string> implicit_dirs;
    for (std::size_t i = 0; i < manifest.entries.size(); ++i) {
        const Entry& e = manifest.entries[i];
        if (e.path == skip_path) {
            continue;
        }
        wanted.emplace(e.path, i);
        for (std::size_t slash = e.path.find('/'); slash != std::string::npos;
             slash = e.path.find('/', slash + 1)) {
            implicit_dirs.insert(e.path.substr(0, slash));
        }
    }
    auto wanted_type = [&](const std::string& rel) -> std::optional<EntryType> {
        if (auto it = wanted.find(rel); it != wanted.end()) {
            return manifest.entries[it->second].type;
        }
        if (implicit_dirs.count(rel) != 0) {
            return EntryType::directory;
        }
        return std::nullopt;
    };

    // Remove what is not wanted, or not of the wanted type.
    std::vector<fs::path> unwanted;
    for (auto it = fs::recursive_directory_iterator(ctx, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        std::string rel = it->path().lexically_relative(ctx).generic_string();
        auto st = it->symlink_status(ec);
        if (ec) {
            break;
        }
        EntryType have = fs::is_symlink(st)     ? EntryType::symlink
                         : fs::is_directory(st) ? EntryType::directory
                                                : EntryType::file;
        auto want = wanted_type(rel);
        if (!want || *want != have || (have == EntryType::file && !fs::is_regular_file(st))) {
            unwanted.push_back(it->path());
            if (have == EntryType::directory) {
                it.disable_recursion_pending();
            }
        }
    }
    if (ec) {
        throw_io("cannot list", ctx, ec.value());
    }
    for (const auto& p : unwanted) {
        fs::remove_all(p, ec);
        if (ec) {
            throw_io("cannot remove", p, ec.value());
        }
        old.erase(p.lexically_relative(ctx).generic_string());
        ++stats.removed;
    }

    // The folders, then what must be written: files whose record or stat no longer match.
    State now;
    std::vector<std::size_t> to_copy; // source files, in manifest order
    std::vector<fs::path> dirs{ctx};
    for (const auto& d : implicit_dirs) {
        if (wanted.count(d) == 0) {
            dirs.push_back(ctx / d);
        }
    }
    for (const auto& e : manifest.entries) {
        if (e.type == EntryType::directory && e.path != skip_path) {
            dirs.push_back(ctx / e.path);
        }
    }
    for (const auto& d : dirs) {
        fs::create_directories(d, ec);
        if (ec) {
            throw_io("cannot create", d, ec.value());
        }
    }
    for (std::size_t i = 0; i < manifest.entries.size(); ++i) {
        const Entry& e = manifest.entries[i];
        if (e.path == skip_path) {
            continue;
        }
        const fs::path target = ctx / e.path;
        const Record* rec = nullptr;
        if (auto it = old.find(e.path); it != old.end()) {
            rec = &it->second;
        }
        std::optional<FileStat> have = lstat_of(target);
        bool same = rec != nullptr && have && *have == rec->st && rec->type == e.type &&
                    rec->mode == e.mode;
        if (e.type == EntryType::directory) {
            continue;
        }
        if (e.type == EntryType::symlink) {
            if (same && rec->link == e.link_target) {
                now[e.path] = *rec;
                ++stats.kept;
                continue;
            }
            if (!e.source.empty()) {
                // The link as it is now must still be the one hashed.
                std::error_code lec;
                fs::path target_now = fs::read_symlink(e.source, lec);
                if (lec || target_now.string() != e.link_target) {
                    detail::throw_changed(detail::display_name(e),
                                          "the symlink changed since it was hashed");
                }
            }
            fs::remove(target, ec);
            if (::symlink(e.link_target.c_str(), target.c_str()) != 0) {
                throw_io("cannot create the symlink", target, errno);
            }
            set_mtime(target, staged_mtime_ns(util::sha256(e.link_target)), true);
            Record r{EntryType::symlink, e.mode, {}, e.link_target, *lstat_of(target)};
            now[e.path] = r;
            ++stats.written;
            continue;
        }
        if (same && rec->digest == util::to_hex(e.digest)) {
            now[e.path] = *rec;
            ++stats.kept;
            continue;
        }
        if (e.source.empty()) {
            // A generated file: its bytes are in the manifest.
            check_stop(cancel);
            if (util::sha256(e.content) != e.digest) {
                detail::throw_changed(e.path, "its content no longer matches the hash in the "
                                              "image tag");
            }
            {
                util::AtomicFile out(write_path(target), e.mode);
                out.write(e.content);
                out.commit(util::AtomicFile::Durability::unsynced);
            }
            move_into_place(target);
            if (::chmod(target.c_str(), e.mode) != 0) {
                throw_io("cannot set the mode of", target, errno);
            }
            set_mtime(target, new_mtime(e.digest, e.size, rec), false);
            now[e.path] =
                Record{EntryType::file, e.mode, util::to_hex(e.digest), {}, *lstat_of(target)};
            ++stats.written;
            stats.bytes += e.size;
            continue;
        }
        to_copy.push_back(i);
    }

    // Copy the source files, each checked against its digest as it is read (Prefetcher).
    std::uint64_t copy_bytes = 0;
    std::vector<Entry> copies;
    copies.reserve(to_copy.size());
    for (std::size_t i : to_copy) {
        copies.push_back(manifest.entries[i]);
        copy_bytes += manifest.entries[i].size;
    }
    m_source_stats.clear();
    if (!copies.empty()) {
        util::ProgressPhase phase(progress, "staging context", copies.size(), copy_bytes);
        detail::Prefetcher files(copies, ::uselocale(static_cast<locale_t>(nullptr)));
        for (std::size_t k = 0; k < copies.size(); ++k) {
            check_stop(cancel);
            const Entry& e = copies[k];
            const fs::path target = ctx / e.path;
            const Record* rec = nullptr;
            if (auto it = old.find(e.path); it != old.end()) {
                rec = &it->second;
            }
            {
                util::AtomicFile out(write_path(target), e.mode);
                for (;;) {
                    check_stop(cancel);
                    const detail::Piece& p = files.next();
                    if (p.size > 0) {
                        out.write(files.data(p), p.size);
                        phase.advance(0, p.size);
                    }
                    if (p.error) {
                        std::rethrow_exception(p.error);
                    }
                    if (p.last) {
                        break;
                    }
                }
                out.commit(util::AtomicFile::Durability::unsynced);
            }
            move_into_place(target);
            if (::chmod(target.c_str(), e.mode) != 0) {
                throw_io("cannot set the mode of", target, errno);
            }
            set_mtime(target, new_mtime(e.digest, e.size, rec), false);
            now[e.path] =
                Record{EntryType::file, e.mode, util::to_hex(e.digest), {}, *lstat_of(target)};
            phase.advance(1, 0);
            ++stats.written;
            stats.bytes += e.size;
        }
    }

    // Folders' modes and times last: writing into a folder moves its mtime.
    for (const auto& d : dirs) {
        if (::chmod(d.c_str(), 0755) != 0) {
            throw_io("cannot set the mode of", d, errno);
        }
    }
    for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
        set_mtime(*it, 0, false);
    }
    write_state(state_file, now);

    // The stat each source file must still have when buildx starts.
    for (std::size_t i = 0; i < manifest.entries.size(); ++i) {
        const Entry& e = manifest.entries[i];
        if (e.path == skip_path || e.type != EntryType::file || e.source.empty()) {
            continue;
        }
        if (e.trusted_stat) {
            m_source_stats.emplace_back(i, *e.trusted_stat);
            continue;
        }
        struct stat st {};
        if (::stat(e.source.c_str(), &st) != 0) {
            detail::throw_changed(detail::display_name(e), "it was deleted");
        }
        m_source_stats.emplace_back(i, FileStat::from(st));
    }
    spdlog::debug("staged {}: {} written ({} bytes), {} kept, {} removed", ctx.string(),
                  stats.written, stats.bytes, stats.kept, stats.removed);
    return stats;
}

void StagedFolder::check_sources(const plan::Manifest& manifest) const {
    for (const auto& [i, want] : m_source_stats) {
        const Entry& e = manifest.entries[i];
        struct stat st {};
        if (::stat(e.source.c_str(), &st) != 0) {
            detail::throw_changed(detail::display_name(e), "it was deleted");
        }
        if (FileStat::from(st) != want && !same_content(e)) {
            detail::throw_changed(detail::display_name(e),
                                  "it was modified after its hash went into the image tag");
        }
    }
}

} // namespace imgspec::context
