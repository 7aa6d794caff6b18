// Staging one build context into its folder (stage_context.hpp): what is wanted, what is already
// there, and writing the rest.

#include "stage_context.hpp"

#include "prefetch.hpp"
#include "staging_state.hpp"

#include <imgspec/core/error.hpp>
#include <imgspec/util/atomic_file.hpp>
#include <imgspec/util/sha256.hpp>
#include <imgspec/util/signals.hpp>

#include <cerrno>
#include <optional>
#include <set>
#include <unordered_map>

#include <fcntl.h>
#include <locale.h>
#include <sys/stat.h>
#include <unistd.h>

namespace imgspec::context::detail {

namespace fs = std::filesystem;
using plan::Entry;
using plan::EntryType;
using plan::FileStat;

namespace {

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

const Record* find_record(const State& state, const std::string& path) {
    auto it = state.find(path);
    return it == state.end() ? nullptr : &it->second;
}

// What the folder must hold: the entries (but the skipped one) and the folders above them.
class Wanted {
  public:
    Wanted(const plan::Manifest& manifest, const std::string& skip_path) : m_manifest(manifest) {
        for (std::size_t i = 0; i < manifest.entries.size(); ++i) {
            const Entry& e = manifest.entries[i];
            if (e.path == skip_path) {
                continue;
            }
            m_entries.emplace(e.path, i);
            for (std::size_t slash = e.path.find('/'); slash != std::string::npos;
                 slash = e.path.find('/', slash + 1)) {
                m_implicit_dirs.insert(e.path.substr(0, slash));
            }
        }
    }

    std::optional<EntryType> type_of(const std::string& rel) const {
        if (auto it = m_entries.find(rel); it != m_entries.end()) {
            return m_manifest.entries[it->second].type;
        }
        if (m_implicit_dirs.count(rel) != 0) {
            return EntryType::directory;
        }
        return std::nullopt;
    }

    // The folders only implied by the entries' paths, in sorted order.
    std::vector<std::string> implicit_dirs() const {
        std::vector<std::string> out;
        for (const auto& d : m_implicit_dirs) {
            if (m_entries.count(d) == 0) {
                out.push_back(d);
            }
        }
        return out;
    }

  private:
    const plan::Manifest& m_manifest;
    std::unordered_map<std::string, std::size_t> m_entries;
    std::set<std::string> m_implicit_dirs;
};

// One run of StagedFolder::stage: the records of the last run (`old`), those of this one (`now`).
class Stager {
  public:
    Stager(fs::path ctx, const plan::Manifest& manifest, const std::string& skip_path,
           const std::atomic<bool>* cancel)
        : m_ctx(std::move(ctx)), m_manifest(manifest), m_skip_path(skip_path), m_cancel(cancel),
          m_wanted(manifest, skip_path) {}

    StageStats run(const fs::path& state_file, util::Progress* progress) {
        std::error_code ec;
        fs::create_directories(m_ctx, ec);
        if (ec) {
            throw_io("cannot create", m_ctx, ec.value());
        }
        m_old = read_state(state_file);
        // The state is rewritten at the end only; a run stopped before that leaves records that
        // may no longer match, so they go now and the files they described are checked by stat
        // next time.
        fs::remove(state_file, ec);

        remove_unwanted();
        std::vector<fs::path> dirs = create_folders();
        std::vector<std::size_t> to_copy; // source files, in manifest order
        for (std::size_t i = 0; i < m_manifest.entries.size(); ++i) {
            const Entry& e = m_manifest.entries[i];
            if (e.path != m_skip_path && !stage_in_place(e)) {
                to_copy.push_back(i);
            }
        }
        copy_sources(to_copy, progress);
        // Folders' modes and times last: writing into a folder moves its mtime.
        for (const auto& d : dirs) {
            if (::chmod(d.c_str(), 0755) != 0) {
                throw_io("cannot set the mode of", d, errno);
            }
        }
        for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
            set_mtime(*it, 0, false);
        }
        write_state(state_file, m_now);
        return m_stats;
    }

