// The planner's Python projects: uv and Poetry projects (pyproject, lock, workspace members, path
// sources) and a uv_script base's PEP 723 header.

#include "planner.hpp"

#include <imgspec/spec/names.hpp>
#include <imgspec/spec/pep723.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace imgspec::plan::detail {

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
    if (uv) {
        if (auto root = uv_workspace_root(project, m_root)) {
            // uv installs a member from its workspace's root, with the workspace's one uv.lock;
            // the member's pyproject alone fails `uv sync --locked`.
            const std::string name = project_name(read_text(*pyproject));
            const std::string root_pyproject = rel_of(*root / "pyproject.toml");
            error(mark, key + ".pyproject",
                  fmt::format("'{}' is a member of the uv workspace of '{}', which uv installs "
                              "from the workspace's root with its uv.lock",
                              in.pyproject.string(), root_pyproject),
                  fmt::format("use uv_project: {{pyproject: {}, extra_args: \"--package {}\"}}",
                              root_pyproject, name.empty() ? "NAME" : name));
            return;
        }
    }
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
    python_version_check(sources, mark, key + ".pyproject");
    bool install_project = in.install_project;
    if (install_project && !sources.package) {
        // `poetry build` refuses such a project: its dependencies are all there is to install.
        warn(mark, key,
             "the project has package-mode = false, so Poetry does not build or install it: "
             "install_project installs its dependencies only",
             "set project_install_mode: dependencies_only, and copy the source with "
             "source_folder or code_bundle");
        install_project = false;
        std::get<spec::PoetryLayer>(r.layer.body).mode = spec::InstallMode::dependencies_only;
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
    if (install_project) {
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

// A project whose requires-python excludes the image's Python fails in the build (uv: "incompatible
// with the project's Python requirement", pip: "requires a different Python"): said at validate,
// when imgspec knows the image's Python (python_version given, a debian_base or uv_script base;
// an image from `base:` may have any Python).
void Planner::python_version_check(const LocalSources& sources, Mark mark, const std::string& key) {
    bool known = m_plan.python_version_given || m_plan.debian_base ||
                 std::holds_alternative<spec::UvScriptBase>(m_spec.base);
    if (sources.requires_python.empty() || !known) {
        return;
    }
    try {
        if (!spec::python_satisfies(m_plan.python_version, sources.requires_python)) {
            error(mark, key,
                  fmt::format("the project requires Python {} but the image has {}",
                              sources.requires_python, m_plan.python_version),
                  "set python_version to a version the project accepts");
        }
    } catch (const Error&) {
        // not a specifier imgspec reads: the installer reports it in the build
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
        spec::Layer l{pip, std::string(spec::PipLayer::key), "from.uv_script", m_spec.base_mark};
        m_layers.insert(m_layers.begin(), std::move(l));
    }
}

} // namespace imgspec::plan::detail
