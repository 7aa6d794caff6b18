// The JSON Schema of a spec, generated from tables of keys.
//
// `top_keys` and `shared_keys` below, and the rows of each layer kind and base form (their
// descriptors in kinds/), hold every key a spec may have, with its value's schema (JSON text), a
// description and examples. The descriptors also say what a form's map form holds and which
// options sit beside a kind key; the builder turns all of it into the schema, so a key is
// described once even where it appears in several places (pip options on four kinds and on
// uv_script). The shape follows read_layer.cpp and read_spec.cpp; the value patterns follow
// names.cpp (a unit test checks that both agree on sample values).

#include "kinds/kind.hpp"

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

using detail::SchemaRow;
using Key = SchemaRow;

// clang-format off
const Key top_keys[] = {
    // ---- top level --------------------------------------------------------------------------
    {"name", R"({"$ref": "#/$defs/image_name"})",
     "Image name (the repository path without the registry): lowercase letters and digits, with "
     "'.', '_', '-' between them and '/' between components. Required once the spec builds an "
     "image of its own (layers, uv_script or dockerfile); a debian_base spec defaults to 'flyte'.",
     R"(["trainer", "ml/eval-job"])"},
    {"registry", R"({"$ref": "#/$defs/registry"})",
     "Registry to push to: host[:port][/path], no scheme. None: the config's 'registry', else a "
     "local image built with --load.",
     R"(["registry.example.com/ml", "127.0.0.1:5000"])"},
    {"platform", R"({"anyOf": [{"$ref": "#/$defs/platform"},
                               {"type": "array", "items": {"$ref": "#/$defs/platform"},
                                "minItems": 1, "uniqueItems": true}]})",
     "Platform or list of platforms to build for. Default: [linux/amd64, linux/arm64] for "
     "debian_base and uv_script, [linux/amd64] otherwise, the parent's for from: spec. The "
     "platforms are part of the tag.",
     R"([["linux/amd64", "linux/arm64"], "linux/amd64"])"},
    {"python_version", R"({"$ref": "#/$defs/python_version"})",
     "Python version \"M.m\", as a quoted string (unquoted 3.10 is the number 3.1). Default: the "
     "from form's, then this, then \"3.12\"; never the host's Python.",
     R"(["3.12", "3.11"])"},
    {"extendable", R"({"type": "boolean"})",
     "May another spec use this one as its base (from: spec)? Default false.",
     R"([true])"},
    {"tag", R"({"$ref": "#/$defs/tag"})",
     "A fixed tag instead of the content hash (up to 128 of [A-Za-z0-9_.-], not starting with '.' "
     "or '-'). Quote numbers: tag: \"1.0\".",
     R"(["v1", "2024-06-01"])"},
    {"from", R"({"$ref": "#/$defs/from"})",
     "The base: exactly one of {base_forms}. Default: debian_base.",
     R"([{"base": "python:3.12-slim-bookworm"}, {"debian_base": {"flyte_version": "2.0.1"}}])"},
    {"registry_secret", R"({"$ref": "#/$defs/secret_name"})",
     "A secret (a key of 'secrets', else the environment variable of that name) holding a docker "
     "config.json, used to push and pull.",
     R"(["REGISTRY_AUTH"])"},
    {"cache_from", R"({"anyOf": [{"type": "string", "pattern": "^type="},
                                 {"type": "array", "items": {"type": "string", "pattern": "^type="}}]})",
     "buildx --cache-from for this image ({repository}: the image's URI without its tag); with "
     "cache_to, replaces the config's cache: registry. Not part of the tag.",
     R"(["type=registry,ref=registry.example.com/cache/app:buildcache"])"},
    {"cache_to", R"({"anyOf": [{"type": "string", "pattern": "^type="},
                               {"type": "array", "items": {"type": "string", "pattern": "^type="}}]})",
     "buildx --cache-to for this image ({repository} expands as in cache_from).",
     R"(["type=registry,ref={repository}:buildcache,mode=max"])"},
    {"layers", R"({"anyOf": [{"type": "array", "items": {"$ref": "#/$defs/layer"}},
                             {"type": "null"}]})",
     "Build steps, applied in the order given. Each entry has exactly one layer kind key plus that "
     "kind's options.",
     R"([[{"apt_packages": ["git"]}, {"requirements": "requirements.txt"},
          {"source_folder": {"src": "src", "dst": "/app/src"}}]])"},
    {"secrets", R"({"type": "object", "propertyNames": {"$ref": "#/$defs/secret_name"},
                    "additionalProperties": {"$ref": "#/$defs/secret"}})",
     "Secret definitions by name: where the value comes from at build time. A spec never holds a "
     "value.",
     R"([{"PIP_TOKEN": {"env": "PIP_TOKEN"},
          "GIT_CREDS": {"file": "~/.git-credentials", "mount": "/root/.git-credentials"}}])"},

    // ---- runtime settings -------------------------------------------------------------------
    {"user", R"({"anyOf": [{"type": "string", "pattern": "^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$"},
                           {"type": "integer", "minimum": 0}]})",
     "The user the image runs as (USER): NAME, UID, NAME:GROUP or UID:GID. The installs run as 0:0; "
     "at the end the image runs as this user, else as its base's own user (flyte for debian_base).",
     R"(["1000:1000", "app"])"},
    {"entrypoint", R"({"anyOf": [{"type": "string", "minLength": 1},
                                 {"type": "array", "items": {"type": "string"}, "minItems": 1}]})",
     "ENTRYPOINT: a string runs through /bin/sh -c, a list runs as it is.",
     R"([["python", "-m", "app"], "exec python -m app"])"},
    {"cmd", R"({"anyOf": [{"type": "string", "minLength": 1},
                          {"type": "array", "items": {"type": "string"}, "minItems": 1}]})",
     "CMD: a string runs through /bin/sh -c, a list runs as it is.",
     R"([["--port", "8080"]])"},
    {"labels", R"({"type": "object", "propertyNames": {"pattern": "^[A-Za-z0-9._/-]+$"},
                   "additionalProperties": {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "boolean"}]}})",
     "Image labels (LABEL), written as given: no $ expansion.",
     R"([{"org.opencontainers.image.source": "https://github.com/example/app"}])"},
    {"expose", R"({"anyOf": [{"type": "integer", "minimum": 1, "maximum": 65535},
                             {"type": "string", "pattern": "^[0-9]{1,5}(/(tcp|udp|sctp))?$"},
                             {"type": "array", "items": {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 65535},
                              {"type": "string", "pattern": "^[0-9]{1,5}(/(tcp|udp|sctp))?$"}]}}]})",
     "Ports the image listens on (EXPOSE): 8080 or \"8080/udp\", one or a list.",
     R"([[8080, "9090/udp"]])"},
    {"stopsignal", R"({"type": "string", "pattern": "^(SIG[A-Z0-9+-]{2,16}|[0-9]{1,2})$"})",
     "The signal that stops the container (STOPSIGNAL).",
     R"(["SIGINT"])"},
    {"healthcheck", R"({"anyOf": [{"const": "none"},
                                  {"type": "object", "required": ["test"], "additionalProperties": false,
                                   "properties": {"test": {"description": "The check: a string runs through /bin/sh -c, a list as it is.",
                                                           "examples": ["curl -f http://localhost:8080/ || exit 1"],
                                                           "anyOf": [{"type": "string", "minLength": 1},
                                                                     {"type": "array", "items": {"type": "string"}, "minItems": 1}]},
                                                  "interval": {"description": "Time between checks.", "examples": ["30s"], "type": "string"},
                                                  "timeout": {"description": "Time a check may take.", "examples": ["5s"], "type": "string"},
                                                  "start_period": {"description": "Time to start up before failures count.", "examples": ["1m"], "type": "string"},
                                                  "retries": {"description": "Failures in a row that make the container unhealthy.", "examples": [3],
                                                              "type": "integer", "minimum": 0}}}]})",
     "HEALTHCHECK: a test command (a string runs through /bin/sh -c) with interval, timeout, "
     "start_period (durations such as 30s) and retries; or none to turn off the base's check.",
     R"([{"test": "curl -f http://localhost:8080/ || exit 1", "interval": "30s", "retries": 3}, "none"])"},
    {"matrix", R"({"type": "object", "minProperties": 1,
                   "propertyNames": {"pattern": "^[A-Za-z0-9_][A-Za-z0-9_-]*$"},
                   "additionalProperties": {"anyOf": [
                     {"type": "array", "minItems": 1, "uniqueItems": true,
                      "items": {"type": ["string", "number", "boolean"]}},
                     {"type": "object", "minProperties": 1,
                      "additionalProperties": {"anyOf": [{"type": "null"},
                                                         {"type": "object", "not": {"required": ["matrix"]}}]}}]}})",
     "One image per combination of the axes' values, the first axis slowest (at most 256). An "
     "axis is a list of values, or a map of value name -> overlay: top-level keys that replace "
     "the spec's (layers are appended to the spec's). ${{ matrix.AXIS }} in a string value is "
     "the image's value of AXIS. Each image is named <name>-<value>-..., unless an overlay sets "
     "name or name references an axis.",
     R"([{"python_version": ["3.11", "3.12"]},
         {"variant": {"cpu": {}, "gpu": {"from": {"ref_name": "cuda"}}}}])"},

};

