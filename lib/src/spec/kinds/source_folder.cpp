// The source_folder layer: a folder copied into the image.

#include "kind.hpp"

namespace imgspec::spec::detail {

namespace {
// clang-format off
const SchemaRow rows[] = {
    {"layers[].source_folder", R"({"$ref": "#/$defs/context_path"})",
     "Copy a folder into the image (Flyte SDK with_source_folder), after the ignore rules. A "
     "path, or a map {src, dst, copy_contents_only}. With dst \".\" and copy_contents_only false it "
     "lands in ./<folder name>.",
     R"([{"src": "src", "dst": "/app/src"}, "src"])"},
    {"layers[].source_folder.src", R"({"$ref": "#/$defs/context_path"})",
     "The folder, relative to the spec's folder.",
     R"(["src"])"},
    {"layers[].source_folder.copy_contents_only", R"({"type": "boolean"})",
     "Copy the folder's contents into dst instead of the folder itself. Default false.",
     R"([true])"},
};
// clang-format on

LayerBody read(const LayerInput& in) {
    Reader& r = in.r;
    SourceFolderLayer l;
    if (const Node* f = in.main_value("src")) {
        r.path_value(*f, in.main_path("src"), l.src);
    }
    if (const Node* d = in.opts.find("dst")) {
        r.destination(*d, in.kpath + ".dst", l.dst);
    }
    if (const Node* c = in.opts.find("copy_contents_only")) {
        r.boolean(*c, in.kpath + ".copy_contents_only", l.copy_contents_only);
    }
    return l;
}

} // namespace

extern const LayerKind source_folder_kind;
const LayerKind source_folder_kind = {
    .key = SourceFolderLayer::key,
    .options = "src,dst,copy_contents_only",
    .map_keys = "src!,dst,copy_contents_only",
    .beside = "dst,copy_contents_only",
    .rows = rows,
    .read = read,
};

} // namespace imgspec::spec::detail
