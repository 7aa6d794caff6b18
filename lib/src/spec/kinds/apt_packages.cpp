// The apt_packages layer: Debian packages installed with apt-get.

#include "kind.hpp"

#include <imgspec/spec/names.hpp>

#include <fmt/format.h>

namespace imgspec::spec::detail {

namespace {

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
    AptLayer l;
    l.packages = in.string_list("no packages listed", [](const std::string& p) {
        std::string msg = check_apt_package(p);
        return msg.empty() ? msg : invalid(p, msg);
    });
    l.secret_mounts = in.secret_mounts_option();
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