// Options that several layer kinds (and uv_script) share: a kind's own row for the option, when
// it has one, comes first ("layers[].uv_project.pyproject"), else this one.
const Key shared_keys[] = {
    // ---- options shared by several kinds ---------------------------------------------------
    {"layers[].dst", R"({"$ref": "#/$defs/destination"})",
     "Where the copy lands in the image; relative paths are relative to the working directory. "
     "Default \".\".",
     R"(["/app", "."])"},
    {"layers[].dist", R"({"$ref": "#/$defs/context_path"})",
     "The folder of the wheels. Default \"dist\".",
     R"(["dist"])"},
    {"layers[].project_install_mode", R"({"enum": ["dependencies_only", "install_project"]})",
     "dependencies_only (default): install the locked dependencies; install_project: then the "
     "project itself, in a step of its own so source edits keep the dependency step cached.",
     R"(["install_project"])"},
    {"layers[].index_url", R"({"$ref": "#/$defs/index_url"})",
     "Pip option: the package index to use instead of PyPI.",
     R"(["https://pypi.example.com/simple"])"},
    {"layers[].extra_index_urls", R"({"anyOf": [{"$ref": "#/$defs/index_url"},
                                               {"type": "array", "items": {"$ref": "#/$defs/index_url"}}]})",
     "Pip option: more package indexes.",
     R"([["https://extra.example.com/simple"]])"},
    {"layers[].pre", R"({"type": "boolean"})",
     "Pip option: allow pre-release versions. Default false.",
     R"([true])"},
    {"layers[].extra_args", R"({"type": "string"})",
     "Pip option: extra installer arguments, split like a shell would (without expansion), each "
     "word quoted.",
     R"(["--no-build-isolation"])"},
    {"layers[].secret_mounts", R"({"$ref": "#/$defs/secret_mounts"})",
     "Secrets the step's RUN can read: names (a key of 'secrets', else the environment variable "
     "of that name) or maps {key, group, mount, as_env_var}. Values never reach the image, the "
     "context, the Dockerfile, buildx's argv or the logs.",
     R"([["PIP_TOKEN"], [{"key": "TOKEN", "as_env_var": "TOKEN"}]])"},

    // ---- secrets ---------------------------------------------------------------------------
    {"secret_mounts[].key", R"({"$ref": "#/$defs/secret_name"})",
     "The secret's name.",
     R"(["PIP_TOKEN"])"},
    {"secret_mounts[].group", R"({"type": "string"})",
     "A group: the secret id becomes <group>_<key> (Flyte SDK semantics).",
     R"(["team"])"},
    {"secret_mounts[].mount", R"({"$ref": "#/$defs/absolute_path"})",
     "Where the RUN step sees the secret as a file. Default /run/secrets/<id>.",
     R"(["/root/.netrc"])"},
    {"secret_mounts[].as_env_var", R"({"$ref": "#/$defs/env_name"})",
     "Expose the secret as this environment variable inside the RUN step instead of a file.",
     R"(["HF_TOKEN"])"},
    {"secrets.NAME.env", R"({"$ref": "#/$defs/env_name"})",
     "Read the value from this environment variable at build time.",
     R"(["PIP_TOKEN"])"},
    {"secrets.NAME.file", R"({"$ref": "#/$defs/path"})",
     "Read the value from this file at build time (never copied into the context).",
     R"(["~/.git-credentials"])"},
    {"secrets.NAME.mount", R"({"$ref": "#/$defs/absolute_path"})",
     "Default mount point for RUN steps that use the secret.",
     R"(["/root/.git-credentials"])"},
};