  private:
    // Removes what is not wanted, or not of the wanted type.
    void remove_unwanted() {
        std::error_code ec;
        std::vector<fs::path> unwanted;
        for (auto it = fs::recursive_directory_iterator(m_ctx, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
            std::string rel = it->path().lexically_relative(m_ctx).generic_string();
            auto st = it->symlink_status(ec);
            if (ec) {
                break;
            }
            EntryType have = fs::is_symlink(st)     ? EntryType::symlink
                             : fs::is_directory(st) ? EntryType::directory
                                                    : EntryType::file;
            auto want = m_wanted.type_of(rel);
            if (!want || *want != have || (have == EntryType::file && !fs::is_regular_file(st))) {
                unwanted.push_back(it->path());
                if (have == EntryType::directory) {
                    it.disable_recursion_pending();
                }
            }
        }
        if (ec) {
            throw_io("cannot list", m_ctx, ec.value());
        }
        for (const auto& p : unwanted) {
            fs::remove_all(p, ec);
            if (ec) {
                throw_io("cannot remove", p, ec.value());
            }
            m_old.erase(p.lexically_relative(m_ctx).generic_string());
            ++m_stats.removed;
        }
    }

    // Creates the folders: the context's, the implied ones, the entries'. Returns them.
    std::vector<fs::path> create_folders() const {
        std::vector<fs::path> dirs{m_ctx};
        for (const auto& d : m_wanted.implicit_dirs()) {
            dirs.push_back(m_ctx / d);
        }
        for (const auto& e : m_manifest.entries) {
            if (e.type == EntryType::directory && e.path != m_skip_path) {
                dirs.push_back(m_ctx / e.path);
            }
        }
        std::error_code ec;
        for (const auto& d : dirs) {
            fs::create_directories(d, ec);
            if (ec) {
                throw_io("cannot create", d, ec.value());
            }
        }
        return dirs;
    }

    // Keeps an entry that is staged as it is, or writes a symlink or generated file; false for a
    // source file that must be copied.
    bool stage_in_place(const Entry& e) {
        const fs::path target = m_ctx / e.path;
        const Record* rec = find_record(m_old, e.path);
        std::optional<FileStat> have = lstat_of(target);
        bool same = rec != nullptr && have && *have == rec->st && rec->type == e.type &&
                    rec->mode == e.mode;
        if (e.type == EntryType::directory) {
            return true;
        }
        if (e.type == EntryType::symlink) {
            if (same && rec->link == e.link_target) {
                keep(e, *rec);
            } else {
                write_symlink(e, target);
            }
            return true;
        }
        if (same && rec->digest == util::to_hex(e.digest)) {
            keep(e, *rec);
            return true;
        }
        if (e.source.empty()) {
            write_generated(e, target, rec);
            return true;
        }
        return false;
    }

    void keep(const Entry& e, const Record& rec) {
        m_now[e.path] = rec;
        ++m_stats.kept;
    }

    void write_symlink(const Entry& e, const fs::path& target) {
        if (!e.source.empty()) {
            // The link as it is now must still be the one hashed.
            std::error_code lec;
            fs::path target_now = fs::read_symlink(e.source, lec);
            if (lec || target_now.string() != e.link_target) {
                throw_changed(display_name(e), "the symlink changed since it was hashed");
            }
        }
        std::error_code ec;
        fs::remove(target, ec);
        if (::symlink(e.link_target.c_str(), target.c_str()) != 0) {
            throw_io("cannot create the symlink", target, errno);
        }
        set_mtime(target, staged_mtime_ns(util::sha256(e.link_target)), true);
        m_now[e.path] = Record{EntryType::symlink, e.mode, {}, e.link_target, *lstat_of(target)};
        ++m_stats.written;
    }

    // A generated file: its bytes are in the manifest.
    void write_generated(const Entry& e, const fs::path& target, const Record* rec) {
        check_stop(m_cancel);
        if (util::sha256(e.content) != e.digest) {
            throw_changed(e.path, "its content no longer matches the hash in the image tag");
        }
        {
            util::AtomicFile out(write_path(target), e.mode);
            out.write(e.content);
            out.commit(util::AtomicFile::Durability::unsynced);
        }
        file_written(e, target, rec);
    }

    // Copies the source files, each checked against its digest as it is read (Prefetcher).
    void copy_sources(const std::vector<std::size_t>& to_copy, util::Progress* progress) {
        std::uint64_t copy_bytes = 0;
        std::vector<Entry> copies;
        copies.reserve(to_copy.size());
        for (std::size_t i : to_copy) {
            copies.push_back(m_manifest.entries[i]);
            copy_bytes += m_manifest.entries[i].size;
        }
        if (copies.empty()) {
            return;
        }
        util::ProgressPhase phase(progress, "staging context", copies.size(), copy_bytes);
        Prefetcher files(copies, ::uselocale(static_cast<locale_t>(nullptr)));
        for (const Entry& e : copies) {
            check_stop(m_cancel);
            const fs::path target = m_ctx / e.path;
            {
                util::AtomicFile out(write_path(target), e.mode);
                copy_pieces(files, out, phase);
                out.commit(util::AtomicFile::Durability::unsynced);
            }
            file_written(e, target, find_record(m_old, e.path));
            phase.advance(1, 0);
        }
    }

    // One file's bytes from the Prefetcher into `out`; rethrows why they are not all there or
    // not proven unchanged.
    void copy_pieces(Prefetcher& files, util::AtomicFile& out,
                     const util::ProgressPhase& phase) const {
        for (;;) {
            check_stop(m_cancel);
            const Piece& p = files.next();
            if (p.size > 0) {
                out.write(files.data(p), p.size);
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

    // A file committed under write_path(target): into place, mode and mtime set, recorded.
    void file_written(const Entry& e, const fs::path& target, const Record* rec) {
        move_into_place(target);
        if (::chmod(target.c_str(), e.mode) != 0) {
            throw_io("cannot set the mode of", target, errno);
        }
        set_mtime(target, new_mtime(e.digest, e.size, rec), false);
        m_now[e.path] =
            Record{EntryType::file, e.mode, util::to_hex(e.digest), {}, *lstat_of(target)};
        ++m_stats.written;
        m_stats.bytes += e.size;
    }

    fs::path m_ctx;
    const plan::Manifest& m_manifest;
    const std::string& m_skip_path;
    const std::atomic<bool>* m_cancel;
    Wanted m_wanted;
    State m_old;
    State m_now;
    StageStats m_stats;
};

} // namespace

StageStats stage_context(const fs::path& ctx, const fs::path& state_file,
                         const plan::Manifest& manifest, const std::string& skip_path,
                         const std::atomic<bool>* cancel, util::Progress* progress) {
    return Stager(ctx, manifest, skip_path, cancel).run(state_file, progress);
}

} // namespace imgspec::context::detail
