// The pip_packages layer: Python packages as PEP 508 requirements.

#include "kind.hpp"

#include <imgspec/spec/names.hpp>

#include <fmt/format.h>

namespace imgspec::spec::detail {

namespace {

using Kind = Node::Kind;

// clang-format off
const SchemaRow rows[] = {
    {"layers[].pip_packages", R"({"anyOf": [{"$ref": "#/$defs/requirement"},
                                           {"type": "array", "items": {"$ref": "#/$defs/requirement"},
                                            "minItems": 1}]})",
     "Python packages as PEP 508 requirements (Flyte SDK with_pip_packages). Options: pip options "
     "beside the kind key.",
     R"([["numpy==2.1", "pandas>=2"], "torch @ https://download.example.com/torch.whl"])"},
};
// clang-format on

LayerBody read(const LayerInput& in) {
    Reader& r = in.r;
    PipLayer l;
    l.options = r.pip_options(in.opts, in.path);
    if (r.strings(in.value, in.kpath, l.packages)) {
        for (std::size_t i = 0; i < l.packages.size(); ++i) {
            const Node& item = in.value.kind == Kind::list ? in.value.items[i] : in.value;
            // `$TOKEN` of a secret of this step may stand in a URL (git+https://$TOKEN@...).
            std::string checked = l.packages[i];
            if (auto plain = replace_variable_refs(checked, "x"); plain && *plain != checked) {
                checked = *plain;
                r.secret_refs(item, fmt::format("{}[{}]", in.kpath, i), l.packages[i],
                              l.options.secret_mounts);
            }
            if (auto msg = check_pip_requirement(checked); !msg.empty()) {
                r.error(item, fmt::format("{}[{}]", in.kpath, i), invalid(l.packages[i], msg));
            }
        }
        if (l.packages.empty()) {
            r.error(in.value, in.kpath, "no packages listed");
        }
    }
    return l;
}

} // namespace

extern const LayerKind pip_packages_kind;
const LayerKind pip_packages_kind = {
    .key = PipLayer::key,
    .options = "file,@pip",
    .map_keys = "",
    .beside = "@pip",
    .rows = rows,
    .read = read,
};

} // namespace imgspec::spec::detail
