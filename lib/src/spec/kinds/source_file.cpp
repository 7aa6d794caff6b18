// The source_file layer: files copied into one folder of the image.

#include "kind.hpp"

#include <fmt/format.h>

#include <map>

namespace imgspec::spec::detail {

namespace {

using Kind = Node::Kind;

// clang-format off
const SchemaRow rows[] = {
    {"layers[].source_file", R"({"anyOf": [{"$ref": "#/$defs/context_path"},
                                          {"type": "array", "items": {"$ref": "#/$defs/context_path"},
                                           "minItems": 1}]})",
     "Copy files into one folder of the image (Flyte SDK with_source_file). A path, a list, or a "
     "map {src, dst}. Two files with the same base name are an error.",
     R"([{"src": ["run.sh", "config/app.yaml"], "dst": "/app"}, "run.sh"])"},
    {"layers[].source_file.src", R"({"anyOf": [{"$ref": "#/$defs/context_path"},
                                              {"type": "array", "items": {"$ref": "#/$defs/context_path"},
                                               "minItems": 1}]})",
     "The file or files, relative to the spec's folder.",
     R"([["run.sh", "config/app.yaml"]])"},
};
// clang-format on

LayerBody read(const LayerInput& in) {
    Reader& r = in.r;
    SourceFileLayer l;
    if (const Node* f = in.main_value("src")) {
        std::vector<std::string> srcs;
        if (r.strings(*f, in.main_path("src"), srcs)) {
            std::map<std::string, std::size_t> seen;
            for (std::size_t i = 0; i < srcs.size(); ++i) {
                std::filesystem::path p = srcs[i];
                const Node& item = f->kind == Kind::list ? f->items[i] : *f;
                std::string ipath = f->kind == Kind::list
                                        ? fmt::format("{}[{}]", in.main_path("src"), i)
                                        : in.main_path("src");
                if (srcs[i].empty()) {
                    r.error(item, ipath, "a path must not be empty");
                    continue;
                }
                auto base = p.filename().string();
                if (auto [it, fresh] = seen.emplace(base, i); !fresh) {
                    r.error(item, ipath,
                            fmt::format("duplicate file name '{}' (also at index {})", base,
                                        it->second),
                            "files are copied into one folder; use two source_file layers with "
                            "different dst");
                }
                l.src.push_back(p);
            }
            if (srcs.empty()) {
                r.error(*f, in.main_path("src"), "no files listed");
            }
        }
    }
    if (const Node* d = in.opts.find("dst")) {
        r.destination(*d, in.kpath + ".dst", l.dst);
    }
    return l;
}

} // namespace

extern const LayerKind source_file_kind;
const LayerKind source_file_kind = {
    .key = SourceFileLayer::key,
    .options = "src,dst",
    .map_keys = "src!,dst",
    .beside = "dst",
    .rows = rows,
    .read = read,
};

} // namespace imgspec::spec::detail
