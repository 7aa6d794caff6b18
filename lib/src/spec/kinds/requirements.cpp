// The requirements layer: a requirements file.

#include "kind.hpp"

namespace imgspec::spec::detail {

namespace {
// clang-format off
const SchemaRow rows[] = {
    {"layers[].requirements", R"({"$ref": "#/$defs/requirements_file"})",
     "A requirements file (.txt), bind-mounted into its install step with the files it "
     "includes (-r) and constrains with (-c) (Flyte SDK with_requirements). A path, or a map "
     "with 'file' and pip options.",
     R"(["requirements.txt", {"file": "requirements.txt", "pre": true}])"},
    {"layers[].requirements.file", R"({"$ref": "#/$defs/requirements_file"})",
     "The requirements file (.txt), relative to the spec's folder.",
     R"(["requirements.txt"])"},
};
// clang-format on

LayerBody read(const LayerInput& in) {
    Reader& r = in.r;
    RequirementsLayer l;
    if (const Node* f = in.main_value("file");
        f && r.path_value(*f, in.main_path("file"), l.file)) {
        if (l.file.extension() != ".txt") {
            r.error(*f, in.main_path("file"), "a requirements file must be a .txt file",
                    "for pyproject.toml use uv_project or poetry_project");
        }
    }
    l.options = r.pip_options(in.opts, in.path);
    return l;
}

} // namespace

extern const LayerKind requirements_kind;
const LayerKind requirements_kind = {
    .key = RequirementsLayer::key,
    .options = "file,@pip",
    .map_keys = "file!,@pip",
    .beside = "@pip",
    .rows = rows,
    .read = read,
};

} // namespace imgspec::spec::detail
