// The uv_script base form (from: {uv_script: ...}): a script whose PEP 723 dependencies are
// installed.

#include "kind.hpp"

#include <imgspec/spec/names.hpp>

namespace imgspec::spec::detail {

namespace {

using Kind = Node::Kind;

// clang-format off
const SchemaRow rows[] = {
    {"from.uv_script", R"({"$ref": "#/$defs/context_path"})",
     "A Python script with a PEP 723 header (Flyte SDK from_uv_script): its dependencies are "
     "installed with uv, its requires-python is checked against python_version. A path, or a map "
     "with 'script' and pip options.",
     R"(["train.py", {"script": "scripts/train.py", "index_url": "https://pypi.example.com/simple"}])"},
    {"from.uv_script.script", R"({"$ref": "#/$defs/context_path"})",
     "The script, relative to the spec's folder.",
     R"(["scripts/train.py"])"},
};
// clang-format on

Base read(Reader& r, const Node& v, const std::string& path) {
    UvScriptBase b;
    const Node* script = &v;
    if (v.kind == Kind::map) {
        script = v.find("script");
        if (script == nullptr) {
            r.error(v, path, "missing key 'script'");
        }
        b.options = r.pip_options(v, path);
    }
    if (script != nullptr) {
        r.path_value(*script, v.kind == Kind::map ? path + ".script" : path, b.script);
    }
    return b;
}

} // namespace

extern const BaseForm uv_script_form;
const BaseForm uv_script_form = {
    .key = UvScriptBase::key,
    .map_keys = "script!,@pip",
    .rows = rows,
    .read = read,
};

} // namespace imgspec::spec::detail
