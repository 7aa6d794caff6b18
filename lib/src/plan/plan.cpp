// Spec -> plan: resolve bases, check and walk every referenced file, collect secrets. The
// planner's parts are in planner.hpp; this file holds the base, each layer and the whole run.

#include "planner.hpp"

#include <imgspec/plan/plan.hpp>

#include <imgspec/plan/python_imports.hpp>
#include <imgspec/spec/names.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <memory>

#include <fcntl.h>
#include <sys/stat.h>

namespace imgspec::plan {

namespace detail {

namespace {

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

} // namespace

Planner::Planner(const spec::Spec& s, const Config& cfg, const PlanOptions& opts,
                 ParentResult parent)
    : m_spec(s), m_cfg(cfg), m_opts(opts), m_file(s.display.empty() ? s.file.string() : s.display),
      m_parent(std::move(parent)), m_run_start(StatCache::now_ns()) {
    std::error_code ec;
    m_root = fs::canonical(s.dir, ec);
    if (ec) {
        m_root = s.dir;
    }
}

std::shared_ptr<const Plan> Planner::parent_plan(const fs::path& parent_file,
                                                 const PlanOptions& popts) {
    if (m_parent.error) {
        std::rethrow_exception(m_parent.error);
    }
    if (m_parent.plan) {
        return m_parent.plan;
    }
    return std::make_shared<const Plan>(plan_file(parent_file, m_cfg, popts));
}

void Planner::error(Mark mark, const std::string& path, std::string message, std::string hint) {
    m_diags.error(m_file, mark, path, std::move(message), std::move(hint));
}

void Planner::warn(Mark mark, const std::string& path, std::string message, std::string hint) {
    m_plan.warnings.push_back(Diagnostic{.file = m_file,
                                         .mark = mark,
                                         .path = path,
                                         .message = std::move(message),
                                         .hint = std::move(hint),
                                         .severity = Severity::warning});
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
                    auto parent = parent_plan(parent_file, popts);
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

} // namespace detail

// A `from: spec` chain is planned root first and without recursion (a deep chain cannot exhaust
// the stack): the walk reads the specs upwards, child to parent, and stops where the child's own
// planner will report a problem (a parent that is missing or not a file, a cycle, a chain too
// deep) or where a parent cannot be read (that error becomes the child's, as "the parent spec is
// invalid"). Then each spec is planned from the root down with its parent's plan (or what planning
// it threw), so messages, their order and the plans are those of planning the chain recursively.
Plan make_plan(const spec::Spec& spec, const Config& config, const PlanOptions& options) {
    namespace fs = std::filesystem;
    struct Level {
        const spec::Spec* spec;
        std::vector<fs::path> chain; // PlanOptions::chain for this spec
        std::exception_ptr parent_error;
    };
    std::vector<std::unique_ptr<spec::Spec>> parents;
    std::vector<Level> levels{{&spec, options.chain, nullptr}};
    while (const auto* ps = std::get_if<spec::SpecBase>(&levels.back().spec->base)) {
        Level& child = levels.back();
        fs::path parent_file = (child.spec->dir / ps->file).lexically_normal();
        std::error_code ec;
        if (!fs::is_regular_file(fs::status(parent_file, ec)) || ec) {
            break;
        }
        fs::path canon = fs::canonical(parent_file, ec);
        std::vector<fs::path> chain = child.chain;
        chain.push_back(fs::canonical(child.spec->file, ec));
        if (chain.size() >= detail::max_spec_chain ||
            std::find(chain.begin(), chain.end(), canon) != chain.end()) {
            break;
        }
        try {
            parents.push_back(std::make_unique<spec::Spec>(spec::read_spec(parent_file)));
        } catch (...) {
            child.parent_error = std::current_exception();
            break;
        }
        levels.push_back({parents.back().get(), std::move(chain), nullptr});
    }
    detail::ParentResult parent{nullptr, levels.back().parent_error};
    for (std::size_t i = levels.size(); i-- > 1;) {
        PlanOptions o = options;
        o.chain = levels[i].chain;
        try {
            detail::Planner p(*levels[i].spec, config, o, std::move(parent));
            parent = detail::ParentResult{std::make_shared<const Plan>(p.run()), nullptr};
        } catch (...) {
            parent = detail::ParentResult{nullptr, std::current_exception()};
        }
    }
    detail::Planner p(spec, config, options, std::move(parent));
    Plan plan = p.run();
    // A spec on standard input has no place for a lock beside it.
    if (options.read_lock && options.chain.empty() && spec.display != "<stdin>") {
        if (auto l = lock::read_lock(fs::path(spec.display))) {
            plan.lock = std::make_shared<const lock::Lock>(std::move(*l));
        }
    }
    return plan;
}

Plan plan_file(const std::filesystem::path& file, const Config& config,
               const PlanOptions& options) {
    return make_plan(spec::read_spec(file), config, options);
}

} // namespace imgspec::plan
