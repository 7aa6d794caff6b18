// The poetry_project layer: a Poetry project.

#include "kind.hpp"

namespace imgspec::spec::detail {

namespace {
// clang-format off
const SchemaRow rows[] = {
    {"layers[].poetry_project", R"({"$ref": "#/$defs/context_path"})",
     "A Poetry project (Flyte SDK with_poetry_project). A path to pyproject.toml, or a map "
     "{pyproject, poetry_lock, extra_args, project_install_mode, secret_mounts}.",
     R"([{"pyproject": "pyproject.toml", "extra_args": "--without dev"}])"},
    {"layers[].poetry_project.pyproject", R"({"$ref": "#/$defs/context_path"})",
     "The project's pyproject.toml.",
     R"(["pyproject.toml"])"},
    {"layers[].poetry_project.poetry_lock", R"({"$ref": "#/$defs/context_path"})",
     "The lock file. Default: poetry.lock beside the pyproject.",
     R"(["poetry.lock"])"},
    {"layers[].poetry_project.extra_args", R"({"type": "string"})",
     "Extra arguments for poetry install, split like a shell would (without expansion).",
     R"(["--without dev"])"},
};
// clang-format on

LayerBody read(const LayerInput& in) {
    Reader& r = in.r;
    PoetryLayer l;
    if (const Node* f = in.main_value("pyproject")) {
        r.path_value(*f, in.main_path("pyproject"), l.pyproject);
    }
    if (const Node* f = in.opts.find("poetry_lock")) {
        r.path_value(*f, in.kpath + ".poetry_lock", l.lock);
    }
    if (const Node* f = in.opts.find("extra_args")) {
        r.extra_args(*f, in.kpath + ".extra_args", l.extra_args);
    }
    if (const Node* s = in.opts.find("secret_mounts")) {
        l.secret_mounts = r.secret_mounts(*s, in.kpath + ".secret_mounts");
    }
    l.mode = r.install_mode(in.opts, in.kpath);
    return l;
}

} // namespace

extern const LayerKind poetry_project_kind;
const LayerKind poetry_project_kind = {
    .key = PoetryLayer::key,
    .options = "pyproject,poetry_lock,extra_args,project_install_mode,secret_mounts",
    .map_keys = "pyproject!,poetry_lock,extra_args,project_install_mode,secret_mounts",
    .beside = "poetry_lock,extra_args,project_install_mode,secret_mounts",
    .rows = rows,
    .read = read,
};

} // namespace imgspec::spec::detail
