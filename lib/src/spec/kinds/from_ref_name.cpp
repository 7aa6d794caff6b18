// The ref_name base form (from: {ref_name: ...}): a name that --ref or the config resolves to an
// image.

#include "kind.hpp"

namespace imgspec::spec::detail {

namespace {
// clang-format off
const SchemaRow rows[] = {
    {"from.ref_name", R"({"type": "string", "minLength": 1})",
     "A name resolved to an image by --ref NAME=URI or the config's 'refs' (Flyte SDK "
     "from_ref_name).",
     R"(["gpu"])"},
};
// clang-format on

Base read(Reader& r, const Node& v, const std::string& path) {
    RefNameBase b;
    r.string(v, path, b.name);
    return b;
}

} // namespace

extern const BaseForm ref_name_form;
const BaseForm ref_name_form = {
    .key = RefNameBase::key,
    .map_keys = "",
    .rows = rows,
    .read = read,
};

} // namespace imgspec::spec::detail
