// The spec base form (from: {spec: ...}): another spec whose image is the base.

#include "kind.hpp"

namespace imgspec::spec::detail {

namespace {
// clang-format off
const SchemaRow rows[] = {
    {"from.spec", R"({"$ref": "#/$defs/path"})",
     "Another spec whose image is the base (Flyte SDK clone); it must say extendable: true. "
     "`imgspec build` builds it first.",
     R"(["../base/image.yaml", "trainer.yaml"])"},
};
// clang-format on

Base read(Reader& r, const Node& v, const std::string& path) {
    SpecBase b;
    r.path_value(v, path, b.file);
    return b;
}

} // namespace

extern const BaseForm spec_form;
const BaseForm spec_form = {
    .key = SpecBase::key,
    .map_keys = "",
    .rows = rows,
    .read = read,
};

} // namespace imgspec::spec::detail
