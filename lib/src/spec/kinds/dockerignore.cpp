// The dockerignore layer: ignore rules for every copy and the tag.

#include "kind.hpp"

namespace imgspec::spec::detail {

namespace {
// clang-format off
const SchemaRow rows[] = {
    {"layers[].dockerignore", R"({"$ref": "#/$defs/context_path"})",
     "An ignore file (Docker's .dockerignore rules) for every later copy and for the tag (Flyte "
     "SDK with_dockerignore). Without one, a .dockerignore in the spec's folder applies.",
     R"([".dockerignore.prod", {"file": ".dockerignore"}])"},
    {"layers[].dockerignore.file", R"({"$ref": "#/$defs/context_path"})",
     "The ignore file, relative to the spec's folder.",
     R"([".dockerignore"])"},
};
// clang-format on

LayerBody read(const LayerInput& in) {
    Reader& r = in.r;
    DockerignoreLayer l;
    if (const Node* f = in.main_value("file")) {
        r.path_value(*f, in.main_path("file"), l.file);
    }
    return l;
}

} // namespace

extern const LayerKind dockerignore_kind;
const LayerKind dockerignore_kind = {
    .key = DockerignoreLayer::key,
    .options = "file",
    .map_keys = "file!",
    .beside = "",
    .rows = rows,
    .read = read,
};

} // namespace imgspec::spec::detail
