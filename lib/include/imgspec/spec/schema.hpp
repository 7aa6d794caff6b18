#pragma once
// The JSON Schema of a spec file (draft 2020-12), for editors (yaml-language-server, Even Better
// TOML, VS Code) and for tools that check specs without imgspec. It describes the same tree as
// read_spec (spec/read_spec.cpp) and documents every key with a description and examples; the
// checks that need the disk, the config or other specs (files exist, paths stay inside the spec's
// folder, parents, ref names, secrets defined) stay imgspec's own (`imgspec validate`).

#include <string>
#include <vector>

namespace imgspec::spec {

// One documented key, as the schema, `imgspec schema` and the man page describe it.
struct KeyDoc {
    std::string path;        // "name", "from.debian_base.python_version", "layers[].pip_packages"
    std::string description; // one paragraph
    std::string examples;    // the examples as a JSON array, e.g. ["trainer", "ml/eval"]
};

// The schema as JSON text: 2-space indented, keys in a fixed order, ending with a newline. The
// same bytes on every run and machine (packaging/imgspec.schema.json is a copy). Pure; does not
// throw unless memory runs out.
std::string json_schema();

// Every key of the schema's table, in table order (top-level keys, base forms, layer kinds, their
// options, secrets). Pure.
const std::vector<KeyDoc>& documented_keys();

} // namespace imgspec::spec
