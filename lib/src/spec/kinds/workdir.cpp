// The workdir layer: the working directory.

#include "kind.hpp"

namespace imgspec::spec::detail {

namespace {
// clang-format off
const SchemaRow rows[] = {
    {"layers[].workdir", R"({"$ref": "#/$defs/destination"})",
     "Set the working directory (Flyte SDK with_workdir): a path inside the image.",
     R"(["/app"])"},
};
// clang-format on

LayerBody read(const LayerInput& in) {
    Reader& r = in.r;
    WorkdirLayer l;
    r.image_path(in.value, in.kpath, l.path, "a workdir");
    return l;
}

} // namespace

extern const LayerKind workdir_kind;
const LayerKind workdir_kind = {
    .key = WorkdirLayer::key,
    .options = "",
    .map_keys = "",
    .beside = "",
    .rows = rows,
    .read = read,
};

} // namespace imgspec::spec::detail
