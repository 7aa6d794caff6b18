// Spec -> plan: resolve bases, check and walk every referenced file, collect secrets.

#include <imgspec/plan/plan.hpp>

#include <imgspec/plan/dockerignore.hpp>
#include <imgspec/plan/local_sources.hpp>
#include <imgspec/plan/python_imports.hpp>
#include <imgspec/plan/stat_cache.hpp>
#include <imgspec/plan/walk.hpp>
#include <imgspec/spec/names.hpp>
#include <imgspec/spec/pep723.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <numeric>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_set>

#include <fcntl.h>
#include <sys/stat.h>

namespace imgspec::plan {

namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

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

bool is_python_layer(const spec::LayerBody& b) {
    return std::holds_alternative<spec::PipLayer>(b) ||
           std::holds_alternative<spec::RequirementsLayer>(b) ||
           std::holds_alternative<spec::UvProjectLayer>(b) ||
           std::holds_alternative<spec::PoetryLayer>(b) ||
           std::holds_alternative<spec::LocalV2Layer>(b) ||
           std::holds_alternative<spec::LocalV2PluginsLayer>(b);
}

bool is_copy_layer(const spec::LayerBody& b) {
    return std::holds_alternative<spec::SourceFolderLayer>(b) ||
           std::holds_alternative<spec::SourceFileLayer>(b) ||
           std::holds_alternative<spec::CodeBundleLayer>(b);
}

bool is_install_layer(const spec::LayerBody& b) {
    return is_python_layer(b) || std::holds_alternative<spec::AptLayer>(b);
}

// Specs extending specs (from: spec): deeper than this is an error, not a stack overflow.
constexpr std::size_t max_spec_chain = 64;

class Planner {
  public:
    Planner(const spec::Spec& s, const Config& cfg, const PlanOptions& opts)
        : m_spec(s), m_cfg(cfg), m_opts(opts),
          m_file(s.display.empty() ? s.file.string() : s.display),
          m_run_start(StatCache::now_ns()) {
        std::error_code ec;
        m_root = fs::canonical(s.dir, ec);
        if (ec) {
            m_root = s.dir;
        }
    }

    Plan run();

  private:
    void error(Mark mark, const std::string& path, std::string message, std::string hint = {}) {
        m_diags.error(m_file, mark, path, std::move(message), std::move(hint));
    }

    void warn(Mark mark, const std::string& path, std::string message, std::string hint) {
        m_plan.warnings.push_back(Diagnostic{.file = m_file,
                                             .mark = mark,
                                             .path = path,
                                             .message = std::move(message),
                                             .hint = std::move(hint),
                                             .severity = Severity::warning});
    }

    // A project copied whole (install_project) with its .venv or .git: megabytes in the context,
    // and a tag that changes with every local install or commit.
    void warn_heavy_folders(const fs::path& project, Mark mark, const std::string& path) {
        for (const char* name : {".venv", ".git"}) {
            std::error_code ec;
            fs::path f = project / name;
            if (fs::exists(f, ec) && !m_ignore.excluded(rel_of(f))) {
                warn(mark, path,
                     fmt::format("'{}' is copied into the build context with the project",
                                 rel_of(f)),
                     fmt::format("add {}/ to .dockerignore", name));
            }
        }
    }

    // A spec-relative path resolved and checked to stay inside the spec's folder.
    // Returns the absolute path (symlinks in it resolved), or nullopt after a diagnostic.
    std::optional<fs::path> resolve(const fs::path& p, Mark mark, const std::string& path,
                                    fs::file_type want) {
        if (p.is_absolute()) {
            error(mark, path, fmt::format("'{}' is an absolute path", p.string()),
                  "paths are relative to the spec's folder, which is the build context");
            return std::nullopt;
        }
        fs::path abs = (m_root / p).lexically_normal();
        std::error_code ec;
        fs::path canon = fs::weakly_canonical(abs, ec);
        if (ec) {
            canon = abs;
        }
        if (!inside(canon)) {
            error(mark, path, fmt::format("'{}' is outside the spec's folder", p.string()),
                  "the spec's folder is the build context; move the file in, or the spec up");
            return std::nullopt;
        }
        fs::file_status st = fs::status(canon, ec);
        if (ec || !fs::exists(st)) {
            error(mark, path, cannot_stat(p, ec));
            return std::nullopt;
        }
        if (want == fs::file_type::regular && !fs::is_regular_file(st)) {
            error(mark, path, fmt::format("'{}' is not a regular file", p.string()));
            return std::nullopt;
        }
        if (want == fs::file_type::directory && !fs::is_directory(st)) {
            error(mark, path, fmt::format("'{}' is not a folder", p.string()));
            return std::nullopt;
        }
        return canon;
    }

    bool inside(const fs::path& canon) const {
        auto rel = canon.lexically_relative(m_root);
        return !rel.empty() && *rel.begin() != "..";
    }