// clang-format on

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

// A documented key as the schema and the docs show it: "{base_forms}" in a description stands
// for the list of base forms.
struct Row {
    std::string path, schema, description, examples;
};

// Every documented key: the top-level keys, each base form's and layer kind's rows in table
// order, the shared options, the secrets' keys.
const std::vector<Row>& rows() {
    static const std::vector<Row> all = [] {
        std::vector<Row> out;
        const std::string forms = util::join(detail::base_form_keys(), ", ");
        auto add = [&](const Key& k) {
            Row r{std::string(k.path), std::string(k.schema), std::string(k.description),
                  std::string(k.examples)};
            if (auto at = r.description.find("{base_forms}"); at != std::string::npos) {
                r.description.replace(at, std::string_view("{base_forms}").size(), forms);
            }
            out.push_back(std::move(r));
        };
        std::for_each(std::begin(top_keys), std::end(top_keys), add);
        for (const auto* f : detail::base_forms()) {
            std::for_each(f->rows.begin(), f->rows.end(), add);
        }
        for (const auto* k : detail::layer_kinds()) {
            std::for_each(k->rows.begin(), k->rows.end(), add);
        }
        std::for_each(std::begin(shared_keys), std::end(shared_keys), add);
        return out;
    }();
    return all;
}

const Row& key(std::string_view path) {
    for (const auto& k : rows()) {
        if (k.path == path) {
            return k;
        }
    }
    throw std::logic_error("schema: no key " + std::string(path));
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
    for (const auto& k : rows()) {
        if (k.path == own) {
            return k;
        }
    }
    return key("layers[]." + name);
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
    const Row& k = key(path);
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
    defs["secret_mount"] = {{"anyOf",
                             {{{"$ref", "#/$defs/secret_name"}},
                              {{"type", "object"},
                               {"properties",
                                {{"key", property(key("secret_mounts[].key"))},
                                 {"group", property(key("secret_mounts[].group"))},
                                 {"mount", property(key("secret_mounts[].mount"))},
                                 {"as_env_var", property(key("secret_mounts[].as_env_var"))}}},
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
         {{"env", property(key("secrets.NAME.env"))},
          {"file", property(key("secrets.NAME.file"))},
          {"mount", property(key("secrets.NAME.mount"))}}},
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
    for (const auto& k : rows()) {
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
        for (const auto& k : rows()) {
            out.push_back({k.path, k.description, Json::parse(k.examples).dump()});
        }
        return out;
    }();
    return docs;
}

} // namespace imgspec::spec
