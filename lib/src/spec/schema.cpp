// The JSON Schema of a spec, generated from tables of keys.
//
// `top_keys` and `shared_keys` (schema_rows.cpp), and the rows of each layer kind and base form
// (their descriptors in kinds/), hold every key a spec may have, with its value's schema (JSON
// text), a description and examples. The descriptors also say what a form's map form holds and
// which options sit beside a kind key; the builder turns all of it into the schema, so a key is
// described once even where it appears in several places (pip options on four kinds and on
// uv_script). The shape follows read_layer.cpp and read_spec.cpp; the value patterns follow
// names.cpp (a unit test checks that both agree on sample values).

#include "kinds/kind.hpp"
#include "schema_rows.hpp"

#include <imgspec/spec/names.hpp>
#include <imgspec/spec/platform.hpp>
#include <imgspec/spec/schema.hpp>
#include <imgspec/util/strings.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string_view>

namespace imgspec::spec {

namespace {

using Json = nlohmann::ordered_json;

using detail::Row;
using detail::schema_row;
using detail::schema_rows;

// "10|11|12|13|14": the minor versions check_python_version accepts.
std::string supported_minors() {
    std::string out;
    for (int m = min_python_minor; m <= max_python_minor; ++m) {
        out += (out.empty() ? "" : "|") + std::to_string(m);
    }
    return out;
}

// Shared definitions: value syntax, as names.cpp checks it. Patterns are ECMA-262 (and Python re)
// compatible; "not a pattern" forms stand in for "no newline" because Python's '$' also matches
// before a final newline.
Json definitions() {
    // Building blocks of names.cpp's regular expressions.
    const std::string component = R"([a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)";
    const std::string image_name = component + "(?:/" + component + ")*";
    const std::string label = R"([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)";
    const std::string tag = R"([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})";
    const std::string host = "(?:" + label + R"((?:\.)" + label + R"()*|\[[0-9a-fA-F:]+\]))";
    // In an image reference the first component is a registry when it has a '.' or a ':' or is
    // localhost (check_image_ref).
    const std::string ref_host = "(?:(?:" + label + R"((?:\.)" + label +
                                 R"()+|localhost|\[[0-9a-fA-F:]+\])(?::[0-9]{1,5})?|)" + label +
                                 R"(:[0-9]{1,5}))";
    const std::string value =
        R"((python_version|python_full_version|os_name|sys_platform|platform_release|)"
        R"(platform_system|platform_version|platform_machine|platform_python_implementation|)"
        R"(implementation_name|implementation_version|extra|os\.name|sys\.platform|)"
        R"(platform\.version|platform\.machine|platform\.python_implementation|)"
        R"(python_implementation|'[A-Za-z0-9_ .*+!<>=~,-]*'|"[A-Za-z0-9_ .*+!<>=~,-]*"))";
    const std::string comparison = R"(\(*\s*)" + value +
                                   R"(\s*(===|==|!=|<=|>=|~=|<|>|\bnot\s+in\b|\bin\b)\s*)" + value +
                                   R"(\s*\)*)";
    const std::string requirement =
        R"(^\s*[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?\s*)"
        R"((\[\s*[A-Za-z0-9._-]+(\s*,\s*[A-Za-z0-9._-]+)*\s*\])?\s*)"
        R"(()"
        R"(\(?\s*(===|==|!=|<=|>=|~=|<|>)\s*[A-Za-z0-9.*+!_-]+\s*)"
        R"((,\s*(===|==|!=|<=|>=|~=|<|>)\s*[A-Za-z0-9.*+!_-]+\s*)*\)?)"
        R"(|(@\s*[A-Za-z][A-Za-z0-9+.-]*://[A-Za-z0-9._~:/?#@!&'()*+,=%-]+\s*))"
        R"()?)"
        R"((;\s*)" +
        comparison + R"((\s*\b(and|or)\b\s*)" + comparison + R"()*)?\s*$)";
    const std::string url_chars = R"re([^ \t\n\r"'`$\\;|&<>(){}])re";

    Json d = Json::object();
    d["image_name"] = {{"type", "string"},
                       {"minLength", 1},
                       {"maxLength", 255},
                       {"pattern", "^" + image_name + "$"}};
    d["registry"] = {{"type", "string"},
                     {"minLength", 1},
                     {"maxLength", 255},
                     {"pattern", "^" + host + R"((?::[0-9]{1,5})?(?:/)" + component + ")*$"}};
    d["tag"] = {{"type", "string"}, {"pattern", "^" + tag + "$"}};
    d["image_ref"] = {{"type", "string"},
                      {"maxLength", 1024},
                      {"pattern", "^(?:" + ref_host + "/)?" + image_name + "(?::" + tag +
                                      ")?(?:@sha256:[a-f0-9]{64})?$"}};
    d["platform"] = {{"type", "string"}, {"enum", known_platforms()}};
    d["python_version"] = {{"type", "string"},
                           {"maxLength", 16},
                           {"pattern", R"(^3\.(?:)" + supported_minors() + ")$"}};
    d["env_name"] = {
        {"type", "string"}, {"maxLength", 255}, {"pattern", "^[A-Za-z_][A-Za-z0-9_]*$"}};
    d["secret_name"] = {{"type", "string"}, {"maxLength", 255}, {"pattern", "^[A-Za-z0-9_.-]+$"}};
    d["apt_package"] = {
        {"type", "string"},
        {"maxLength", 512},
        {"pattern",
         R"(^[a-z0-9][a-z0-9+.-]*(?::[a-z0-9-]+)?(?:=[A-Za-z0-9.+~:-]+|/[A-Za-z0-9.+~-]+)?$)"}};
    d["requirement"] = {{"type", "string"},
                        {"minLength", 1},
                        {"maxLength", 4096},
                        {"pattern", requirement},
                        {"not", {{"pattern", R"([\x00-\x1f\x7f])"}}}};
    d["plugin"] = {{"allOf", Json::array({Json{{"$ref", "#/$defs/requirement"}}})},
                   {"pattern", "^flyteplugins-"}};
    // $NAME or ${NAME}: a secret exported in the same step, expanded by its shell.
    const std::string url_piece =
        "(?:" + url_chars + R"re(|\$[A-Za-z_][A-Za-z0-9_]*|\$\{[A-Za-z_][A-Za-z0-9_]*\})re" + ")";
    d["index_url"] = {{"type", "string"}, {"pattern", "^" + url_piece + "*://" + url_piece + "*$"}};
    d["command"] = {
        {"type", "string"}, {"pattern", R"([^ \t\n])"}, {"not", {{"pattern", R"(\x00)"}}}};
    // A file the spec names: relative to the spec's folder, inside it (imgspec checks the rest).
    d["context_path"] = {{"type", "string"},
                         {"minLength", 1},
                         {"pattern", "^[^/]"},
                         {"not", {{"pattern", R"([\n\x00])"}}}};
    d["requirements_file"] = {{"allOf", Json::array({Json{{"$ref", "#/$defs/context_path"}}})},
                              {"pattern", R"(\.txt$)"}};
    d["path"] = {{"type", "string"}, {"minLength", 1}, {"not", {{"pattern", R"([\n\x00])"}}}};
    d["destination"] = {
        {"type", "string"}, {"minLength", 1}, {"not", {{"pattern", R"([\n\r\x00])"}}}};
    d["absolute_path"] = {{"type", "string"}, {"pattern", "^/"}};
    return d;
}

// A property: the key's schema with its description and examples.
Json property(const Row& k, const Json& value_schema) {
    Json p = Json::object();
    p["description"] = k.description;
    p["examples"] = Json::parse(k.examples);
    for (const auto& [name, v] : value_schema.items()) {
        p[name] = v;
    }
    return p;
}

Json property(const Row& k) {
    return property(k, k.schema.empty() ? Json::object() : Json::parse(k.schema));
}

// The key `name` of form `form`: its own row ("layers[].uv_project.pyproject"), else the shared
// option row ("layers[].index_url").
const Row& option_key(std::string_view form, const std::string& name) {
    const std::string own = std::string(form) + "." + name;
    for (const auto& k : schema_rows()) {
        if (k.path == own) {
            return k;
        }
    }
    return schema_row("layers[]." + name);
}

// An object of the given keys ('!' = required), nothing else.
Json object_of(std::string_view form, const std::vector<std::string>& names) {
    Json props = Json::object();
    Json required = Json::array();
    for (std::string name : names) {
        if (!name.empty() && name.back() == '!') {
            name.pop_back();
            required.push_back(name);
        }
        props[name] = property(option_key(form, name));
    }
    Json o = {{"type", "object"}, {"properties", props}};
    if (!required.empty()) {
        o["required"] = required;
    }
    o["additionalProperties"] = false;
    return o;
}

// The schema of a form's value: its scalar/list forms (the form's first row) or its map form.
Json form_value(std::string_view path, std::string_view map_keys) {
    const Row& k = schema_row(path);
    if (map_keys.empty()) {
        return property(k);
    }
    Json map_form = object_of(path, detail::key_list(map_keys, true));
    if (k.schema.empty()) {
        return property(k, map_form);
    }
    Json alternatives = Json::array();
    Json scalar = Json::parse(k.schema);
    if (scalar.size() == 1 && scalar.contains("anyOf")) {
        for (auto& a : scalar["anyOf"]) {
            alternatives.push_back(a);
        }
    } else {
        alternatives.push_back(scalar);
    }
    alternatives.push_back(map_form);
    return property(k, Json{{"anyOf", alternatives}});
}

Json from_definition() {
    Json props = Json::object();
    for (const auto* f : detail::base_forms()) {
        props[std::string(f->key)] = form_value(f->rows.front().path, f->map_keys);
    }
    return {{"description", "Exactly one base form."}, {"type", "object"},   {"properties", props},
            {"additionalProperties", false},           {"minProperties", 1}, {"maxProperties", 1}};
}

// A layer: exactly one kind key (oneOf over "has kind K"), and then only the keys of that kind.
Json layer_definition(Json& defs) {
    Json one_kind = Json::array();
    Json rules = Json::array();
    for (const auto* k : detail::layer_kinds()) {
        const std::string kind(k->key);
        const std::string_view path = k->rows.front().path;
        Json props = Json::object();
        props[kind] = form_value(path, k->map_keys);
        for (const auto& name : detail::key_list(k->beside)) {
            props[name] = property(option_key(path, name));
        }
        defs["layer." + kind] = {{"type", "object"},
                                 {"properties", props},
                                 {"required", Json::array({kind})},
                                 {"additionalProperties", false}};
        one_kind.push_back({{"required", Json::array({kind})}});
        rules.push_back({{"if", {{"required", Json::array({kind})}}},
                         {"then", {{"$ref", "#/$defs/layer." + kind}}}});
    }
    return {{"description", "One build step: exactly one layer kind key (" +
                                util::join(detail::layer_kind_keys(), ", ") +
                                ") plus its options."},
            {"type", "object"},
            {"oneOf", one_kind},
            {"allOf", rules}};
}

Json secret_definitions(Json& defs) {
    defs["secret_mount"] = {
        {"anyOf",
         {{{"$ref", "#/$defs/secret_name"}},
          {{"type", "object"},
           {"properties",
            {{"key", property(schema_row("secret_mounts[].key"))},
             {"group", property(schema_row("secret_mounts[].group"))},
             {"mount", property(schema_row("secret_mounts[].mount"))},
             {"as_env_var", property(schema_row("secret_mounts[].as_env_var"))}}},
           {"required", Json::array({"key"})},
           {"additionalProperties", false},
           {"not", {{"required", Json::array({"mount", "as_env_var"})}}}}}}};
    defs["secret_mounts"] = {
        {"anyOf",
         {{{"$ref", "#/$defs/secret_mount"}},
          {{"type", "array"}, {"items", {{"$ref", "#/$defs/secret_mount"}}}}}}};
    defs["secret"] = {
        {"type", "object"},
        {"properties",
         {{"env", property(schema_row("secrets.NAME.env"))},
          {"file", property(schema_row("secrets.NAME.file"))},
          {"mount", property(schema_row("secrets.NAME.mount"))}}},
        {"additionalProperties", false},
        {"oneOf", {{{"required", Json::array({"env"})}}, {{"required", Json::array({"file"})}}}}};
    return defs;
}

Json build_schema() {
    Json defs = definitions();
    defs["from"] = from_definition();
    defs["layer"] = layer_definition(defs);
    secret_definitions(defs);

    Json props = Json::object();
    for (const auto& k : schema_rows()) {
        if (k.path.find_first_of(".[") == std::string::npos) {
            props[k.path] = property(k);
        }
    }
    // Rules across keys (read_spec's last checks).
    Json rules = Json::array();
    // A Dockerfile base takes no layers.
    rules.push_back({{"if",
                      {{"required", Json::array({"from"})},
                       {"properties", {{"from", {{"required", Json::array({"dockerfile"})}}}}}}},
                     {"then", {{"properties", {{"layers", {{"maxItems", 0}}}}}}}});
    // A spec that builds an image of its own needs a name (a debian_base spec is named 'flyte').
    rules.push_back({{"if",
                      {{"required", Json::array({"from"})},
                       {"properties",
                        {{"from",
                          {{"anyOf",
                            {{{"required", Json::array({"uv_script"})}},
                             {{"required", Json::array({"dockerfile"})}}}}}}}}}},
                     {"then", {{"required", Json::array({"name"})}}}});
    rules.push_back({{"if",
                      {{"required", Json::array({"from", "layers"})},
                       {"properties",
                        {{"from", {{"not", {{"required", Json::array({"debian_base"})}}}}},
                         {"layers", {{"type", "array"}, {"minItems", 1}}}}}}},
                     {"then", {{"required", Json::array({"name"})}}}});

    Json schema = Json::object();
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema";
    schema["title"] = "imgspec spec";
    schema["description"] =
        "A container image described in YAML or TOML, in the vocabulary of the Flyte 2 SDK's "
        "Image API, built by imgspec with docker buildx. Relative paths are relative to the "
        "spec's folder, which is the build context.";
    schema["$comment"] =
        "Generated by `imgspec schema`; do not edit (packaging/imgspec.schema.json "
        "is a copy, checked by tests/cli/schema_test.sh).";
    schema["type"] = "object";
    schema["properties"] = props;
    schema["additionalProperties"] = false;
    schema["allOf"] = rules;
    schema["$defs"] = defs;
    return schema;
}

} // namespace

std::string json_schema() {
    return build_schema().dump(2) + "\n";
}

const std::vector<KeyDoc>& documented_keys() {
    static const std::vector<KeyDoc> docs = [] {
        std::vector<KeyDoc> out;
        for (const auto& k : schema_rows()) {
            out.push_back({k.path, k.description, Json::parse(k.examples).dump()});
        }
        return out;
    }();
    return docs;
}

} // namespace imgspec::spec
