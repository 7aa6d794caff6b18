// The planner's layers: what each layer kind takes from the disk (its files, under
// layers/<index> in the context) and the secrets it mounts. One function per kind; a kind
// without one fails to compile (Planner::plan_kind's template).

#include "planner.hpp"

#include <imgspec/plan/python_imports.hpp>

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

void Planner::plan_kind(LayerWork& w, const spec::RequirementsLayer& l) {
    layer_secrets(w, l.options.secret_mounts, "secret_mounts");
    const std::string key = w.path + ".requirements";
    if (auto f = resolve(l.file, w.mark, key, fs::file_type::regular)) {
        const std::string as_name = l.file.filename().string();
        w.r.files.dir = w.dir;
        w.r.files.names.push_back(as_name);
        add_file(*f, w.dir + "/" + as_name, w.mark, key);
    }
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
