// The code_bundle layer: Python code copied by its imports, or all of it.

#include "kind.hpp"

#include <fmt/format.h>

namespace imgspec::spec::detail {

namespace {
// clang-format off
const SchemaRow rows[] = {
    {"layers[].code_bundle", "",
     "Copy Python code (Flyte SDK with_code_bundle): with copy_style loaded_modules (the default) "
     "the modules reachable by imports from 'entry', with all every file under root_dir.",
     R"([{"copy_style": "loaded_modules", "root_dir": "src", "entry": ["main.py"], "dst": "/app"},
         {"copy_style": "all", "root_dir": ".", "dst": "/app"}])"},
    {"layers[].code_bundle.copy_style", R"({"enum": ["loaded_modules", "all"]})",
     "loaded_modules: only the modules that 'entry' imports (a static scan, relative imports "
     "included; 'entry' is then required); all: every file under root_dir.",
     R"(["loaded_modules", "all"])"},
    {"layers[].code_bundle.root_dir", R"({"$ref": "#/$defs/context_path"})",
     "The folder the code is taken from, relative to the spec's folder. Default \".\".",
     R"(["src"])"},
    {"layers[].code_bundle.entry", R"({"anyOf": [{"$ref": "#/$defs/context_path"},
                                                {"type": "array", "items": {"$ref": "#/$defs/context_path"}}]})",
     "The files whose imports are followed (relative to root_dir); required with loaded_modules.",
     R"([["main.py"]])"},
};
// clang-format on

LayerBody read(const LayerInput& in) {
    Reader& r = in.r;
    CodeBundleLayer l;
    if (!in.map_value) {
        r.type_error(in.value, in.kpath, "a map {copy_style, dst, root_dir, entry}");
    }
    if (const Node* c = in.opts.find("copy_style")) {
        std::string s;
        if (r.string(*c, in.kpath + ".copy_style", s)) {
            if (s == "all") {
                l.copy_style = CopyStyle::all;
            } else if (s == "loaded_modules") {
                l.copy_style = CopyStyle::loaded_modules;
            } else {
                r.error(*c, in.kpath + ".copy_style", fmt::format("unknown copy style '{}'", s),
                        "use loaded_modules or all");
            }
        }
    }
    if (const Node* d = in.opts.find("dst")) {
        r.destination(*d, in.kpath + ".dst", l.dst);
    }
    if (const Node* root = in.opts.find("root_dir")) {
        r.path_value(*root, in.kpath + ".root_dir", l.root_dir);
    }
    if (const Node* e = in.opts.find("entry")) {
        r.strings(*e, in.kpath + ".entry", l.entry);
    }
    if (in.map_value && l.copy_style == CopyStyle::loaded_modules && l.entry.empty()) {
        r.error(in.value, in.kpath,
                "copy_style loaded_modules needs 'entry': the files to scan for imports");
    }
    return l;
}

} // namespace

extern const LayerKind code_bundle_kind;
const LayerKind code_bundle_kind = {
    .key = CodeBundleLayer::key,
    .options = "copy_style,dst,root_dir,entry",
    .map_keys = "copy_style,dst,root_dir,entry",
    .beside = "copy_style,dst,root_dir,entry",
    .rows = rows,
    .read = read,
};

} // namespace imgspec::spec::detail
