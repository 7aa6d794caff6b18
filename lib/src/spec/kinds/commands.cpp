// The commands layer: shell commands, one RUN step.

#include "kind.hpp"

#include <fmt/format.h>

namespace imgspec::spec::detail {

namespace {

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
    CommandsLayer l;
    l.commands = in.string_list("no commands listed", [](const std::string& c) {
        return c.find_first_not_of(" \t\n") == std::string::npos ? std::string("an empty command")
                                                                 : std::string();
    });
    l.secret_mounts = in.secret_mounts_option();
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
