// The local_v2_plugins layer: Flyte plugins installed from local wheels.

#include "kind.hpp"

#include <imgspec/spec/names.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>

namespace imgspec::spec::detail {

namespace {

using Kind = Node::Kind;

// clang-format off
const SchemaRow rows[] = {
    {"layers[].local_v2_plugins", R"({"anyOf": [{"$ref": "#/$defs/plugin"},
                                               {"type": "array", "items": {"$ref": "#/$defs/plugin"}}]})",
     "Flyte plugins from local wheels (Flyte SDK with_local_v2_plugins); names start with "
     "flyteplugins-. A name, a list, or a map {plugins, dist}.",
     R"([["flyteplugins-ray"]])"},
    {"layers[].local_v2_plugins.plugins", R"({"anyOf": [{"$ref": "#/$defs/plugin"},
                                                       {"type": "array", "items": {"$ref": "#/$defs/plugin"}}]})",
     "The plugin names.",
     R"([["flyteplugins-ray"]])"},
};
// clang-format on

LayerBody read(const LayerInput& in) {
    Reader& r = in.r;
    LocalV2PluginsLayer l;
    if (const Node* p = in.main_value("plugins");
        p && r.strings(*p, in.main_path("plugins"), l.plugins)) {
        for (std::size_t i = 0; i < l.plugins.size(); ++i) {
            const Node& item = p->kind == Kind::list ? p->items[i] : *p;
            if (!util::starts_with(l.plugins[i], "flyteplugins-") ||
                !check_pip_requirement(l.plugins[i]).empty()) {
                r.error(item, fmt::format("{}[{}]", in.main_path("plugins"), i),
                        fmt::format("'{}' is not a plugin name", l.plugins[i]),
                        "plugin names start with 'flyteplugins-', e.g. flyteplugins-ray");
            }
        }
    }
    if (const Node* d = in.opts.find("dist")) {
        r.path_value(*d, in.kpath + ".dist", l.dist);
    }
    return l;
}

} // namespace

extern const LayerKind local_v2_plugins_kind;
const LayerKind local_v2_plugins_kind = {
    .key = LocalV2PluginsLayer::key,
    .options = "dist,plugins",
    .map_keys = "plugins!,dist",
    .beside = "dist",
    .rows = rows,
    .read = read,
};

} // namespace imgspec::spec::detail
