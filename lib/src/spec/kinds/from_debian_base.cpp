// The debian_base base form (from: {debian_base: ...}): Flyte's Debian base image with flyte
// installed.

#include "kind.hpp"

#include <imgspec/spec/names.hpp>

namespace imgspec::spec::detail {

namespace {

using Kind = Node::Kind;

// clang-format off
const SchemaRow rows[] = {
    {"from.debian_base", R"({"anyOf": [{"type": "null"}, {"const": true}]})",
     "Flyte's Debian base image (Flyte SDK from_debian_base): python:{python_version}-slim-bookworm "
     "(the config's debian_base_image) with flyte installed. Default platforms: linux/amd64 and "
     "linux/arm64.",
     R"([{"flyte_version": "2.0.1"}, {"python_version": "3.11", "install_flyte": false}])"},
    {"from.debian_base.python_version", R"({"$ref": "#/$defs/python_version"})",
     "Python version of the base image, \"M.m\" as a quoted string. Default: the spec's "
     "python_version, else \"3.12\".",
     R"(["3.12"])"},
    {"from.debian_base.flyte_version", R"({"type": "string", "pattern": "^[A-Za-z0-9.*+!_-]+$"})",
     "The flyte version to install, e.g. \"2.0.1\". Default: 2.0.1 (pinned, so the image and its tag do not drift).",
     R"(["2.0.1"])"},
    {"from.debian_base.install_flyte", R"({"type": "boolean"})",
     "Install flyte into the base image. Default true.",
     R"([false])"},
};
// clang-format on

Base read(Reader& r, const Node& v, const std::string& path) {
    DebianBase b;
    if (v.kind == Kind::map) {
        if (const Node* p = v.find("python_version")) {
            if (r.string(*p, path + ".python_version", b.python_version)) {
                if (auto msg = check_python_version(b.python_version); !msg.empty()) {
                    r.error(*p, path + ".python_version", invalid(b.python_version, msg));
                }
            }
        }
        if (const Node* f = v.find("flyte_version")) {
            if (r.string(*f, path + ".flyte_version", b.flyte_version) &&
                !check_pip_requirement("flyte==" + b.flyte_version).empty()) {
                r.error(*f, path + ".flyte_version", "not a valid version", "e.g. \"2.0.1\"");
            }
        }
        if (const Node* i = v.find("install_flyte")) {
            r.boolean(*i, path + ".install_flyte", b.install_flyte);
        }
    } else if (v.kind != Kind::null && !(v.kind == Kind::boolean && v.scalar == "true")) {
        r.type_error(v, path, "a map {python_version, flyte_version, install_flyte}");
    }
    return b;
}

} // namespace

extern const BaseForm debian_base_form;
const BaseForm debian_base_form = {
    .key = DebianBase::key,
    .map_keys = "python_version,flyte_version,install_flyte",
    .rows = rows,
    .read = read,
};

} // namespace imgspec::spec::detail
