// Spec -> plan: the planner's whole run (secrets' files, the base, the ignore rules, each layer
// in order, the hashing) and make_plan over a `from: spec` chain. The planner's other parts are
// listed in planner.hpp.

#include "planner.hpp"

#include <imgspec/plan/plan.hpp>

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

bool is_copy_layer(const spec::LayerBody& b) {
    return std::holds_alternative<spec::SourceFolderLayer>(b) ||
           std::holds_alternative<spec::SourceFileLayer>(b) ||
           std::holds_alternative<spec::CodeBundleLayer>(b);
}

bool is_install_layer(const spec::LayerBody& b) {
    return spec::installs_python(b) || std::holds_alternative<spec::AptLayer>(b);
}

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

// Every secret's file, by path and by inode: none is ever copied into the context.
void Planner::note_secret_files() {
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
}

// from: dockerfile: the Dockerfile's folder is the context, as `docker build -f` with that
// folder: every file after its ignore rules (<name>.dockerignore beside the Dockerfile first,
// else .dockerignore), the Dockerfile and the rules included as Docker sends them.
void Planner::user_dockerfile_context() {
    std::error_code ec;
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
}

// The ignore rules, read before the first layer: they apply to every copy of the spec.
void Planner::read_ignore_rules() {
    // With no dockerignore layer, a .dockerignore in the spec's folder applies, as in Docker.
    std::error_code ec;
    if (m_plan.user_dockerfile) {
        user_dockerfile_context();
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
}

// What a layer's place in the order gets wrong: Python on a Dockerfile base, an install after
// the source copy, a command that starts with RUN.
void Planner::check_layer_order(std::size_t index, bool copied, std::size_t first_copy) {
    const auto& layer = m_layers[index];
    if (spec::installs_python(layer.body) && m_plan.base_image.empty() && !m_plan.debian_base &&
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
    const auto* c = std::get_if<spec::CommandsLayer>(&layer.body);
    if (c == nullptr) {
        return;
    }
    for (std::size_t k = 0; k < c->commands.size(); ++k) {
        std::string head = c->commands[k].substr(0, 4);
        std::transform(head.begin(), head.end(), head.begin(),
                       [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
        if (head == "RUN ") {
            warn(layer.mark, fmt::format("{}.commands[{}]", layer.path, k),
                 "a command starting with 'RUN ' runs a program named RUN",
                 "each command is already a RUN step: drop the 'RUN '");
        }
    }
}

void Planner::hash_entries() {
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

Plan Planner::run() {
    m_plan.spec = m_spec;
    m_layers = m_spec.layers;
    note_secret_files();
    resolve_base();
    read_ignore_rules();
    bool copied = false;
    std::size_t first_copy = 0;
    for (std::size_t i = 0; i < m_layers.size(); ++i) {
        const auto& layer = m_layers[i];
        check_layer_order(i, copied, first_copy);
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
        hash_entries();
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
