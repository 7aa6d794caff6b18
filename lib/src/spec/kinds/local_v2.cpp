// The local_v2 layer: flyte installed from local wheels.

#include "kind.hpp"

namespace imgspec::spec::detail {

namespace {

using Kind = Node::Kind;

// clang-format off
const SchemaRow rows[] = {
    {"layers[].local_v2", R"({"anyOf": [{"type": "null"}, {"const": true}, {"$ref": "#/$defs/context_path"}]})",
     "Install flyte from local wheels (Flyte SDK with_local_v2): true, the dist folder, or a map "
     "{dist}.",
     R"([{"dist": "dist"}, true])"},
};
// clang-format on

LayerBody read(const LayerInput& in) {
    Reader& r = in.r;
    LocalV2Layer l;
    if (in.value.kind == Kind::string) {
        r.path_value(in.value, in.kpath, l.dist);
    } else if (!(in.map_value || in.value.kind == Kind::null ||
                 (in.value.kind == Kind::boolean && in.value.scalar == "true"))) {
        r.type_error(in.value, in.kpath, "true, a dist folder or a map {dist}");
    }
    if (const Node* d = in.opts.find("dist")) {
        r.path_value(*d, in.kpath + ".dist", l.dist);
    }
    if (in.opts.find("plugins") != nullptr) {
        r.error(*in.opts.find("plugins"), in.kpath + ".plugins",
                "plugins belong to local_v2_plugins");
    }
    return l;
}

} // namespace

extern const LayerKind local_v2_kind;
const LayerKind local_v2_kind = {
    .key = LocalV2Layer::key,
    .options = "dist,plugins",
    .map_keys = "dist",
    .beside = "dist",
    .rows = rows,
    .read = read,
};

} // namespace imgspec::spec::detail
