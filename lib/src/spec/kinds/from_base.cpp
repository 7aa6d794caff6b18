// The base base form (from: {base: ...}): an image reference to build on.

#include "kind.hpp"

#include <imgspec/spec/names.hpp>

namespace imgspec::spec::detail {

namespace {
// clang-format off
const SchemaRow rows[] = {
    {"from.base", R"({"$ref": "#/$defs/image_ref"})",
     "An image reference to build on (Flyte SDK from_base): [registry/]name[:tag][@sha256:...].",
     R"(["python:3.12-slim-bookworm", "registry.example.com/team/base:1.4"])"},
};
// clang-format on

Base read(Reader& r, const Node& v, const std::string& path) {
    ImageBase b;
    if (r.string(v, path, b.uri)) {
        if (auto msg = check_image_ref(b.uri); !msg.empty()) {
            r.error(v, path, invalid(b.uri, msg),
                    "e.g. python:3.12-slim-bookworm or registry.example.com/team/img:tag");
        }
    }
    return b;
}

} // namespace

extern const BaseForm base_form;
const BaseForm base_form = {
    .key = ImageBase::key,
    .map_keys = "",
    .rows = rows,
    .read = read,
};

} // namespace imgspec::spec::detail
