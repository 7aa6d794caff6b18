// The env_vars layer: environment variables of the image.

#include "kind.hpp"

#include <imgspec/spec/names.hpp>

namespace imgspec::spec::detail {

namespace {

using Kind = Node::Kind;

// clang-format off
const SchemaRow rows[] = {
    {"layers[].env_vars", R"({"type": "object", "propertyNames": {"$ref": "#/$defs/env_name"},
                             "additionalProperties": {"anyOf": [
                               {"type": "string", "not": {"pattern": "[\\n\\r\\x00]"}},
                               {"type": "number"}, {"type": "boolean"}]}})",
     "Environment variables of the image (Flyte SDK with_env_vars): NAME: value. $NAME, ${NAME}, "
     "${NAME:-word} and ${NAME:+word} expand as in a Dockerfile (PATH: /opt/bin:$PATH); \\$ is a "
     "dollar. A number keeps its text (0x1F stays 0x1F). A value cannot hold a newline.",
     R"([{"HF_HOME": "/cache/hf", "GREETING": "hello world"}])"},
};
// clang-format on

LayerBody read(const LayerInput& in) {
    Reader& r = in.r;
    EnvLayer l;
    if (in.value.kind != Kind::map) {
        r.type_error(in.value, in.kpath, "a map of NAME: value");
    } else {
        for (std::size_t i = 0; i < in.value.entries.size(); ++i) {
            const auto& [k, v] = in.value.entries[i];
            const std::string vpath = in.kpath + "." + k;
            if (auto msg = check_env_name(k); !msg.empty()) {
                r.error_at(in.value.key_marks[i], vpath, msg);
            }
            std::string val;
            if (v.kind != Kind::string && v.kind != Kind::null && r.text(v, vpath, val)) {
                l.vars.emplace_back(k, val);
            } else if (v.kind == Kind::string) {
                if (v.scalar.find_first_of("\n\r") != std::string::npos) {
                    r.error(v, vpath, "an environment value cannot contain a newline",
                            "a Dockerfile ENV cannot carry one; write the value to a file "
                            "with a source_file layer instead");
                } else if (v.scalar.find('\0') != std::string::npos) {
                    r.error(v, vpath, "an environment value cannot contain a NUL byte");
                } else if (auto msg = check_env_value(v.scalar); !msg.empty()) {
                    r.error(v, vpath, msg, "write \\$ for a literal dollar sign");
                }
                l.vars.emplace_back(k, v.scalar);
            } else if (v.kind == Kind::null) {
                r.type_error(v, vpath, "a string");
            }
        }
    }
    return l;
}

} // namespace

extern const LayerKind env_vars_kind;
const LayerKind env_vars_kind = {
    .key = EnvLayer::key,
    .options = "",
    .map_keys = "",
    .beside = "",
    .rows = rows,
    .read = read,
};

} // namespace imgspec::spec::detail
