// The planner's files: spec-relative paths checked to stay inside the spec's folder, the
// context's entries, folder walks after the ignore rules, and the stat cache that spares hashing.

#include "planner.hpp"

#include <imgspec/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <thread>

namespace imgspec::plan::detail {

// Why a named path cannot be used, from the error of stat(2) on it: "does not exist" only when
// nothing is there, so a symlink loop or a folder without search permission says what it is.
std::string cannot_stat(const fs::path& p, std::error_code ec) {
    const std::string shown = "'" + p.string() + "'";
    if (!ec || ec == std::errc::no_such_file_or_directory || ec == std::errc::not_a_directory) {
        return shown + " does not exist";
    }
    if (ec == std::errc::too_many_symbolic_link_levels) {
        return shown + " is a symlink loop (too many levels of symbolic links)";
    }
    if (ec == std::errc::permission_denied) {
        return shown + " cannot be read: " + ec.message() +
               " (a folder on its path has no search permission)";
    }
    return shown + " cannot be read: " + ec.message();
}

// A project copied whole (install_project) with its .venv or .git: megabytes in the context,
// and a tag that changes with every local install or commit.
void Planner::warn_heavy_folders(const fs::path& project, Mark mark, const std::string& path) {
    for (const char* name : {".venv", ".git"}) {
        std::error_code ec;
        fs::path f = project / name;
        if (fs::exists(f, ec) && !m_ignore.excluded(rel_of(f))) {
            warn(mark, path,
                 fmt::format("'{}' is copied into the build context with the project", rel_of(f)),
                 fmt::format("add {}/ to .dockerignore", name));
        }
    }
}

// What stands at an absolute, lexically normal path: its real path (symlinks resolved), checked to
// be inside the spec's folder, there, and of the type wanted (fs::file_type::none: any).
Planner::PathCheck Planner::check_path(const fs::path& abs, fs::file_type want) const {
    PathCheck c;
    c.canon = fs::weakly_canonical(abs, c.ec);
    if (c.ec) {
        c.canon = abs;
    }
    if (!inside(c.canon)) {
        c.problem = PathCheck::outside;
        return c;
    }
    fs::file_status st = fs::status(c.canon, c.ec);
    if (c.ec || !fs::exists(st)) {
        c.problem = PathCheck::missing;
    } else if ((want == fs::file_type::regular && !fs::is_regular_file(st)) ||
               (want == fs::file_type::directory && !fs::is_directory(st))) {
        c.problem = PathCheck::wrong_type;
    }
    return c;
}

// A spec-relative path resolved and checked to stay inside the spec's folder.
// Returns the absolute path (symlinks in it resolved), or nullopt after a diagnostic.
std::optional<fs::path> Planner::resolve(const fs::path& p, Mark mark, const std::string& path,
                                         fs::file_type want) {
    if (p.is_absolute()) {
        error(mark, path, fmt::format("'{}' is an absolute path", p.string()),
              "paths are relative to the spec's folder, which is the build context");
        return std::nullopt;
    }
    PathCheck c = check_path((m_root / p).lexically_normal(), want);
    switch (c.problem) {
    case PathCheck::none:
        return c.canon;
    case PathCheck::outside:
        error(mark, path, fmt::format("'{}' is outside the spec's folder", p.string()),
              "the spec's folder is the build context; move the file in, or the spec up");
        break;
    case PathCheck::missing:
        error(mark, path, cannot_stat(p, c.ec));
        break;
    case PathCheck::wrong_type:
        error(mark, path,
              fmt::format("'{}' is not a {}", p.string(),
                          want == fs::file_type::regular ? "regular file" : "folder"));
        break;
    }
    return std::nullopt;
}

bool Planner::inside(const fs::path& canon) const {
    auto rel = canon.lexically_relative(m_root);
    return !rel.empty() && *rel.begin() != "..";
}

// The spec-relative path of an absolute path inside the root, '/'-separated ("" for the root).
std::string Planner::rel_of(const fs::path& canon) const {
    auto rel = canon.lexically_relative(m_root).generic_string();
    return rel == "." ? std::string() : rel;
}

// A file inside the root as diagnostics name it: beside the spec as the spec is named.
std::string Planner::display_of(const fs::path& canon) const {
    return (fs::path(m_file).parent_path() / rel_of(canon)).generic_string();
}

void Planner::add_dir_chain(const std::string& ctx_path) {
    // Every parent folder of a context path is an entry, so tar consumers see them.
    for (std::size_t pos = ctx_path.find('/'); pos != std::string::npos;
         pos = ctx_path.find('/', pos + 1)) {
        add_synthetic_dir(ctx_path.substr(0, pos));
    }
}

void Planner::add_synthetic_dir(const std::string& ctx_path) {
    if (m_paths.insert(ctx_path).second) {
        Entry e;
        e.path = ctx_path;
        e.type = EntryType::directory;
        e.mode = 0755;
        m_entries.push_back(std::move(e));
    }
}

void Planner::add_entry(Entry e) {
    add_dir_chain(e.path);
    if (!m_paths.insert(e.path).second) {
        if (e.type == EntryType::directory) {
            return;
        }
        throw Error(ErrorKind::other, fmt::format("internal: context path {} added twice", e.path));
    }
    m_entries.push_back(std::move(e));
}

// The stat cache's file for this spec; empty when this run has none (not caching(), no
// cache folder, or a spec that is not a file).
const fs::path& Planner::cache_file() {
    if (!m_cache_file) {
        m_cache_file.emplace();
        fs::path dir = m_opts.cache_dir.empty() ? StatCache::default_dir() : m_opts.cache_dir;
        if (caching() && !dir.empty() && !m_spec.file.empty()) {
            m_cache_file = StatCache::file_for(dir, m_spec.file);
        }
    }
    return *m_cache_file;
}

// The stat cache, opened at the first file (a spec that copies nothing reads no cache).
StatCache* Planner::cache() {
    if (!m_cache_tried) {
        m_cache_tried = true;
        if (!cache_file().empty()) {
            m_cache.emplace(cache_file(), m_run_start);
            m_cache->load();
        }
    }
    return m_cache ? &*m_cache : nullptr;
}

// Whether the walk may leave regular files un-stat'ed for the hashing to stat
// (WalkOptions::defer_file_stat): every file is hashed next, as there is no record to look
// up: --no-cache, no cache folder, or no cache file yet (a first run, or a CI machine).
bool Planner::defer_file_stat() {
    return m_opts.hash && (cache_file().empty() || !StatCache::may_have_records(cache_file()));
}

// A file whose stat matches its cache record gets its digest now; hash_pending skips it.
// `key`: StatCache::key_of(e.source) when the caller computed it.
void Planner::use_cache(Entry& e, const FileStat& st, std::optional<std::uint64_t> key) {
    if (e.type != EntryType::file) {
        return;
    }
    if (StatCache* c = cache()) {
        if (auto d = c->lookup(key ? *key : StatCache::key_of(e.source), st)) {
            e.digest = *d;
            if (c->trusts(st)) {
                e.trusted_stat = st;
            }
        }
    }
}

// A string, not a path: building a std::filesystem::path parses it, and most specs have no
// secret files to compare with.
bool Planner::is_secret_file(const std::string& p) const {
    return !m_secret_files.empty() && m_secret_files.count(fs::path(p)) > 0;
}

// Copy one file (not following a symlink) to ctx_path. A secret's file is never copied.
void Planner::add_file(const fs::path& source, const std::string& ctx_path, Mark mark,
                       const std::string& path) {
    if (is_secret_file(source.native()) || is_secret_identity(source)) {
        error(mark, path,
              fmt::format("'{}' is a secret's file and is never copied into the context",
                          rel_of(source)),
              "move the secret out of the copied folder, or exclude it in .dockerignore");
        return;
    }
    try {
        FileStat st;
        Entry e = stat_entry(source, ctx_path, &st);
        use_cache(e, st);
        add_entry(std::move(e));
    } catch (const Error& e) {
        error(mark, path, e.what());
    }
}

// Threads for the walk and the hashing: PlanOptions::hash_threads, else one per CPU.
unsigned Planner::walk_threads() const {
    return m_opts.hash_threads != 0 ? m_opts.hash_threads
                                    : std::max(1u, std::thread::hardware_concurrency());
}

// Walk a folder; ctx_prefix receives its contents. Ignore rules use spec-relative paths.
// The folders are listed on several threads (FolderWalk) and visited here in byte order of
// their paths.
void Planner::add_tree(const fs::path& dir, const std::string& ctx_prefix, Mark mark,
                       const std::string& path) {
    add_dir_chain(ctx_prefix);
    add_synthetic_dir(ctx_prefix);
    FolderWalk walk(dir.string(), rel_of(dir), ctx_prefix);
    WalkOptions options;
    options.ignore = &m_ignore;
    if (!m_secret_files.empty()) {
        options.is_secret = [this](const std::string& abs) { return is_secret_file(abs); };
    }
    options.secret_ids = m_secret_inodes;
    options.cache_keys = caching();
    options.defer_file_stat = defer_file_stat();
    options.threads = walk_threads();
    options.meanwhile = [this] { cache(); }; // the stat cache loads while the others walk
    walk.run(options);
    // One more for the Dockerfile that context::context_manifest adds: no copy of them all
    // then.
    m_entries.reserve(m_entries.size() + walk.size() + 1);
    // A file's path is unique by construction (one name per folder; a tree is the only
    // source of paths under its prefix: layers/N, layers/N/project or ctx), so it is not
    // looked up in m_paths, which cost a set node and ~17 string compares per file; folders
    // still are, as add_entry does. The chain of parent folders is added at a folder's first
    // entry: a folder the rules exclude but some of whose files they include again has no
    // entry of its own.
    const WalkedFolder* chained = nullptr;
    walk.visit([&](Finding& x, const WalkedFolder& folder) {
        switch (x.kind) {
        case Finding::error:
            error(mark, path, std::move(x.text));
            break;
        case Finding::secret:
            warn(mark, path,
                 fmt::format("'{}' is a secret's file (by its name, or a hard link to it): "
                             "left out of the build context",
                             x.text),
                 "exclude it (.dockerignore) to silence this");
            break;
        case Finding::entry: {
            Entry e = x.take_entry();
            use_cache(e, x.st, options.cache_keys ? std::optional(x.key) : std::nullopt);
            if (&folder != chained) {
                add_dir_chain(e.path);
                chained = &folder;
            }
            if (e.type != EntryType::directory || m_paths.insert(e.path).second) {
                m_entries.push_back(std::move(e));
            }
            break;
        }
        case Finding::subfolder:
            break;
        }
    });
}

// Read a rules file; they apply to every copy of the spec (several files: in layer order, so
// a later file's rules win, as later lines do). ctx_path: where the file goes in the
// context, "" when it is a file of the context already.
void Planner::set_ignore_rules(const fs::path& file, const std::string& ctx_path, Mark mark,
                               const std::string& path) {
    std::string text = read_text(file);
    Dockerignore own = Dockerignore::parse(text);
    m_ignore_text += text + "\n";
    m_ignore = Dockerignore::parse(m_ignore_text);
    for (const auto& e : own.errors()) {
        // "line N: bad pattern ...": report it at the rules file's own line, as a compiler
        // would.
        Mark at;
        std::string message = e;
        if (e.rfind("line ", 0) == 0) {
            std::size_t colon = e.find(':');
            at.line = std::atoi(e.c_str() + 5);
            message = colon == std::string::npos ? e : e.substr(colon + 2);
        }
        m_diags.error(rel_of(file), at, "", message,
                      fmt::format("these rules apply to {} ({})", path, m_file));
        (void)mark;
    }
    // The rules decide what is copied, so they are part of the context and the tag.
    if (!ctx_path.empty()) {
        add_file(file, ctx_path, mark, path);
    }
}

// Sorts by path in byte order through an index: an Entry is large to swap. The walk gives
// each folder's entries in order already, so often there is nothing to do.
void Planner::sort_entries() {
    if (std::is_sorted(m_entries.begin(), m_entries.end(),
                       [](const Entry& a, const Entry& b) { return a.path < b.path; })) {
        return;
    }
    std::vector<std::uint32_t> order(m_entries.size());
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
        return m_entries[a].path < m_entries[b].path;
    });
    // Apply the permutation in place, one cycle at a time: position j receives entry order[j].
    for (std::size_t i = 0; i < order.size(); ++i) {
        if (order[i] == i) {
            continue;
        }
        Entry held = std::move(m_entries[i]);
        std::size_t j = i;
        for (;;) {
            std::size_t k = order[j];
            order[j] = static_cast<std::uint32_t>(j);
            if (k == i) {
                m_entries[j] = std::move(held);
                break;
            }
            m_entries[j] = std::move(m_entries[k]);
            j = k;
        }
    }
}

} // namespace imgspec::plan::detail
