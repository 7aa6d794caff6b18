// The tables of the keys a spec documents: the top-level keys and the options that several
// layer kinds share, with each key's value schema (JSON text), description and examples. The
// base forms' and layer kinds' own rows are in their descriptors (kinds/).

#include "schema_rows.hpp"

#include "kinds/kind.hpp"

#include <imgspec/util/strings.hpp>

#include <algorithm>
#include <iterator>
#include <stdexcept>

namespace imgspec::spec::detail {

namespace {

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

} // namespace

const std::vector<Row>& schema_rows() {
    static const std::vector<Row> all = [] {
        std::vector<Row> out;
        const std::string forms = util::join(base_form_keys(), ", ");
        auto add = [&](const Key& k) {
            Row r{std::string(k.path), std::string(k.schema), std::string(k.description),
                  std::string(k.examples)};
            if (auto at = r.description.find("{base_forms}"); at != std::string::npos) {
                r.description.replace(at, std::string_view("{base_forms}").size(), forms);
            }
            out.push_back(std::move(r));
        };
        std::for_each(std::begin(top_keys), std::end(top_keys), add);
        for (const auto* f : base_forms()) {
            std::for_each(f->rows.begin(), f->rows.end(), add);
        }
        for (const auto* k : layer_kinds()) {
            std::for_each(k->rows.begin(), k->rows.end(), add);
        }
        std::for_each(std::begin(shared_keys), std::end(shared_keys), add);
        return out;
    }();
    return all;
}

const Row& schema_row(std::string_view path) {
    for (const auto& k : schema_rows()) {
        if (k.path == path) {
            return k;
        }
    }
    throw std::logic_error("schema: no key " + std::string(path));
}

} // namespace imgspec::spec::detail
