#pragma once
// One descriptor per layer kind and per base form: its key, the keys it takes, its rows of the
// schema and its read function, in one file each (kinds/<kind>.cpp, kinds/from_<form>.cpp). The
// tables in kinds/table.cpp drive the reader (read_layer.cpp), the schema (schema.cpp) and every
// list of kinds in messages. Internal to lib/src/spec.

#include "../reader.hpp"

#include <imgspec/spec/model.hpp>
#include <imgspec/spec/node.hpp>

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace imgspec::spec::detail {

// One documented key of the schema. `schema` is JSON text: the value's schema without description
// and examples ("#/$defs/..." names a shared definition of schema.cpp); empty: only the map form.
// `examples` is a JSON array.
struct SchemaRow {
    std::string_view path; // "layers[].uv_project", "layers[].uv_project.pyproject"
    std::string_view schema;
    std::string_view description;
    std::string_view examples;
};

// What a layer kind's read function gets: the kind key's value and the layer's options (the
// value's own map entries for a kind with a map form, plus the keys beside the kind key), already
// checked against the kind's `options`.
struct LayerInput {
    Reader& r;
    const Node& value;
    const Node& opts;
    bool map_value;    // the value is the kind's map form
    std::string path;  // "layers[3]"
    std::string kpath; // "layers[3].pip_packages"

    // The main value: the kind's own scalar or list, or the key `key` of its map form (reported
    // when missing).
    const Node* main_value(const char* key) const;
    std::string main_path(const char* key) const;
    // The kind's own value as one string or a list of them, at least one (else `none`), each
    // accepted by `check` (which says why not, "" for a good one).
    std::vector<std::string> string_list(std::string_view none,
                                         std::string (*check)(const std::string&)) const;
    // The option `secret_mounts`, read; none when absent.
    std::vector<SecretMount> secret_mounts_option() const;
};

// Key lists are comma-separated: "src!,dst,@pip", '!' marking a key the map form requires and
// "@pip" standing for the pip options (index_url, extra_index_urls, pre, extra_args,
// secret_mounts).
struct LayerKind {
    std::string_view key;            // "uv_project"
    std::string_view options;        // the keys the reader takes inside or beside the kind key
    std::string_view map_keys;       // the keys of the map form; empty: no map form
    std::string_view beside;         // the options the schema documents beside the kind key
    std::span<const SchemaRow> rows; // the kind's own row first, then its own options'
    LayerBody (*read)(const LayerInput& in);
};

struct BaseForm {
    std::string_view key;      // "uv_script"
    std::string_view map_keys; // the keys of the map form; empty: no map form
    std::span<const SchemaRow> rows;
    // `value` is the form's value, `path` "from.<key>"; a map value's keys are already checked.
    Base (*read)(Reader& r, const Node& value, const std::string& path);
};

// The tables, in the order of the schema, the docs and "did you mean" (kinds/table.cpp).
std::span<const LayerKind* const> layer_kinds();
std::span<const BaseForm* const> base_forms();
const LayerKind* find_layer_kind(std::string_view key);
const BaseForm* find_base_form(std::string_view key);
// Every layer kind's (base form's) key, in table order.
const std::vector<std::string>& layer_kind_keys();
const std::vector<std::string>& base_form_keys();

// The keys of a list, "@pip" expanded; with `marks` false the '!' marks are dropped.
std::vector<std::string> key_list(std::string_view list, bool marks = false);
inline constexpr std::string_view pip_option_keys =
    "index_url,extra_index_urls,pre,extra_args,secret_mounts";

} // namespace imgspec::spec::detail
