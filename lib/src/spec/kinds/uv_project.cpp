// The uv_project layer: a uv project (pyproject.toml and uv.lock).

#include "kind.hpp"

namespace imgspec::spec::detail {

namespace {
// clang-format off
const SchemaRow rows[] = {
    {"layers[].uv_project", R"({"$ref": "#/$defs/context_path"})",
     "A uv project: dependencies from pyproject.toml and uv.lock (Flyte SDK with_uv_project). A "
     "path to pyproject.toml, or a map {pyproject, uvlock, project_install_mode} plus pip options.",
     R"([{"pyproject": "pyproject.toml", "project_install_mode": "install_project"}, "pyproject.toml"])"},
    {"layers[].uv_project.pyproject", R"({"$ref": "#/$defs/context_path"})",
     "The project's pyproject.toml.",
     R"(["pyproject.toml", "project/pyproject.toml"])"},
    {"layers[].uv_project.uvlock", R"({"$ref": "#/$defs/context_path"})",
     "The lock file. Default: uv.lock beside the pyproject.",
     R"(["uv.lock"])"},
};
// clang-format on

LayerBody read(const LayerInput& in) {
    Reader& r = in.r;
    UvProjectLayer l;
    if (const Node* f = in.main_value("pyproject")) {
        r.path_value(*f, in.main_path("pyproject"), l.pyproject);
    }
    if (const Node* f = in.opts.find("uvlock")) {
        r.path_value(*f, in.kpath + ".uvlock", l.uvlock);
    }
    l.mode = r.install_mode(in.opts, in.kpath);
    l.options = r.pip_options(in.opts, in.path);
    return l;
}

} // namespace

extern const LayerKind uv_project_kind;
const LayerKind uv_project_kind = {
    .key = UvProjectLayer::key,
    .options = "pyproject,uvlock,project_install_mode,@pip",
    .map_keys = "pyproject!,uvlock,project_install_mode,@pip",
    .beside = "uvlock,project_install_mode,@pip",
    .rows = rows,
    .read = read,
};

} // namespace imgspec::spec::detail
