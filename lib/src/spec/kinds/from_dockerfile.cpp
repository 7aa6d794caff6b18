// The dockerfile base form (from: {dockerfile: ...}): a Dockerfile built as it is.

#include "kind.hpp"

namespace imgspec::spec::detail {

namespace {
// clang-format off
const SchemaRow rows[] = {
    {"from.dockerfile", R"({"$ref": "#/$defs/context_path"})",
     "A Dockerfile to build as it is (Flyte SDK from_dockerfile); its folder is the build context. "
     "No layers are allowed with it.",
     R"(["docker/Dockerfile"])"},
};
// clang-format on

Base read(Reader& r, const Node& v, const std::string& path) {
    DockerfileBase b;
    r.path_value(v, path, b.file);
    return b;
}

} // namespace

extern const BaseForm dockerfile_form;
const BaseForm dockerfile_form = {
    .key = DockerfileBase::key,
    .map_keys = "",
    .rows = rows,
    .read = read,
};

} // namespace imgspec::spec::detail
