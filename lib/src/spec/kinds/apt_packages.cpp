// The apt_packages layer: Debian packages installed with apt-get.

#include "kind.hpp"

#include <imgspec/spec/names.hpp>

#include <fmt/format.h>

namespace imgspec::spec::detail {

namespace {

using Kind = Node::Kind;

// clang-format off
const SchemaRow rows[] = {
    {"layers[].apt_packages", R"({"anyOf": [{"$ref": "#/$defs/apt_package"},
                                           {"type": "array", "items": {"$ref": "#/$defs/apt_package"},
                                            "minItems": 1}]})",
     "Debian packages to install with apt-get (Flyte SDK with_apt_packages): name[:arch][=version] "
     "or name/release. Option: secret_mounts.",
     R"([["git", "curl"], "build-essential"])"},
};
// clang-format on

LayerBody read(const LayerInput& in) {
    Reader& r = in.r;
    AptLayer l;
    if (r.strings(in.value, in.kpath, l.packages)) {
        for (std::size_t i = 0; i < l.packages.size(); ++i) {
            if (auto msg = check_apt_package(l.packages[i]); !msg.empty()) {
                r.error(in.value.kind == Kind::list ? in.value.items[i] : in.value,
                        fmt::format("{}[{}]", in.kpath, i), invalid(l.packages[i], msg));
            }
        }
        if (l.packages.empty()) {
            r.error(in.value, in.kpath, "no packages listed");
        }
    }
    if (const Node* s = in.opts.find("secret_mounts")) {
        l.secret_mounts = r.secret_mounts(*s, in.path + ".secret_mounts");
    }
    return l;
}

} // namespace

extern const LayerKind apt_packages_kind;
const LayerKind apt_packages_kind = {
    .key = AptLayer::key,
    .options = "secret_mounts",
    .map_keys = "",
    .beside = "secret_mounts",
    .rows = rows,
    .read = read,
};

} // namespace imgspec::spec::detail
