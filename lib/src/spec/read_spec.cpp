// Node tree -> spec model, with every problem collected as a diagnostic: the top-level keys and
// the secrets here; layers and the base in read_layer.cpp, runtime settings in read_runtime.cpp.

#include "reader.hpp"

#include <imgspec/spec/matrix.hpp>
#include <imgspec/spec/model.hpp>
#include <imgspec/spec/names.hpp>
#include <imgspec/spec/node.hpp>
#include <imgspec/spec/platform.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

namespace imgspec::spec {

namespace detail {

namespace {

using Kind = Node::Kind;

// Not `matrix`: read_specs takes it off before the reader sees a spec, and listing it here would
// change the "known keys" hint of specs without one.
const std::vector<std::string> top_keys = {
    "name",    "registry",        "platform", "python_version", "extendable",  "tag",
    "from",    "registry_secret", "layers",   "secrets",        "user",        "entrypoint",
    "cmd",     "labels",          "expose",   "stopsignal",     "healthcheck", "cache_from",
    "cache_to"};

// yaml-cpp places an empty value ("name:" with nothing after it) at the next token, which is on a
// later line or past the end of the file: point at its key instead.
void point_empty_values_at_keys(Node& n) {
    if (n.kind == Kind::map) {
        for (std::size_t i = 0; i < n.entries.size() && i < n.key_marks.size(); ++i) {
            Node& v = n.entries[i].second;
            if (v.kind == Kind::null && v.mark.line != n.key_marks[i].line) {
                v.mark = n.key_marks[i];
            }
            point_empty_values_at_keys(v);
        }
    } else if (n.kind == Kind::list) {
        for (Node& item : n.items) {
            point_empty_values_at_keys(item);
        }
    }
}

} // namespace

void Reader::cache_refs(const Node& root, const std::string& key, std::vector<std::string>& out) {
    const Node* n = root.find(key);
    if (n == nullptr || !strings(*n, key, out)) {
        return;
    }
    for (std::size_t i = 0; i < out.size(); ++i) {
        const std::string& c = out[i];
        const Node& at = n->kind == Kind::list ? n->items[i] : *n;
        std::string path = n->kind == Kind::list ? fmt::format("{}[{}]", key, i) : key;
        if (c.rfind("type=", 0) != 0) {
            error(at, path, invalid(c, "not a buildx cache, which starts with type="),
                  "for example type=registry,ref=registry.example.com/app:buildcache");
        } else if (std::any_of(c.begin(), c.end(), [](char ch) {
                       return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f;
                   })) {
            error(at, path, "a buildx cache is one line without control characters");
        }
    }
}

const std::vector<std::string>& top_level_keys() {
    return top_keys;
}

Spec Reader::spec(const Node& root, const std::filesystem::path& file) {
    Spec s;
    s.file = file;
    s.dir = file.parent_path();
    if (root.kind != Kind::map) {
        if (root.kind == Kind::null) {
            error(root, "", "the spec is empty", "a spec is a map; start with 'name:' and 'from:'");
        } else {
            type_error(root, "", "a map of spec keys");
        }
        return s;
    }
    check_keys(root, "", top_keys);
    if (const Node* n = root.find("secrets"); n != nullptr && n->kind == Kind::map) {
        for (const auto& [k, v] : n->entries) {
            if (const Node* m = v.find("mount"); m != nullptr && m->kind == Kind::string) {
                m_def_mounts[k] = m->scalar;
            }
        }
    }
    if (const Node* n = root.find("name")) {
        if (string(*n, "name", s.name)) {
            if (auto msg = check_image_name(s.name); !msg.empty()) {
                error(*n, "name", invalid(s.name, msg));
            }
        }
    }
    if (const Node* n = root.find("registry")) {
        if (string(*n, "registry", s.registry)) {
            if (auto msg = check_registry(s.registry); !msg.empty()) {
                error(*n, "registry", invalid(s.registry, msg));
            }
        }
    }
    if (const Node* n = root.find("platform")) {
        if (std::vector<std::string> written; strings(*n, "platform", written)) {
            s.platforms = read_platforms(*n, written, m_file, m_diags);
        }
    }
    if (const Node* n = root.find("python_version")) {
        if (string(*n, "python_version", s.python_version)) {
            if (auto msg = check_python_version(s.python_version); !msg.empty()) {
                error(*n, "python_version", invalid(s.python_version, msg));
            }
        }
    }
    if (const Node* n = root.find("extendable")) {
        boolean(*n, "extendable", s.extendable);
    }
    if (const Node* n = root.find("tag")) {
        if (n->kind == Kind::integer || n->kind == Kind::floating) {
            error(*n, "tag", fmt::format("expected a string, got {}", describe(n->kind)),
                  fmt::format("quote it: \"{}\"", n->scalar));
        } else if (string(*n, "tag", s.tag)) {
            if (auto msg = check_tag(s.tag); !msg.empty()) {
                error(*n, "tag", invalid(s.tag, msg));
            }
        }
    }
    if (const Node* n = root.find("from")) {
        s.base = base(*n);
        s.base_mark = n->mark;
    }
    if (const Node* n = root.find("registry_secret")) {
        if (string(*n, "registry_secret", s.registry_secret)) {
            if (auto msg = check_secret_name(s.registry_secret); !msg.empty()) {
                error(*n, "registry_secret", msg);
            }
            m_secret_uses.push_back({s.registry_secret, "", "registry_secret", n->mark});
        }
    }
    if (const Node* n = root.find("secrets")) {
        secrets(*n, s);
    }
    cache_refs(root, "cache_from", s.cache_from);
    cache_refs(root, "cache_to", s.cache_to);
    if (const Node* n = root.find("layers")) {
        if (n->kind == Kind::list) {
            for (std::size_t i = 0; i < n->items.size(); ++i) {
                layer(n->items[i], i, s.layers);
            }
        } else if (n->kind != Kind::null) {
            type_error(*n, "layers", "a list of layers");
        }
    }
    check_secret_uses(s);
    runtime(root, s.runtime);
    if (std::holds_alternative<DockerfileBase>(s.base) && !s.layers.empty()) {
        error(*root.find("layers"), "layers", "a spec built from a Dockerfile cannot add layers",
              "put these steps into the Dockerfile, or build from 'base:' instead");
    }
    bool named_by_default = std::holds_alternative<DebianBase>(s.base);
    if (s.name.empty() && !named_by_default &&
        (!s.layers.empty() || std::holds_alternative<UvScriptBase>(s.base) ||
         std::holds_alternative<DockerfileBase>(s.base))) {
        error_at(root.mark, "name", "a spec that builds an image needs a 'name'",
                 "add e.g. name: my-image");
    }
    return s;
}

void Reader::secrets(const Node& n, Spec& s) {
    if (n.kind != Kind::map) {
        type_error(n, "secrets", "a map of NAME: {env: VAR} or {file: PATH}");
    } else {
        for (std::size_t i = 0; i < n.entries.size(); ++i) {
            const auto& [k, v] = n.entries[i];
            const std::string spath = "secrets." + k;
            if (auto msg = check_secret_name(k); !msg.empty()) {
                error_at(n.key_marks[i], spath, msg);
            }
            SecretDef d;
            d.mark = v.mark;
            if (v.kind != Kind::map) {
                type_error(v, spath, "a map {env: VAR} or {file: PATH, mount: /path}");
                continue;
            }
            check_keys(v, spath, {"env", "file", "mount", "value"});
            if (const Node* val = v.find("value")) {
                error(*val, spath + ".value", "a spec never holds a secret's value",
                      "read it from the environment ({env: VAR}) or a file ({file: PATH})");
            }
            if (const Node* e = v.find("env")) {
                if (string(*e, spath + ".env", d.env)) {
                    if (auto msg = check_env_name(d.env); !msg.empty()) {
                        error(*e, spath + ".env", msg);
                    }
                }
            }
            if (const Node* f = v.find("file")) {
                path_value(*f, spath + ".file", d.file);
            }
            if (const Node* m = v.find("mount")) {
                if (string(*m, spath + ".mount", d.mount)) {
                    if (auto msg = check_mount_path(d.mount); !msg.empty()) {
                        error(*m, spath + ".mount", invalid(d.mount, msg), "e.g. /root/.netrc");
                    }
                }
            }
            // With a 'value' the error above says what to do instead.
            if (d.env.empty() == d.file.empty() && v.find("value") == nullptr) {
                error(v, spath, "a secret needs exactly one of 'env' or 'file'");
            }
            s.secrets.emplace(k, std::move(d));
        }
    }
}

// Secrets named but not defined mean the environment variable of that name, as the Flyte SDK
// names it: github-pat is GITHUB_PAT.
void Reader::check_secret_uses(const Spec& s) {
    for (const auto& use : m_secret_uses) {
        // An invalid name was reported where it is used.
        if (use.key.empty() || s.secrets.count(use.key) > 0 ||
            !check_secret_name(use.key).empty()) {
            continue;
        }
        // A name that reads as a defined secret's (docker-config for DOCKER_CONFIG) is a slip,
        // not a different secret from the host's environment.
        std::string defined_twin;
        for (const auto& [k, v] : s.secrets) {
            if (loose_name(k) == loose_name(use.key)) {
                defined_twin = k;
                break;
            }
        }
        if (!defined_twin.empty() || !check_env_name(loose_name(use.key)).empty()) {
            std::vector<std::string> names;
            for (const auto& [k, v] : s.secrets) {
                names.push_back(k);
            }
            std::string hint = "define it under 'secrets:' or use a name that is an environment "
                               "variable in upper case (github-pat: GITHUB_PAT)";
            if (!defined_twin.empty()) {
                hint = fmt::format("did you mean '{}'?", defined_twin);
            } else if (auto near = util::closest_match(use.key, names); !near.empty()) {
                hint = fmt::format("did you mean '{}'?", near);
            }
            error_at(use.mark, use.path, fmt::format("secret '{}' is not defined", use.key), hint);
        }
    }
}

} // namespace detail

std::string secret_env_name(const SecretMount& m) {
    if (!m.as_env_var.empty()) {
        return m.as_env_var;
    }
    return detail::loose_name(m.group.empty() ? m.key : m.group + "_" + m.key);
}

namespace {

// `name` for messages; `abs` the file, whose folder is the spec's.
Spec read_one(const Node& root, const std::string& name, const std::filesystem::path& abs) {
    Diagnostics diags;
    detail::Reader reader(name, diags);
    Spec s = reader.spec(root, abs);
    s.display = name;
    diags.throw_if_any();
    return s;
}

// Each image of a matrix, read as a spec of its own; their problems merged, so that a mistake
// in the spec is reported once and one in a value once per image that has it.
std::vector<Spec> read_matrix(const Node& root, const std::string& name,
                              const std::filesystem::path& abs) {
    Diagnostics diags;
    std::vector<MatrixImage> images = expand_matrix(root, name, diags);
    diags.throw_if_any();
    std::vector<Spec> out;
    std::vector<std::vector<Diagnostic>> problems;
    std::vector<std::vector<MatrixValue>> values;
    for (auto& im : images) {
        Diagnostics d;
        detail::Reader reader(name, d);
        Spec s = reader.spec(im.root, abs);
        s.display = name;
        s.matrix = im.values;
        s.matrix_mark = root.find("matrix")->mark;
        problems.push_back(d.list());
        values.push_back(std::move(im.values));
        out.push_back(std::move(s));
    }
    if (std::vector<Diagnostic> all = merge_matrix_diagnostics(problems, values); !all.empty()) {
        throw SpecError(std::move(all));
    }
    return out;
}

std::vector<Spec> read_root(Node root, const std::string& name, const std::filesystem::path& abs) {
    detail::point_empty_values_at_keys(root);
    if (root.kind == Node::Kind::map && root.find("matrix") != nullptr) {
        return read_matrix(root, name, abs);
    }
    return {read_one(root, name, abs)};
}

std::filesystem::path stdin_path(const std::filesystem::path& dir) {
    return (std::filesystem::absolute(dir) / "<stdin>").lexically_normal();
}

} // namespace

Spec read_spec(const std::filesystem::path& file) {
    Node root = load_file(file.string());
    if (const Node* m = root.kind == Node::Kind::map ? root.find("matrix") : nullptr) {
        Diagnostics diags;
        diags.error(file.string(), m->mark, "matrix",
                    "this spec has a matrix: it gives several images where one is needed (a "
                    "`from: spec` parent; lock, explain, outdated)",
                    "a parent cannot have a matrix: give the matrix to the spec that extends it "
                    "(an axis's overlay may set its `from`)");
        diags.throw_if_any();
    }
    detail::point_empty_values_at_keys(root);
    return read_one(root, file.string(), std::filesystem::absolute(file).lexically_normal());
}

std::vector<Spec> read_specs(const std::filesystem::path& file) {
    return read_root(load_file(file.string()), file.string(),
                     std::filesystem::absolute(file).lexically_normal());
}

std::vector<Spec> read_specs_stdin(Format format, const std::filesystem::path& dir) {
    const std::string name = "<stdin>";
    return read_root(load_stdin(format, name), name, stdin_path(dir));
}

Spec read_spec_stdin(Format format, const std::filesystem::path& dir) {
    const std::string name = "<stdin>";
    Node root = load_stdin(format, name);
    detail::point_empty_values_at_keys(root);
    return read_one(root, name, stdin_path(dir));
}

} // namespace imgspec::spec