    // The spec-relative path of an absolute path inside the root, '/'-separated ("" for the root).
    std::string rel_of(const fs::path& canon) const {
        auto rel = canon.lexically_relative(m_root).generic_string();
        return rel == "." ? std::string() : rel;
    }

    void add_dir_chain(const std::string& ctx_path) {
        // Every parent folder of a context path is an entry, so tar consumers see them.
        for (std::size_t pos = ctx_path.find('/'); pos != std::string::npos;
             pos = ctx_path.find('/', pos + 1)) {
            add_synthetic_dir(ctx_path.substr(0, pos));
        }
    }

    void add_synthetic_dir(const std::string& ctx_path) {
        if (m_paths.insert(ctx_path).second) {
            Entry e;
            e.path = ctx_path;
            e.type = EntryType::directory;
            e.mode = 0755;
            m_entries.push_back(std::move(e));
        }
    }

    void add_entry(Entry e) {
        add_dir_chain(e.path);
        if (!m_paths.insert(e.path).second) {
            if (e.type == EntryType::directory) {
                return;
            }
            throw Error(ErrorKind::other,
                        fmt::format("internal: context path {} added twice", e.path));
        }
        m_entries.push_back(std::move(e));
    }

    // The stat cache's file for this spec; empty when this run has none (not caching(), no
    // cache folder, or a spec that is not a file).
    const fs::path& cache_file() {
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
    StatCache* cache() {
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
    bool defer_file_stat() {
        return m_opts.hash && (cache_file().empty() || !StatCache::may_have_records(cache_file()));
    }

    // Whether this run reads and writes the stat cache (cache() may still find none).
    bool caching() const { return m_opts.hash && m_opts.use_cache; }

    // A file whose stat matches its cache record gets its digest now; hash_pending skips it.
    // `key`: StatCache::key_of(e.source) when the caller computed it.
    void use_cache(Entry& e, const FileStat& st, std::optional<std::uint64_t> key = {}) {
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
    bool is_secret_file(const std::string& p) const {
        return !m_secret_files.empty() && m_secret_files.count(fs::path(p)) > 0;
    }

    // Copy one file (not following a symlink) to ctx_path. A secret's file is never copied.
    void add_file(const fs::path& source, const std::string& ctx_path, Mark mark,
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
    unsigned walk_threads() const {
        return m_opts.hash_threads != 0 ? m_opts.hash_threads
                                        : std::max(1u, std::thread::hardware_concurrency());
    }

    // Walk a folder; ctx_prefix receives its contents. Ignore rules use spec-relative paths.
    // The folders are listed on several threads (FolderWalk) and visited here in byte order of
    // their paths.
    void add_tree(const fs::path& dir, const std::string& ctx_prefix, Mark mark,
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
    void set_ignore_rules(const fs::path& file, const std::string& ctx_path, Mark mark,
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

    void collect_secret(const spec::SecretMount& m, const std::string& path) {
        std::string id = m.group.empty() ? m.key : m.group + "_" + m.key;
        (void)path;
        add_secret(m.key, id);
    }

    // Each id once, in the order first seen; a set, as one RUN may mount 100k secrets.
    void add_secret(const std::string& key, const std::string& id) {
        if (m_secret_ids.insert(id).second) {
            m_plan.secrets.push_back(secret_source(key, id));
        }
    }

    // Where a secret's value comes from: its definition, else the environment variable of its name.
    SecretSource secret_source(const std::string& key, const std::string& id) const {
        SecretSource src{id, {}, {}};
        auto it = m_spec.secrets.find(key);
        if (it == m_spec.secrets.end()) {
            // Undefined: the host's variable as the Flyte SDK names it (github-pat: GITHUB_PAT).
            spec::SecretMount m;
            m.key = id;
            src.env = spec::secret_env_name(m);
        } else if (!it->second.env.empty()) {
            src.env = it->second.env;
        } else {
            src.file = secret_file(it->second.file).string();
        }
        return src;
    }

    // A secret's file as the build reads it: ~/ is $HOME, a relative path is the spec's folder's.
    // One answer everywhere a secret's path is used or compared.
    fs::path secret_file(const fs::path& file) const {
        const std::string& s = file.native();
        if (s.rfind("~/", 0) == 0) {
            const char* home = std::getenv("HOME");
            return (fs::path(home ? home : "") / s.substr(2)).lexically_normal();
        }
        return (file.is_relative() ? m_root / file : file).lexically_normal();
    }

    // A secret's file under any name: its path, or a hard link to it (same device and inode).
    bool is_secret_identity(const fs::path& p) const {
        struct stat st {};
        if (m_secret_inodes.empty() || ::lstat(p.c_str(), &st) != 0) {
            return false;
        }
        return std::find(m_secret_inodes.begin(), m_secret_inodes.end(),
                         std::pair{static_cast<std::uint64_t>(st.st_dev),
                                   static_cast<std::uint64_t>(st.st_ino)}) != m_secret_inodes.end();
    }

    // Sorts by path in byte order through an index: an Entry is large to swap. The walk gives
    // each folder's entries in order already, so often there is nothing to do.
    void sort_entries() {
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

    // A uv_project or poetry_project layer's files.
    struct Project {
        const char* kind; // "uv_project"
        const fs::path& pyproject;
        const fs::path& lock;  // as the spec gives it; empty: <lock_name> beside pyproject
        const char* lock_name; // "uv.lock"
        const char* lock_key;  // "uvlock"
        bool install_project;
    };
    void python_project(ResolvedLayer& r, const std::string& dir, const Project& project);
    void uv_version_warnings(const LocalSources& sources, Mark mark, const std::string& path);
    void resolve_base();
    void resolve_layer(std::size_t index, const spec::Layer& layer);
    void uv_script(const spec::UvScriptBase& b);
    std::string local_dependency(const std::string& dep, const fs::path& script_dir);

    const spec::Spec& m_spec;
    const Config& m_cfg;
    const PlanOptions& m_opts;
    std::string m_file;
    fs::path m_root;
    Diagnostics m_diags;
    Plan m_plan;
    Dockerignore m_ignore = Dockerignore::parse("");
    std::string m_ignore_text; // every rules file read, in order
    std::vector<Entry> m_entries;
    std::set<std::string> m_paths;
    std::set<fs::path> m_secret_files;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> m_secret_inodes; // (st_dev, st_ino)
    std::unordered_set<std::string> m_secret_ids;
    std::int64_t m_run_start; // before the first stat: the stat cache's racy limit
    bool m_cache_tried = false;
    std::optional<fs::path> m_cache_file; // cache_file(), once computed
    std::optional<StatCache> m_cache;
    std::vector<spec::Layer> m_layers;      // the spec's layers, after uv_script adds its own
    std::set<std::size_t> m_ignore_layers;  // dockerignore layers whose file was read
    std::vector<fs::path> m_script_sources; // a uv_script's local (file:) dependencies
};

// Dependencies install from pyproject and lock alone, so a source edit keeps them cached; then
// install_project installs the project from its folder. A uv workspace's members and the path
// sources of either installer are dependencies too: with any, the layer folder mirrors the spec's
// folder so that the installer finds each at its relative place (LayerFiles::mirrored).
void Planner::python_project(ResolvedLayer& r, const std::string& dir, const Project& in) {
    const std::string& p = r.layer.path;
    const std::string key = p + "." + in.kind;
    const Mark mark = r.layer.mark;
    auto pyproject = resolve(in.pyproject, mark, key + ".pyproject", fs::file_type::regular);
    if (!pyproject) {
        return; // one mistake: its default lock is not reported too
    }
    const fs::path project = pyproject->parent_path();
    const bool uv = std::string_view(in.kind) == "uv_project";
    std::optional<fs::path> lock;
    if (!in.lock.empty() || !uv) {
        fs::path given = in.lock.empty() ? in.pyproject.parent_path() / in.lock_name : in.lock;
        lock = resolve(given, mark, key + "." + in.lock_key, fs::file_type::regular);
        if (!lock) {
            return;
        }
    } else if (std::error_code ec; fs::is_regular_file(project / in.lock_name, ec)) {
        lock = project / in.lock_name;
    } else {
        // The Flyte SDK takes a uv project without a lock; uv resolves it in the build.
        r.files.locked = false;
        warn(mark, key,
             fmt::format("no uv.lock beside '{}': the dependencies are resolved when the image is "
                         "built, so a rebuild may install other versions",
                         in.pyproject.string()),
             "run `uv lock` and keep uv.lock with the project");
    }
    LocalSources sources;
    {
        std::string pyproject_text = read_text(*pyproject);
        std::string lock_text = lock ? read_text(*lock) : std::string();
        auto lock_view = lock ? std::optional<std::string_view>(lock_text) : std::nullopt;
        sources = uv ? uv_local_sources(project, pyproject_text, lock_view)
                     : poetry_local_sources(pyproject_text, lock_view);
    }
    if (uv) {
        uv_version_warnings(sources, mark, p);
    }
    r.files.dir = dir;
    std::vector<fs::path> local;
    for (const auto& rel : sources.paths) {
        auto f =
            resolve(fs::path(rel_of(project)) / rel, mark, key + ".pyproject", fs::file_type::none);
        if (!f || *f == project || project.native().rfind(f->native() + "/", 0) == 0) {
            continue; // reported; or the project itself, or a folder around it
        }
        local.push_back(*f);
    }
    r.files.mirrored = !local.empty();
    const std::string base = r.files.mirrored ? rel_of(project) : std::string();
    r.files.project = base;
    const std::string at = base.empty() ? dir : dir + "/" + base;
    add_file(*pyproject, at + "/pyproject.toml", mark, key + ".pyproject");
    r.files.names.push_back("pyproject.toml");
    if (lock) {
        add_file(*lock, at + "/" + in.lock_name, mark, key + "." + in.lock_key);
        r.files.names.push_back(in.lock_name);
    }
    auto add_source = [&](const fs::path& src, const std::string& prefix) {
        if (std::error_code ec; fs::is_directory(src, ec)) {
            add_tree(src, prefix + "/" + rel_of(src), mark, key);
        } else {
            add_file(src, prefix + "/" + rel_of(src), mark, key);
        }
    };
    for (const auto& src : local) {
        add_source(src, dir);
    }
    if (in.install_project) {
        const std::string proj = dir + "/project";
        add_tree(project, base.empty() ? proj : proj + "/" + base, mark, key + ".pyproject");
        warn_heavy_folders(project, mark, key + ".pyproject");
        for (const auto& src : local) {
            // Sources inside the project's folder came with its tree.
            if (src.native().rfind(project.native() + "/", 0) != 0) {
                add_source(src, proj);
            }
        }
    }
}

// A lock (or pyproject) that asks for a newer uv than the configured image is a failed build:
// say so before it starts.
void Planner::uv_version_warnings(const LocalSources& sources, Mark mark, const std::string& path) {
    const std::string& image = m_cfg.uv_image.value;
    auto colon = image.rfind(':');
    std::string version = colon == std::string::npos ? std::string() : image.substr(colon + 1);
    if (sources.required_version.empty() || version.empty() ||
        version.find_first_not_of("0123456789.") != std::string::npos) {
        return;
    }
    try {
        std::string req = sources.required_version;
        if (req.find_first_of("<>=!~") != 0) {
            req = "==" + req;
        }
        if (!spec::python_satisfies(version, req)) {
            warn(mark, path + ".uv_project",
                 fmt::format("the project requires uv {} but the configured uv image is {}",
                             sources.required_version, image),
                 "set uv_image in the config to a uv that satisfies it");
        }
    } catch (const Error&) {
        // not a version specifier imgspec reads: uv reports it in the build
    }
}

// A script's `name @ file:///path` (or file:relative/path) dependency: a host path that the build
// cannot see. The folder goes into the context (it must be inside the spec's folder) and the
// requirement names it where the pip step mounts it.
std::string Planner::local_dependency(const std::string& dep, const fs::path& script_dir) {
    auto at = dep.find("@");
    auto url = dep.find("file:", at == std::string::npos ? 0 : at);
    if (at == std::string::npos || url == std::string::npos) {
        return dep;
    }
    std::size_t begin = url + 5;
    if (dep.compare(begin, 2, "//") == 0) {
        begin += 2; // file:///abs -> /abs; file://host/... is not a local path
    }
    std::size_t end = dep.find_first_of(" ;", begin);
    end = end == std::string::npos ? dep.size() : end;
    const std::string path = dep.substr(begin, end - begin);
    fs::path local = fs::path(path).is_absolute() ? fs::path(path) : script_dir / path;
    fs::path rel = fs::weakly_canonical(local).lexically_relative(m_root);
    if (rel.empty() || *rel.begin() == ".." || !fs::exists(local)) {
        error(m_spec.base_mark, "from.uv_script",
              fmt::format("dependency '{}': '{}' is {}", dep, path,
                          fs::exists(local) ? "outside the spec's folder" : "not there"),
              "a local dependency is copied into the build context: keep it inside the spec's "
              "folder, or publish it to an index");
        return dep;
    }
    m_script_sources.push_back(fs::weakly_canonical(local));
    // layers/0: the script's pip layer comes first.
    return fmt::format("{}file://{}/layers/0/{}{}", dep.substr(0, url), bind_root,
                       rel.generic_string(), dep.substr(end));
}

void Planner::uv_script(const spec::UvScriptBase& b) {
    auto script = resolve(b.script, m_spec.base_mark, "from.uv_script", fs::file_type::regular);
    m_plan.debian_base = true;
    m_plan.debian.install_flyte = false;
    if (!script) {
        return;
    }
    spec::ScriptMetadata meta;
    try {
        meta = spec::read_script_metadata(read_text(*script), rel_of(*script));
    } catch (const SpecError& e) {
        for (const auto& d : e.diagnostics()) {
            m_diags.add(d);
        }
        return;
    }
    if (!meta.found) {
        error(m_spec.base_mark, "from.uv_script",
              fmt::format("'{}' has no PEP 723 '# /// script' block", b.script.string()),
              "add a block with `dependencies = [...]` at the top of the script");
        return;
    }
    if (meta.requires_python) {
        try {
            if (!spec::python_satisfies(m_plan.python_version, *meta.requires_python)) {
                error(m_spec.base_mark, "from.uv_script",
                      fmt::format("the script requires Python {} but the image has {}",
                                  *meta.requires_python, m_plan.python_version),
                      "set python_version to a version the script accepts");
            }
        } catch (const Error& e) {
            error(m_spec.base_mark, "from.uv_script", e.what());
        }
    }
    // Dependencies become a pip layer in front of the spec's own; file:// ones are local projects.
    spec::PipLayer pip;
    pip.options = b.options;
    for (const auto& dep : meta.dependencies) {
        if (auto msg = spec::check_pip_requirement(dep); !msg.empty()) {
            error(m_spec.base_mark, "from.uv_script", fmt::format("dependency '{}': {}", dep, msg));
        }
        pip.packages.push_back(local_dependency(dep, script->parent_path()));
    }
    if (!pip.packages.empty()) {
        spec::Layer l{pip, "pip_packages", "from.uv_script", m_spec.base_mark};
        m_layers.insert(m_layers.begin(), std::move(l));
    }
}

void Planner::resolve_base() {
    const auto& s = m_spec;
    m_plan.platforms = s.platforms;
    m_plan.python_version = s.python_version;
    m_plan.python_version_given = !s.python_version.empty();
    m_plan.registry = s.registry;
    m_plan.name = s.name;
    std::vector<spec::Platform> default_platforms = {spec::Platform("linux/amd64")};
    if (const auto* d = std::get_if<spec::DebianBase>(&s.base)) {
        m_plan.debian_base = true;
        m_plan.debian = *d;
        if (!d->python_version.empty()) {
            m_plan.python_version = d->python_version;
        }
        default_platforms = {spec::Platform("linux/amd64"), spec::Platform("linux/arm64")};
        if (m_plan.name.empty()) {
            m_plan.name = "flyte";
        }
        if (!d->flyte_version.empty() && !d->install_flyte) {
            warn(s.base_mark, "from.debian_base.flyte_version",
                 "flyte_version has no effect with install_flyte: false",
                 "remove flyte_version, or set install_flyte: true");
        }
    } else if (const auto* b = std::get_if<spec::ImageBase>(&s.base)) {
        m_plan.base_image = b->uri;
        m_plan.base_user_image = b->uri;
    } else if (const auto* r = std::get_if<spec::RefNameBase>(&s.base)) {
        auto it = m_cfg.refs.find(r->name);
        if (it == m_cfg.refs.end()) {
            std::vector<std::string> names;
            for (const auto& [k, v] : m_cfg.refs) {
                names.push_back(k);
            }
            std::string hint =
                "give it with --ref " + r->name + "=URI or under 'refs:' in the config file";
            if (auto near = util::closest_match(r->name, names); !near.empty()) {
                hint = fmt::format("did you mean '{}'? ", near) + hint;
            }
            error(s.base_mark, "from.ref_name", fmt::format("unknown image ref name '{}'", r->name),
                  hint);
        } else {
            m_plan.base_image = it->second.value;
            m_plan.base_user_image = it->second.value;
        }
    } else if (const auto* u = std::get_if<spec::UvScriptBase>(&s.base)) {
        default_platforms = {spec::Platform("linux/amd64"), spec::Platform("linux/arm64")};
        if (m_plan.python_version.empty()) {
            m_plan.python_version = spec::default_python_version;
        }
        uv_script(*u);
    } else if (const auto* df = std::get_if<spec::DockerfileBase>(&s.base)) {
        if (auto f = resolve(df->file, s.base_mark, "from.dockerfile", fs::file_type::regular)) {
            m_plan.user_dockerfile = read_text(*f);
        }
    } else if (const auto* ps = std::get_if<spec::SpecBase>(&s.base)) {
        fs::path parent_file = (s.dir / ps->file).lexically_normal();
        std::error_code ec;
        fs::file_status st = fs::status(parent_file, ec);
        if (ec || !fs::exists(st)) {
            error(s.base_mark, "from.spec", cannot_stat(ps->file, ec));
        } else if (!fs::is_regular_file(st)) {
            error(s.base_mark, "from.spec",
                  fmt::format("'{}' is not a regular file", ps->file.string()));
        } else {
            fs::path canon = fs::canonical(parent_file, ec);
            std::vector<fs::path> chain = m_opts.chain;
            chain.push_back(fs::canonical(s.file, ec));
            if (chain.size() >= max_spec_chain) {
                // Not a SpecError: no level of the chain adds its own "parent is invalid" line.
                throw Error(
                    ErrorKind::invalid_spec,
                    fmt::format("{}: from.spec: the chain of specs is more than {} deep",
                                printable(m_file), max_spec_chain),
                    "a real chain is a handful of specs: start one of them from a base image");
            }
            if (std::find(chain.begin(), chain.end(), canon) != chain.end()) {
                std::string cycle;
                for (const auto& c : chain) {
                    cycle += c.filename().string() + " -> ";
                }
                error(s.base_mark, "from.spec",
                      "specs extend each other in a cycle: " + cycle + canon.filename().string(),
                      "one spec of the chain must start from a base image");
            } else {
                PlanOptions popts = m_opts;
                popts.chain = chain;
                try {
                    auto parent =
                        std::make_shared<const Plan>(plan_file(parent_file, m_cfg, popts));
                    if (!parent->spec.extendable) {
                        error(s.base_mark, "from.spec",
                              fmt::format("'{}' is not extendable", ps->file.string()),
                              "set 'extendable: true' in that spec to allow building on it");
                    }
                    if (m_plan.platforms.empty()) {
                        m_plan.platforms = parent->platforms;
                    }
                    for (const auto& platform : m_plan.platforms) {
                        if (std::find(parent->platforms.begin(), parent->platforms.end(),
                                      platform) == parent->platforms.end()) {
                            warn(s.base_mark, "from.spec",
                                 fmt::format(
                                     "this image is built for {} but its parent '{}' is not "
                                     "(its platforms: {}): the build will fail to pull it",
                                     platform.str(), ps->file.string(),
                                     util::join(spec::platform_names(parent->platforms), ", ")),
                                 "add the platform to the parent spec, or drop it here");
                        }
                    }
                    if (m_plan.python_version.empty()) {
                        m_plan.python_version = parent->python_version;
                    }
                    if (m_plan.registry.empty()) {
                        m_plan.registry = parent->registry;
                    }
                    // The parent's image runs as the parent's user; so does this one.
                    m_plan.final_user = parent->final_user;
                    m_plan.base_user_image = parent->base_user_image;
                    m_plan.parent = std::move(parent);
                } catch (const SpecError& e) {
                    for (const auto& diag : e.diagnostics()) {
                        m_diags.add(diag);
                    }
                    error(s.base_mark, "from.spec",
                          fmt::format("the parent spec '{}' is invalid", ps->file.string()));
                }
            }
        }
    }
    if (m_plan.platforms.empty()) {
        m_plan.platforms = default_platforms;
    }
    if (m_plan.debian_base) {
        m_plan.final_user = "flyte"; // the SDK's default image runs as flyte
    }
    if (!s.runtime.user.empty()) {
        m_plan.final_user = s.runtime.user;
        m_plan.base_user_image.clear();
    }
    if (m_plan.python_version.empty()) {
        m_plan.python_version = spec::default_python_version;
    }
    if (m_plan.registry.empty()) {
        m_plan.registry = m_cfg.registry.value;
    }
}

void Planner::resolve_layer(std::size_t index, const spec::Layer& layer) {
    ResolvedLayer r{layer, {}, {}};
    const std::string dir = fmt::format("layers/{}", index);
    const std::string& p = layer.path;
    const Mark mark = layer.mark;
    auto use_file = [&](const fs::path& src, const std::string& key,
                        const std::string& as_name) -> bool {
        auto f = resolve(src, mark, p + "." + key, fs::file_type::regular);
        if (!f) {
            return false;
        }
        r.files.dir = dir;
        r.files.names.push_back(as_name);
        add_file(*f, dir + "/" + as_name, mark, p + "." + key);
        return true;
    };
    auto secrets = [&](const std::vector<spec::SecretMount>& ms, const std::string& key) {
        for (const auto& m : ms) {
            collect_secret(m, p + "." + key);
        }
    };
    std::visit(
        [&](const auto& l) {
            using T = std::decay_t<decltype(l)>;
            if constexpr (std::is_same_v<T, spec::AptLayer> ||
                          std::is_same_v<T, spec::CommandsLayer>) {
                secrets(l.secret_mounts, "secret_mounts");
            } else if constexpr (std::is_same_v<T, spec::PipLayer>) {
                secrets(l.options.secret_mounts, "secret_mounts");
                if (layer.path == "from.uv_script" && !m_script_sources.empty()) {
                    r.files.dir = dir;
                    for (const auto& src : m_script_sources) {
                        if (fs::is_directory(src)) {
                            add_tree(src, dir + "/" + rel_of(src), mark, "from.uv_script");
                        } else {
                            add_file(src, dir + "/" + rel_of(src), mark, "from.uv_script");
                        }
                    }
                }
            } else if constexpr (std::is_same_v<T, spec::RequirementsLayer>) {
                secrets(l.options.secret_mounts, "secret_mounts");
                use_file(l.file, "requirements", l.file.filename().string());
            } else if constexpr (std::is_same_v<T, spec::UvProjectLayer>) {
                secrets(l.options.secret_mounts, "secret_mounts");
                python_project(r, dir,
                               {"uv_project", l.pyproject, l.uvlock, "uv.lock", "uvlock",
                                l.mode == spec::InstallMode::install_project});
            } else if constexpr (std::is_same_v<T, spec::PoetryLayer>) {
                secrets(l.secret_mounts, "poetry_project.secret_mounts");
                python_project(r, dir,
                               {"poetry_project", l.pyproject, l.lock, "poetry.lock", "poetry_lock",
                                l.mode == spec::InstallMode::install_project});
            } else if constexpr (std::is_same_v<T, spec::SourceFolderLayer>) {
                if (auto d =
                        resolve(l.src, mark, p + ".source_folder.src", fs::file_type::directory)) {
                    r.files.dir = dir;
                    r.dst = l.dst;
                    if (l.dst == "." && !l.copy_contents_only) {
                        r.dst = "./" + d->filename().string();
                    }
                    add_tree(*d, dir, mark, p + ".source_folder.src");
                }
            } else if constexpr (std::is_same_v<T, spec::SourceFileLayer>) {
                r.dst = l.dst;
                r.files.dir = dir;
                add_synthetic_dir(dir);
                add_dir_chain(dir);
                for (std::size_t i = 0; i < l.src.size(); ++i) {
                    auto key = fmt::format("source_file.src[{}]", i);
                    if (auto f = resolve(l.src[i], mark, p + "." + key, fs::file_type::regular)) {
                        // A file named explicitly is copied with its content, even through a
                        // symlink.
                        add_file(*f, dir + "/" + l.src[i].filename().string(), mark, p + "." + key);
                    }
                }
            } else if constexpr (std::is_same_v<T, spec::DockerignoreLayer>) {
                // Read before the first layer (run()): the rules apply to every copy.
                if (m_ignore_layers.count(index) > 0) {
                    r.files.dir = dir;
                }
            } else if constexpr (std::is_same_v<T, spec::CodeBundleLayer>) {
                auto root = resolve(l.root_dir, mark, p + ".code_bundle.root_dir",
                                    fs::file_type::directory);
                if (!root) {
                    return;
                }
                r.files.dir = dir;
                r.dst = l.dst;
                if (l.copy_style == spec::CopyStyle::all) {
                    add_tree(*root, dir, mark, p + ".code_bundle");
                    return;
                }
                add_synthetic_dir(dir);
                add_dir_chain(dir);
                try {
                    for (const auto& rel : reachable_modules(*root, l.entry)) {
                        fs::path f = *root / rel;
                        if (m_ignore.excluded(rel_of(f))) {
                            continue;
                        }
                        add_file(f, dir + "/" + rel, mark, p + ".code_bundle");
                    }
                } catch (const Error& e) {
                    error(mark, p + ".code_bundle.entry", e.what());
                }
            } else if constexpr (std::is_same_v<T, spec::LocalV2Layer> ||
                                 std::is_same_v<T, spec::LocalV2PluginsLayer>) {
                const std::string dist_path = p + "." + r.layer.kind + ".dist";
                auto d = resolve(l.dist, mark, dist_path, fs::file_type::directory);
                if (!d) {
                    return;
                }
                r.files.dir = dir;
                add_synthetic_dir(dir);
                add_dir_chain(dir);
                std::error_code ec;
                bool any = false;
                for (const auto& de : fs::directory_iterator(*d, ec)) {
                    if (de.path().extension() == ".whl" && de.is_regular_file(ec)) {
                        add_file(de.path(), dir + "/" + de.path().filename().string(), mark,
                                 dist_path);
                        any = true;
                    }
                }
                if (!any) {
                    error(mark, dist_path,
                          fmt::format("no wheels (*.whl) in '{}'", l.dist.string()),
                          "build them first, e.g. `uv build --wheel -o dist`");
                }
            } else if constexpr (std::is_same_v<T, spec::WorkdirLayer> ||
                                 std::is_same_v<T, spec::EnvLayer>) {
                // nothing on disk to resolve
            } else {
                static_assert(spec::no_case_for<T>, "a layer kind that plans nothing");
            }
        },
        layer.body);
    m_plan.layers.push_back(std::move(r));
}

Plan Planner::run() {
    m_plan.spec = m_spec;
    m_layers = m_spec.layers;
    std::error_code sec;
    for (const auto& [name, def] : m_spec.secrets) {
        if (def.file.empty()) {
            continue;
        }
        fs::path file = secret_file(def.file);
        fs::path f = fs::weakly_canonical(file, sec);
        m_secret_files.insert(sec ? file : f);
        if (struct stat st{}; ::stat(file.c_str(), &st) == 0) {
            m_secret_inodes.emplace_back(static_cast<std::uint64_t>(st.st_dev),
                                         static_cast<std::uint64_t>(st.st_ino));
        }
    }
    resolve_base();
    // With no dockerignore layer, a .dockerignore in the spec's folder applies, as in Docker.
    std::error_code ec;
    if (m_plan.user_dockerfile) {
        // from: dockerfile: the Dockerfile's folder is the context, as `docker build -f` with that
        // folder: every file after its ignore rules (<name>.dockerignore beside the Dockerfile
        // first, else .dockerignore), the Dockerfile and the rules included as Docker sends them.
        const auto& df = std::get<spec::DockerfileBase>(m_spec.base);
        fs::path user_file = (m_root / df.file).lexically_normal();
        m_root = fs::weakly_canonical(user_file.parent_path(), ec);
        m_plan.dockerfile_path = user_file.filename().string();
        fs::path ignore = m_root / (m_plan.dockerfile_path + ".dockerignore");
        if (!fs::is_regular_file(ignore, ec)) {
            ignore = m_root / ".dockerignore";
        }
        if (fs::is_regular_file(ignore, ec)) {
            set_ignore_rules(ignore, "", m_spec.base_mark, "from.dockerfile");
        }
        std::vector<Entry> saved;
        add_tree(m_root, "ctx", m_spec.base_mark, "from.dockerfile");
        // Context files sit at the root for a user's Dockerfile; drop the "ctx/" prefix.
        for (auto& e : m_entries) {
            if (e.path == "ctx") {
                continue;
            }
            if (util::starts_with(e.path, "ctx/")) {
                e.path = e.path.substr(4);
            }
            saved.push_back(std::move(e));
        }
        m_entries = std::move(saved);
    } else if (std::none_of(m_layers.begin(), m_layers.end(),
                            [](const spec::Layer& l) {
                                return std::holds_alternative<spec::DockerignoreLayer>(l.body);
                            }) &&
               fs::is_regular_file(m_root / ".dockerignore", ec)) {
        // Only with no dockerignore layer does the folder's .dockerignore apply (as in the SDK).
        set_ignore_rules(m_root / ".dockerignore", ".imgspec/dockerignore", {}, ".dockerignore");
    }
    // dockerignore layers apply to every copy of the spec, before or after them (as in the SDK),
    // so a layer order never ships a file the rules exclude.
    for (std::size_t i = 0; i < m_layers.size(); ++i) {
        if (const auto* d = std::get_if<spec::DockerignoreLayer>(&m_layers[i].body)) {
            const std::string& p = m_layers[i].path;
            if (auto f = resolve(d->file, m_layers[i].mark, p + ".dockerignore",
                                 fs::file_type::regular)) {
                set_ignore_rules(*f, fmt::format("layers/{}/.dockerignore", i), m_layers[i].mark,
                                 p + ".dockerignore");
                m_ignore_layers.insert(i);
            }
        }
    }
    bool copied = false;
    std::size_t first_copy = 0;
    for (std::size_t i = 0; i < m_layers.size(); ++i) {
        const auto& layer = m_layers[i];
        if (is_python_layer(layer.body) && m_plan.base_image.empty() && !m_plan.debian_base &&
            m_plan.user_dockerfile) {
            error(layer.mark, layer.path, "no Python installs on a Dockerfile base");
        }
        if (copied && is_install_layer(layer.body)) {
            warn(layer.mark, layer.path + "." + layer.kind,
                 fmt::format("comes after the source copy at {}: editing the source will re-run "
                             "this install",
                             m_layers[first_copy].path),
                 "move it before the copy");
        }
        if (const auto* c = std::get_if<spec::CommandsLayer>(&layer.body)) {
            for (std::size_t k = 0; k < c->commands.size(); ++k) {
                std::string head = c->commands[k].substr(0, 4);
                std::transform(head.begin(), head.end(), head.begin(), [](unsigned char ch) {
                    return static_cast<char>(std::toupper(ch));
                });
                if (head == "RUN ") {
                    warn(layer.mark, fmt::format("{}.commands[{}]", layer.path, k),
                         "a command starting with 'RUN ' runs a program named RUN",
                         "each command is already a RUN step: drop the 'RUN '");
                }
            }
        }
        if (!copied && is_copy_layer(layer.body)) {
            copied = true;
            first_copy = i;
        }
        resolve_layer(i, layer);
    }
    if (!m_spec.registry_secret.empty()) {
        m_plan.registry_secret = secret_source(m_spec.registry_secret, m_spec.registry_secret);
    }
    m_diags.throw_if_any();
    sort_entries();
    if (m_opts.hash) {
        unsigned threads = walk_threads();
        // Files with a digest from the stat cache are not read again.
        if (m_cache) {
            m_cache->reserve(static_cast<std::size_t>(
                std::count_if(m_entries.begin(), m_entries.end(), [](const Entry& e) {
                    return e.type == EntryType::file && e.digest == Digest{};
                })));
        }
        hash_pending(m_entries, threads, m_cache ? &*m_cache : nullptr, m_opts.progress);
        if (m_cache) {
            m_cache->save();
        }
    }
    m_plan.files.entries = std::move(m_entries);
    return std::move(m_plan);
}

} // namespace

Plan make_plan(const spec::Spec& spec, const Config& config, const PlanOptions& options) {
    Planner p(spec, config, options);
    Plan plan = p.run();
    // A spec on standard input has no place for a lock beside it.
    if (options.read_lock && options.chain.empty() && spec.display != "<stdin>") {
        if (auto l = lock::read_lock(fs::path(spec.display))) {
            plan.lock = std::make_shared<const lock::Lock>(std::move(*l));
        }
    }
    return plan;
}

Plan plan_file(const fs::path& file, const Config& config, const PlanOptions& options) {
    return make_plan(spec::read_spec(file), config, options);
}

} // namespace imgspec::plan
