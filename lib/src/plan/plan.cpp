// Spec -> plan: resolve bases, check and walk every referenced file, collect secrets.

#include <imgspec/plan/plan.hpp>

#include <imgspec/plan/dockerignore.hpp>
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
    return std::holds_alternative<spec::PipLayer>(b) || std::holds_alternative<spec::RequirementsLayer>(b) ||
           std::holds_alternative<spec::UvProjectLayer>(b) || std::holds_alternative<spec::PoetryLayer>(b) ||
           std::holds_alternative<spec::LocalV2Layer>(b) ||
           std::holds_alternative<spec::LocalV2PluginsLayer>(b);
}

bool is_copy_layer(const spec::LayerBody& b) {
    return std::holds_alternative<spec::SourceFolderLayer>(b) ||
           std::holds_alternative<spec::SourceFileLayer>(b) || std::holds_alternative<spec::CodeBundleLayer>(b);
}

bool is_install_layer(const spec::LayerBody& b) {
    return is_python_layer(b) || std::holds_alternative<spec::AptLayer>(b);
}

class Planner {
  public:
    Planner(const spec::Spec& s, const Config& cfg, const PlanOptions& opts)
        : m_spec(s), m_cfg(cfg), m_opts(opts), m_file(s.display.empty() ? s.file.string() : s.display),
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
        for (std::size_t pos = ctx_path.find('/'); pos != std::string::npos; pos = ctx_path.find('/', pos + 1)) {
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
            throw Error(ErrorKind::other, fmt::format("internal: context path {} added twice", e.path));
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
    void add_file(const fs::path& source, const std::string& ctx_path, Mark mark, const std::string& path) {
        if (is_secret_file(source.native())) {
            error(mark, path, fmt::format("'{}' is a secret's file and is never copied into the context",
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
    void add_tree(const fs::path& dir, const std::string& ctx_prefix, Mark mark, const std::string& path) {
        add_dir_chain(ctx_prefix);
        add_synthetic_dir(ctx_prefix);
        FolderWalk walk(dir.string(), rel_of(dir), ctx_prefix);
        WalkOptions options;
        options.ignore = &m_ignore;
        if (!m_secret_files.empty()) {
            options.is_secret = [this](const std::string& abs) { return is_secret_file(abs); };
        }
        options.cache_keys = caching();
        options.defer_file_stat = defer_file_stat();
        options.threads = walk_threads();
        options.meanwhile = [this] { cache(); }; // the stat cache loads while the others walk
        walk.run(options);
        // One more for the Dockerfile that plan::context_manifest adds: no copy of them all then.
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
                m_plan.warnings.push_back(Diagnostic{
                    .file = m_file,
                    .mark = mark,
                    .path = path,
                    .message = fmt::format("'{}' is a secret's file: left out of the build context",
                                           x.text),
                    .hint = "exclude it (.dockerignore) to silence this",
                    .severity = Severity::warning});
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

    void set_ignore_rules(const fs::path& file, const std::string& ctx_path, Mark mark, const std::string& path) {
        std::string text = read_text(file);
        m_ignore = Dockerignore::parse(text);
        for (const auto& e : m_ignore.errors()) {
            // "line N: bad pattern ...": report it at the rules file's own line, as a compiler would.
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
        add_file(file, ctx_path, mark, path);
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
            src.env = key;
        } else if (!it->second.env.empty()) {
            src.env = it->second.env;
        } else {
            fs::path f = it->second.file;
            std::string s = f.string();
            if (s.rfind("~/", 0) == 0) {
                const char* home = std::getenv("HOME");
                f = fs::path(home ? home : "") / s.substr(2);
            } else if (f.is_relative()) {
                f = m_root / f;
            }
            src.file = f.lexically_normal().string();
        }
        return src;
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
        std::sort(order.begin(), order.end(),
                  [&](std::uint32_t a, std::uint32_t b) { return m_entries[a].path < m_entries[b].path; });
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

    void resolve_base();
    void resolve_layer(std::size_t index, const spec::Layer& layer);
    void uv_script(const spec::UvScriptBase& b);

    const spec::Spec& m_spec;
    const Config& m_cfg;
    const PlanOptions& m_opts;
    std::string m_file;
    fs::path m_root;
    Diagnostics m_diags;
    Plan m_plan;
    Dockerignore m_ignore = Dockerignore::parse("");
    std::vector<Entry> m_entries;
    std::set<std::string> m_paths;
    std::set<fs::path> m_secret_files;
    std::unordered_set<std::string> m_secret_ids;
    std::int64_t m_run_start;       // before the first stat: the stat cache's racy limit
    bool m_cache_tried = false;
    std::optional<fs::path> m_cache_file; // cache_file(), once computed
    std::optional<StatCache> m_cache;
    std::vector<spec::Layer> m_layers; // the spec's layers, after uv_script adds its own
};

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
        pip.packages.push_back(dep);
        if (auto msg = spec::check_pip_requirement(dep); !msg.empty()) {
            error(m_spec.base_mark, "from.uv_script", fmt::format("dependency '{}': {}", dep, msg));
        }
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
    } else if (const auto* b = std::get_if<spec::ImageBase>(&s.base)) {
        m_plan.base_image = b->uri;
    } else if (const auto* r = std::get_if<spec::RefNameBase>(&s.base)) {
        auto it = m_cfg.refs.find(r->name);
        if (it == m_cfg.refs.end()) {
            std::vector<std::string> names;
            for (const auto& [k, v] : m_cfg.refs) {
                names.push_back(k);
            }
            std::string hint = "give it with --ref " + r->name + "=URI or under 'refs:' in the config file";
            if (auto near = util::closest_match(r->name, names); !near.empty()) {
                hint = fmt::format("did you mean '{}'? ", near) + hint;
            }
            error(s.base_mark, "from.ref_name", fmt::format("unknown image ref name '{}'", r->name), hint);
        } else {
            m_plan.base_image = it->second.value;
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
            if (std::find(chain.begin(), chain.end(), canon) != chain.end()) {
                std::string cycle;
                for (const auto& c : chain) {
                    cycle += c.filename().string() + " -> ";
                }
                error(s.base_mark, "from.spec", "specs extend each other in a cycle: " + cycle + canon.filename().string(),
                      "one spec of the chain must start from a base image");
            } else {
                PlanOptions popts = m_opts;
                popts.chain = chain;
                try {
                    auto parent = std::make_unique<Plan>(plan_file(parent_file, m_cfg, popts));
                    if (!parent->spec.extendable) {
                        error(s.base_mark, "from.spec",
                              fmt::format("'{}' is not extendable", ps->file.string()),
                              "set 'extendable: true' in that spec to allow building on it");
                    }
                    if (m_plan.platforms.empty()) {
                        m_plan.platforms = parent->platforms;
                    }
                    if (m_plan.python_version.empty()) {
                        m_plan.python_version = parent->python_version;
                    }
                    if (m_plan.registry.empty()) {
                        m_plan.registry = parent->registry;
                    }
                    if (m_opts.uri_of) {
                        m_plan.base_image = m_opts.uri_of(*parent);
                    }
                    m_plan.parent = std::move(parent);
                } catch (const SpecError& e) {
                    for (const auto& diag : e.diagnostics()) {
                        m_diags.add(diag);
                    }
                    error(s.base_mark, "from.spec", fmt::format("the parent spec '{}' is invalid", ps->file.string()));
                }
            }
        }
    }
    if (m_plan.platforms.empty()) {
        m_plan.platforms = default_platforms;
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
    auto use_file = [&](const fs::path& src, const std::string& key, const std::string& as_name) -> bool {
        auto f = resolve(src, mark, p + "." + key, fs::file_type::regular);
        if (!f) {
            return false;
        }
        r.files.dir = dir;
        r.files.names.push_back(as_name);
        add_file(*f, dir + "/" + as_name, mark, p + "." + key);
        return true;
    };
    auto project_dir = [&](const fs::path& pyproject, const std::string& key) {
        auto f = resolve(pyproject, mark, p + "." + key, fs::file_type::regular);
        if (f) {
            r.files.dir = dir;
            add_tree(f->parent_path(), dir + "/project", mark, p + "." + key);
        }
    };
    auto secrets = [&](const std::vector<spec::SecretMount>& ms, const std::string& key) {
        for (const auto& m : ms) {
            collect_secret(m, p + "." + key);
        }
    };
    std::visit(
        [&](const auto& l) {
            using T = std::decay_t<decltype(l)>;
            if constexpr (std::is_same_v<T, spec::AptLayer> || std::is_same_v<T, spec::CommandsLayer>) {
                secrets(l.secret_mounts, "secret_mounts");
            } else if constexpr (std::is_same_v<T, spec::PipLayer>) {
                secrets(l.options.secret_mounts, "secret_mounts");
            } else if constexpr (std::is_same_v<T, spec::RequirementsLayer>) {
                secrets(l.options.secret_mounts, "secret_mounts");
                use_file(l.file, "requirements", l.file.filename().string());
            } else if constexpr (std::is_same_v<T, spec::UvProjectLayer>) {
                secrets(l.options.secret_mounts, "secret_mounts");
                fs::path lock = l.uvlock.empty() ? l.pyproject.parent_path() / "uv.lock" : l.uvlock;
                // Dependencies install from pyproject and lock alone, so a source edit keeps them cached;
                // install_project then installs the project from its folder.
                // A missing pyproject is one mistake: its default lock is not reported too.
                if (use_file(l.pyproject, "uv_project.pyproject", "pyproject.toml")) {
                    use_file(lock, "uv_project.uvlock", "uv.lock");
                }
                if (l.mode == spec::InstallMode::install_project) {
                    project_dir(l.pyproject, "uv_project.pyproject");
                }
            } else if constexpr (std::is_same_v<T, spec::PoetryLayer>) {
                secrets(l.secret_mounts, "poetry_project.secret_mounts");
                fs::path lock = l.lock.empty() ? l.pyproject.parent_path() / "poetry.lock" : l.lock;
                if (use_file(l.pyproject, "poetry_project.pyproject", "pyproject.toml")) {
                    use_file(lock, "poetry_project.poetry_lock", "poetry.lock");
                }
                if (l.mode == spec::InstallMode::install_project) {
                    project_dir(l.pyproject, "poetry_project.pyproject");
                }
            } else if constexpr (std::is_same_v<T, spec::SourceFolderLayer>) {
                if (auto d = resolve(l.src, mark, p + ".source_folder.src", fs::file_type::directory)) {
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
                        // A file named explicitly is copied with its content, even through a symlink.
                        add_file(*f, dir + "/" + l.src[i].filename().string(), mark, p + "." + key);
                    }
                }
            } else if constexpr (std::is_same_v<T, spec::DockerignoreLayer>) {
                if (auto f = resolve(l.file, mark, p + ".dockerignore", fs::file_type::regular)) {
                    r.files.dir = dir;
                    set_ignore_rules(*f, dir + "/.dockerignore", mark, p + ".dockerignore");
                }
            } else if constexpr (std::is_same_v<T, spec::CodeBundleLayer>) {
                auto root = resolve(l.root_dir, mark, p + ".code_bundle.root_dir", fs::file_type::directory);
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
                        add_file(de.path(), dir + "/" + de.path().filename().string(), mark, dist_path);
                        any = true;
                    }
                }
                if (!any) {
                    error(mark, dist_path, fmt::format("no wheels (*.whl) in '{}'", l.dist.string()),
                          "build them first, e.g. `uv build --wheel -o dist`");
                }
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
        if (!def.file.empty() && def.file.is_relative() && def.file.string().rfind("~/", 0) != 0) {
            fs::path f = fs::weakly_canonical(m_root / def.file, sec);
            m_secret_files.insert(sec ? m_root / def.file : f);
        } else if (!def.file.empty()) {
            m_secret_files.insert(fs::weakly_canonical(def.file, sec));
        }
    }
    resolve_base();
    // With no dockerignore layer, a .dockerignore in the spec's folder applies, as in Docker.
    std::error_code ec;
    if (m_plan.user_dockerfile) {
        // from: dockerfile: the Dockerfile's folder is the context, copied whole (after ignore rules).
        const auto& df = std::get<spec::DockerfileBase>(m_spec.base);
        fs::path folder = (m_root / df.file).lexically_normal().parent_path();
        m_root = fs::weakly_canonical(folder, ec);
        fs::path ignore = m_root / ".dockerignore";
        if (fs::is_regular_file(ignore, ec)) {
            set_ignore_rules(ignore, ".imgspec/dockerignore", m_spec.base_mark, "from.dockerfile");
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
            if (e.path == "Dockerfile" || e.path == ".dockerignore") {
                continue; // imgspec writes the Dockerfile; the rules were applied already
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
    bool copied = false;
    std::size_t first_copy = 0;
    for (std::size_t i = 0; i < m_layers.size(); ++i) {
        const auto& layer = m_layers[i];
        if (is_python_layer(layer.body) && m_plan.base_image.empty() && !m_plan.debian_base &&
            m_plan.user_dockerfile) {
            error(layer.mark, layer.path, "no Python installs on a Dockerfile base");
        }
        if (copied && is_install_layer(layer.body)) {
            m_plan.warnings.push_back(Diagnostic{
                .file = m_file,
                .mark = layer.mark,
                .path = layer.path + "." + layer.kind,
                .message = fmt::format("comes after the source copy at {}: editing the source will "
                                       "re-run this install",
                                       m_layers[first_copy].path),
                .hint = "move it before the copy",
                .severity = Severity::warning});
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
            m_cache->reserve(static_cast<std::size_t>(std::count_if(
                m_entries.begin(), m_entries.end(),
                [](const Entry& e) { return e.type == EntryType::file && e.digest == Digest{}; })));
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
    return p.run();
}

Plan plan_file(const fs::path& file, const Config& config, const PlanOptions& options) {
    return make_plan(spec::read_spec(file), config, options);
}

} // namespace imgspec::plan
