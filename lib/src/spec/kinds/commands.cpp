// The commands layer: shell commands, one RUN step.

#include "kind.hpp"

#include <fmt/format.h>

namespace imgspec::spec::detail {

namespace {

using Kind = Node::Kind;

// clang-format off
const SchemaRow rows[] = {
    {"layers[].commands", R"({"anyOf": [{"$ref": "#/$defs/command"},
                                       {"type": "array", "items": {"$ref": "#/$defs/command"},
                                        "minItems": 1}]})",
     "Shell commands, one RUN step (Flyte SDK with_commands). Option: secret_mounts.",
     R"([["python -m compileall /app"], "echo ready"])"},
};
// clang-format on

LayerBody read(const LayerInput& in) {
    Reader& r = in.r;
    CommandsLayer l;
    if (r.strings(in.value, in.kpath, l.commands)) {
        for (std::size_t i = 0; i < l.commands.size(); ++i) {
            if (l.commands[i].find_first_not_of(" \t\n") == std::string::npos) {
                r.error(in.value.kind == Kind::list ? in.value.items[i] : in.value,
                        fmt::format("{}[{}]", in.kpath, i), "an empty command");
            }
        }
        if (l.commands.empty()) {
            r.error(in.value, in.kpath, "no commands listed");
        }
    }
    if (const Node* s = in.opts.find("secret_mounts")) {
        l.secret_mounts = r.secret_mounts(*s, in.path + ".secret_mounts");
    }
    return l;
}

} // namespace

extern const LayerKind commands_kind;
const LayerKind commands_kind = {
    .key = CommandsLayer::key,
    .options = "secret_mounts",
    .map_keys = "",
    .beside = "secret_mounts",
    .rows = rows,
    .read = read,
};

} // namespace imgspec::spec::detail
