// The planner's layers: what each layer kind takes from the disk (its files, under
// layers/<index> in the context) and the secrets it mounts. One function per kind; a kind
// without one fails to compile (Planner::plan_kind's template).

#include "planner.hpp"

#include <imgspec/plan/python_imports.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>

#include <variant>

namespace imgspec::plan::detail {

void Planner::resolve_layer(std::size_t index, const spec::Layer& layer) {
    ResolvedLayer r{layer, {}, {}};
    LayerWork w{r, fmt::format("layers/{}", index), layer.path, layer.mark, index};
    std::visit([&](const auto& l) { plan_kind(w, l); }, layer.body);
    m_plan.layers.push_back(std::move(r));
}

void Planner::layer_secrets(const LayerWork& w, const std::vector<spec::SecretMount>& mounts,
                            const std::string& key) {
    for (const auto& m : mounts) {
        collect_secret(m, w.path + "." + key);
    }
}

void Planner::plan_kind(LayerWork& w, const spec::AptLayer& l) {
    layer_secrets(w, l.secret_mounts, "secret_mounts");
}

void Planner::plan_kind(LayerWork& w, const spec::CommandsLayer& l) {
    layer_secrets(w, l.secret_mounts, "secret_mounts");
}

void Planner::plan_kind(LayerWork& w, const spec::PipLayer& l) {
    layer_secrets(w, l.options.secret_mounts, "secret_mounts");
    // A uv script's pip layer carries the script's local (file:) dependencies.
    if (w.path != "from.uv_script" || m_script_sources.empty()) {
        return;
    }
    w.r.files.dir = w.dir;
    for (const auto& src : m_script_sources) {
        if (fs::is_directory(src)) {
            add_tree(src, w.dir + "/" + rel_of(src), w.mark, "from.uv_script");
        } else {
            add_file(src, w.dir + "/" + rel_of(src), w.mark, "from.uv_script");
        }
    }
}

// The requirements file and every file it includes (-r) or constrains with (-c), each once: pip
// reads those beside it. A file that includes none keeps the layer's one-file form; with includes,
// the layer folder mirrors the spec's folder, so the relative paths hold.
void Planner::plan_kind(LayerWork& w, const spec::RequirementsLayer& l) {
    layer_secrets(w, l.options.secret_mounts, "secret_mounts");
    const std::string key = w.path + ".requirements";
    auto top = resolve(l.file, w.mark, key, fs::file_type::regular);
    if (!top) {
        return;
    }
    std::vector<fs::path> files{*top};
    std::set<fs::path> seen{*top};
    std::set<std::string> vars = step_variables(w, l.options.secret_mounts);
    for (std::size_t i = 0; i < files.size(); ++i) {
        const fs::path from = files[i];
        for (const auto& ref : requirements_references(read_text(from))) {
            if (ref.kind == RequirementsRef::Kind::variable) {
                unset_variable(from, ref, key, vars);
            } else if (auto f = requirements_ref(from, ref, key); f && seen.insert(*f).second) {
                files.push_back(*f);
            }
        }
    }
    w.r.files.dir = w.dir;
    if (files.size() == 1) {
        const std::string as_name = l.file.filename().string();
        w.r.files.names.push_back(as_name);
        add_file(*top, w.dir + "/" + as_name, w.mark, key);
        return;
    }
    w.r.files.mirrored = true;
    for (const auto& f : files) {
        w.r.files.names.push_back(rel_of(f));
        add_file(f, w.dir + "/" + rel_of(f), w.mark, key);
    }
}

// The variables that a layer's install step has: its secrets that reach it as variables, and the
// env_vars of the layers before it (the base image's own ENV cannot be known here).
std::set<std::string> Planner::step_variables(const LayerWork& w,
                                              const std::vector<spec::SecretMount>& secrets) {
    std::set<std::string> set;
    for (const auto& m : secrets) {
        auto def = m_spec.secrets.find(m.key);
        if (m.mount.empty() && (def == m_spec.secrets.end() || def->second.mount.empty())) {
            set.insert(spec::secret_env_name(m));
        }
    }
    for (std::size_t i = 0; i < w.index && i < m_layers.size(); ++i) {
        if (const auto* e = std::get_if<spec::EnvLayer>(&m_layers[i].body)) {
            for (const auto& var : e->vars) {
                set.insert(var.first);
            }
        }
    }
    return set;
}

// A ${NAME} in a requirements file that nothing in the step sets: pip and uv leave it as it is,
// and a private index's URL fails with a 401 minutes into the build. Said once a name.
void Planner::unset_variable(const fs::path& from, const RequirementsRef& ref,
                             const std::string& key, std::set<std::string>& set) {
    if (!set.insert(ref.value).second) {
        return;
    }
    m_plan.warnings.push_back(Diagnostic{
        .file = display_of(from),
        .mark = {ref.line, ref.column},
        .path = "",
        .message = fmt::format("'${{{}}}' is expanded from the install step's environment, "
                               "where no secret or env_vars of the spec sets it",
                               ref.value),
        .hint = fmt::format("add secret_mounts: [{0}] to {1} in {2} (a secret reaches the step "
                            "as a variable), or set {0} with env_vars; unless the base image "
                            "sets it",
                            ref.value, key.substr(0, key.rfind('.')), m_file),
        .severity = Severity::warning});
}

// One reference of a requirements file: an included file resolved against the including one's
// folder (as pip does), in the spec's folder, a regular file; a local path, a warning. Diagnostics
// point at the requirements file's line and column.
std::optional<fs::path> Planner::requirements_ref(const fs::path& from, const RequirementsRef& ref,
                                                  const std::string& key) {
    const std::string file = display_of(from);
    const Mark at{ref.line, ref.column};
    const std::string shown = ref.option.empty() ? ref.value : ref.option + " " + ref.value;
    if (ref.kind == RequirementsRef::Kind::local) {
        const bool direct = ref.option.empty() && util::starts_with(ref.value, "file:");
        m_plan.warnings.push_back(Diagnostic{
            .file = file,
            .mark = at,
            .path = "",
            .message = fmt::format("'{}' is a path on this machine, but the install runs in the "
                                   "image, where only the requirements files are mounted",
                                   shown),
            .hint = direct ? fmt::format("`pip freeze` writes such lines in a conda environment; "
                                         "`pip list --format=freeze` writes versions (for {} in "
                                         "{})",
                                         key, m_file)
                           : fmt::format("it resolves in the image's working folder (for {} in "
                                         "{}); install a project with uv_project or "
                                         "poetry_project, or copy it first with source_folder",
                                         key, m_file),
            .severity = Severity::warning});
        return std::nullopt;
    }
    const std::string hint = fmt::format("included by {} in {}", key, m_file);
    PathCheck c =
        check_path((from.parent_path() / ref.value).lexically_normal(), fs::file_type::regular);
    switch (c.problem) {
    case PathCheck::none:
        return c.canon;
    case PathCheck::outside:
        m_diags.error(file, at, "",
                      fmt::format("'{}' names a file outside the spec's folder", shown),
                      hint + "; the spec's folder is the build context");
        break;
    case PathCheck::missing:
        m_diags.error(file, at, "",
                      fmt::format("'{}': {}", shown, cannot_stat(display_of(c.canon), c.ec)), hint);
        break;
    case PathCheck::wrong_type:
        m_diags.error(file, at, "", fmt::format("'{}' is not a regular file", shown), hint);
        break;
    }
    return std::nullopt;
}

void Planner::plan_kind(LayerWork& w, const spec::UvProjectLayer& l) {
    layer_secrets(w, l.options.secret_mounts, "secret_mounts");
    python_project(w.r, w.dir,
                   {"uv_project", l.pyproject, l.uvlock, "uv.lock", "uvlock",
                    l.mode == spec::InstallMode::install_project});
}

void Planner::plan_kind(LayerWork& w, const spec::PoetryLayer& l) {
    layer_secrets(w, l.secret_mounts, "poetry_project.secret_mounts");
    python_project(w.r, w.dir,
                   {"poetry_project", l.pyproject, l.lock, "poetry.lock", "poetry_lock",
                    l.mode == spec::InstallMode::install_project});
}

void Planner::plan_kind(LayerWork& w, const spec::SourceFolderLayer& l) {
    auto d = resolve(l.src, w.mark, w.path + ".source_folder.src", fs::file_type::directory);
    if (!d) {
        return;
    }
    w.r.files.dir = w.dir;
    w.r.dst = l.dst;
    if (l.dst == "." && !l.copy_contents_only) {
        w.r.dst = "./" + d->filename().string();
    }
    add_tree(*d, w.dir, w.mark, w.path + ".source_folder.src");
}

void Planner::plan_kind(LayerWork& w, const spec::SourceFileLayer& l) {
    w.r.dst = l.dst;
    w.r.files.dir = w.dir;
    add_synthetic_dir(w.dir);
    add_dir_chain(w.dir);
    for (std::size_t i = 0; i < l.src.size(); ++i) {
        const std::string key = fmt::format("{}.source_file.src[{}]", w.path, i);
        if (auto f = resolve(l.src[i], w.mark, key, fs::file_type::regular)) {
            // A file named explicitly is copied with its content, even through a symlink.
            add_file(*f, w.dir + "/" + l.src[i].filename().string(), w.mark, key);
        }
    }
}

void Planner::plan_kind(LayerWork& w, const spec::DockerignoreLayer& /*l*/) {
    // Read before the first layer (run()): the rules apply to every copy.
    if (m_ignore_layers.count(w.index) > 0) {
        w.r.files.dir = w.dir;
    }
}

void Planner::plan_kind(LayerWork& w, const spec::CodeBundleLayer& l) {
    auto root =
        resolve(l.root_dir, w.mark, w.path + ".code_bundle.root_dir", fs::file_type::directory);
    if (!root) {
        return;
    }
    w.r.files.dir = w.dir;
    w.r.dst = l.dst;
    if (l.copy_style == spec::CopyStyle::all) {
        add_tree(*root, w.dir, w.mark, w.path + ".code_bundle");
        return;
    }
    add_synthetic_dir(w.dir);
    add_dir_chain(w.dir);
    try {
        for (const auto& rel : reachable_modules(*root, l.entry)) {
            fs::path f = *root / rel;
            if (m_ignore.excluded(rel_of(f))) {
                continue;
            }
            add_file(f, w.dir + "/" + rel, w.mark, w.path + ".code_bundle");
        }
    } catch (const Error& e) {
        error(w.mark, w.path + ".code_bundle.entry", e.what());
    }
}

void Planner::plan_kind(LayerWork& w, const spec::LocalV2Layer& l) {
    wheels(w, l.dist);
}

void Planner::plan_kind(LayerWork& w, const spec::LocalV2PluginsLayer& l) {
    wheels(w, l.dist);
}

void Planner::wheels(LayerWork& w, const fs::path& dist) {
    const std::string dist_path = w.path + "." + w.r.layer.kind + ".dist";
    auto d = resolve(dist, w.mark, dist_path, fs::file_type::directory);
    if (!d) {
        return;
    }
    w.r.files.dir = w.dir;
    add_synthetic_dir(w.dir);
    add_dir_chain(w.dir);
    std::error_code ec;
    bool any = false;
    for (const auto& de : fs::directory_iterator(*d, ec)) {
        if (de.path().extension() == ".whl" && de.is_regular_file(ec)) {
            add_file(de.path(), w.dir + "/" + de.path().filename().string(), w.mark, dist_path);
            any = true;
        }
    }
    if (!any) {
        error(w.mark, dist_path, fmt::format("no wheels (*.whl) in '{}'", dist.string()),
              "build them first, e.g. `uv build --wheel -o dist`");
    }
}

// Nothing on disk to resolve.
void Planner::plan_kind(LayerWork& /*w*/, const spec::WorkdirLayer& /*l*/) {}

void Planner::plan_kind(LayerWork& /*w*/, const spec::EnvLayer& /*l*/) {}

} // namespace imgspec::plan::detail
