// Node tree -> spec model, with every problem collected as a diagnostic.

#include <imgspec/spec/model.hpp>
#include <imgspec/spec/names.hpp>
#include <imgspec/spec/node.hpp>
#include <imgspec/spec/platform.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string_view>

namespace imgspec::spec {

namespace {

using Kind = Node::Kind;

const std::vector<std::string> top_keys = {
    "name", "registry",        "platform", "python_version", "extendable", "tag",
    "from", "registry_secret", "layers",   "secrets",        "user",       "entrypoint",
    "cmd",  "labels",          "expose",   "stopsignal",     "healthcheck"};
const std::vector<std::string> base_keys = {"debian_base", "base",       "ref_name",
                                            "uv_script",   "dockerfile", "spec"};
const std::vector<std::string> layer_kinds = {
    "workdir",        "apt_packages", "pip_packages",  "requirements",    "uv_project",
    "poetry_project", "env_vars",     "source_folder", "source_file",     "dockerignore",
    "code_bundle",    "commands",     "local_v2",      "local_v2_plugins"};
const std::vector<std::string> pip_option_keys = {"index_url", "extra_index_urls", "pre",
                                                  "extra_args", "secret_mounts"};

// Kinds whose value may be a map of the kind's own keys, e.g. {src: app, dst: /app}. The others
// take a scalar or a list, so a map there is a type error and not a map of unknown keys.
const std::vector<std::string> map_form_kinds = {
    "requirements", "uv_project",  "poetry_project", "source_folder",   "source_file",
    "dockerignore", "code_bundle", "local_v2",       "local_v2_plugins"};

// A value as a message shows it: quoted, control characters escaped, long values cut.
std::string shown(std::string_view value) {
    std::string out = "'";
    std::size_t n = 0;
    for (char c : value) {
        // Count characters, not bytes, so a cut never splits a UTF-8 sequence.
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80 && ++n > 80) {
            out += "...";
            break;
        }
        if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        } else {
            out += c;
        }
    }
    return out + "'";
}

// A check's message about a value, with the value in front: "'MyApp' is not a valid image name".
std::string invalid(std::string_view value, const std::string& message) {
    return value.empty() ? message : shown(value) + " is " + message;
}

// Secret names as a user may misremember them, and as the Flyte SDK turns a secret's key into
// an environment variable: upper case, '-' and '.' as '_'.
std::string loose_name(std::string_view name) {
    std::string out;
    for (char c : name) {
        out += c == '-' || c == '.'
                   ? '_'
                   : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return out;
}

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

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

class Reader {
  public:
    Reader(std::string file, Diagnostics& diags) : m_file(std::move(file)), m_diags(diags) {}

    void error(const Node& n, const std::string& path, std::string message, std::string hint = {}) {
        m_diags.error(m_file, n.mark, path, std::move(message), std::move(hint));
    }
    void error_at(Mark m, const std::string& path, std::string message, std::string hint = {}) {
        m_diags.error(m_file, m, path, std::move(message), std::move(hint));
    }

    void type_error(const Node& n, const std::string& path, std::string_view expected) {
        std::string hint;
        if (n.kind == Kind::floating && expected == "a string") {
            hint = fmt::format("{} is read as a number; quote it: \"{}\"", n.scalar, n.scalar);
        }
        error(n, path, fmt::format("expected {}, got {}", expected, describe(n.kind)), hint);
    }

    // Report keys of `map` that are not in `allowed`, with a "did you mean".
    void check_keys(const Node& map, const std::string& path,
                    const std::vector<std::string>& allowed) {
        for (std::size_t i = 0; i < map.entries.size(); ++i) {
            const auto& key = map.entries[i].first;
            if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) {
                continue;
            }
            std::string hint;
            if (auto near = util::closest_match(key, allowed); !near.empty()) {
                hint = fmt::format("did you mean '{}'?", near);
            } else {
                hint = fmt::format("known keys: {}", util::join(allowed, ", "));
            }
            error_at(map.key_marks[i], join_path(path, key), "unknown key", hint);
        }
    }

    static std::string join_path(const std::string& path, const std::string& key) {
        return path.empty() ? key : path + "." + key;
    }

    bool string(const Node& n, const std::string& path, std::string& out) {
        if (n.kind != Kind::string) {
            type_error(n, path, "a string");
            return false;
        }
        // Only an escape such as "\0" gets a NUL this far (the loader refuses NUL bytes); no
        // Dockerfile, argv or path can carry one.
        if (n.scalar.find('\0') != std::string::npos) {
            error(n, path, "a value must not contain a NUL character");
            return false;
        }
        out = n.scalar;
        return true;
    }

    // A path inside the image (a workdir, where a copy lands): it goes into one Dockerfile line.
    void image_path(const Node& n, const std::string& path, std::string& out, std::string_view what,
                    std::string hint = {}) {
        std::string s;
        if (!string(n, path, s)) {
            return;
        }
        if (s.empty() || s.find_first_of("\n\r") != std::string::npos) {
            error(n, path, fmt::format("{} must be a non-empty path on one line", what),
                  std::move(hint));
            return;
        }
        out = std::move(s);
    }

    void destination(const Node& n, const std::string& path, std::string& out) {
        image_path(n, path, out, "a destination", "e.g. /app, or . for the working directory");
    }

    bool path_value(const Node& n, const std::string& path, std::filesystem::path& out) {
        std::string s;
        if (!string(n, path, s)) {
            return false;
        }
        if (s.empty()) {
            error(n, path, "a path must not be empty");
            return false;
        }
        if (s.find('\n') != std::string::npos) {
            error(n, path, "a path must not contain a newline");
            return false;
        }
        out = s;
        return true;
    }

    bool boolean(const Node& n, const std::string& path, bool& out) {
        if (n.kind == Kind::boolean) {
            out = n.scalar == "true" || n.scalar == "True" || n.scalar == "TRUE";
            return true;
        }
        type_error(n, path, "true or false");
        return false;
    }

    // A value that must be text (an env value, a label): a string, or a number or boolean as it is
    // written (0x1F, 1_000, 3.10): both loaders keep a scalar's source text, so a YAML spec and
    // its TOML twin give the same value.
    bool text(const Node& n, const std::string& path, std::string& out) {
        if (n.kind == Kind::string) {
            return string(n, path, out);
        }
        if (n.kind == Kind::integer || n.kind == Kind::floating || n.kind == Kind::boolean) {
            out = n.scalar;
            return true;
        }
        type_error(n, path, "a string");
        return false;
    }

    // A string or a list of strings.
    bool strings(const Node& n, const std::string& path, std::vector<std::string>& out,
                 bool allow_single = true) {
        if (allow_single && n.kind == Kind::string) {
            out.push_back(n.scalar);
            return true;
        }
        if (n.kind != Kind::list) {
            type_error(n, path,
                       allow_single ? "a string or a list of strings" : "a list of strings");
            return false;
        }
        bool ok = true;
        for (std::size_t i = 0; i < n.items.size(); ++i) {
            std::string s;
            if (string(n.items[i], fmt::format("{}[{}]", path, i), s)) {
                out.push_back(std::move(s));
            } else {
                ok = false;
            }
        }
        return ok;
    }

    SecretMount secret_mount(const Node& n, const std::string& path) {
        SecretMount m;
        m.mark = n.mark;
        if (n.kind == Kind::string) {
            m.key = n.scalar;
        } else if (n.kind == Kind::map) {
            check_keys(n, path, {"key", "group", "mount", "as_env_var"});
            if (const Node* k = n.find("key")) {
                string(*k, path + ".key", m.key);
            } else {
                error(n, path, "a secret mount needs a 'key'");
            }
            if (const Node* g = n.find("group")) {
                if (string(*g, path + ".group", m.group) && !m.group.empty()) {
                    if (auto msg = check_secret_name(m.group); !msg.empty()) {
                        error(*g, path + ".group", invalid(m.group, msg));
                        m.group.clear();
                    }
                }
            }
            if (const Node* t = n.find("mount")) {
                if (string(*t, path + ".mount", m.mount)) {
                    if (auto msg = check_mount_path(m.mount); !msg.empty()) {
                        error(*t, path + ".mount", invalid(m.mount, msg), "e.g. /root/.netrc");
                        m.mount.clear();
                    }
                }
            }
            if (const Node* e = n.find("as_env_var")) {
                if (string(*e, path + ".as_env_var", m.as_env_var)) {
                    if (auto msg = check_env_name(m.as_env_var); !msg.empty()) {
                        error(*e, path + ".as_env_var", msg);
                    }
                }
            }
            if (!m.mount.empty() && !m.as_env_var.empty()) {
                error(n, path, "give either 'mount' or 'as_env_var', not both");
            }
        } else {
            type_error(n, path, "a secret name or a map {key, group, mount, as_env_var}");
            return m;
        }
        if (!m.key.empty()) {
            if (auto msg = check_secret_name(m.key); !msg.empty()) {
                error(n, path, msg);
            }
        }
        m_secret_uses.push_back({m.key, m.group, path, n.mark});
        return m;
    }

    std::vector<SecretMount> secret_mounts(const Node& n, const std::string& path) {
        std::vector<SecretMount> out;
        if (n.kind == Kind::string || n.kind == Kind::map) {
            out.push_back(secret_mount(n, path));
        } else if (n.kind == Kind::list) {
            for (std::size_t i = 0; i < n.items.size(); ++i) {
                out.push_back(secret_mount(n.items[i], fmt::format("{}[{}]", path, i)));
            }
        } else {
            type_error(n, path, "a list of secret names");
        }
        return out;
    }

    void url(const Node& n, const std::string& path, std::string& out) {
        if (!string(n, path, out)) {
            return;
        }
        // '$' only as $NAME or ${NAME} of a secret (checked against the step's secrets later).
        static const std::string bad = " \t\n\r\"'`\\;|&<>(){}$";
        auto plain = replace_variable_refs(out, "x");
        if (out.empty() || out.find("://") == std::string::npos || !plain ||
            plain->find_first_of(bad) != std::string::npos) {
            error(
                n, path, "not a valid index URL",
                "e.g. https://pypi.example.com/simple, or https://__token__:$PAT@host/simple with "
                "PAT a secret of this step");
        }
    }

    // Pip options from the option map (keys already checked).
    PipOptions pip_options(const Node& opts, const std::string& path) {
        PipOptions o;
        if (const Node* n = opts.find("index_url")) {
            url(*n, path + ".index_url", o.index_url);
        }
        if (const Node* n = opts.find("extra_index_urls")) {
            std::vector<std::string> urls;
            if (strings(*n, path + ".extra_index_urls", urls)) {
                Node tmp;
                for (std::size_t i = 0; i < urls.size(); ++i) {
                    tmp = n->kind == Kind::list ? n->items[i] : *n;
                    std::string u;
                    url(tmp, fmt::format("{}.extra_index_urls[{}]", path, i), u);
                }
                o.extra_index_urls = std::move(urls);
            }
        }
        if (const Node* n = opts.find("pre")) {
            boolean(*n, path + ".pre", o.pre);
        }
        if (const Node* n = opts.find("extra_args")) {
            extra_args(*n, path + ".extra_args", o.extra_args);
        }
        if (const Node* n = opts.find("secret_mounts")) {
            o.secret_mounts = secret_mounts(*n, path + ".secret_mounts");
        }
        if (const Node* n = opts.find("index_url")) {
            secret_refs(*n, path + ".index_url", o.index_url, o.secret_mounts);
        }
        if (const Node* n = opts.find("extra_index_urls")) {
            for (std::size_t i = 0; i < o.extra_index_urls.size(); ++i) {
                secret_refs(n->kind == Kind::list ? n->items[i] : *n,
                            fmt::format("{}.extra_index_urls[{}]", path, i), o.extra_index_urls[i],
                            o.secret_mounts);
            }
        }
        return o;
    }

    // `$NAME` in a pip option or package: only the variable of a secret this step exports
    // (mounted without a file), which the RUN's shell expands.
    void secret_refs(const Node& n, const std::string& path, const std::string& value,
                     const std::vector<SecretMount>& mounts) {
        auto refs = variable_refs(value);
        if (!refs) {
            return; // reported by the value's own check
        }
        for (const auto& name : *refs) {
            bool exported = std::any_of(mounts.begin(), mounts.end(), [&](const SecretMount& m) {
                return mount_target(m).empty() && secret_env_name(m) == name;
            });
            if (!exported) {
                error(n, path, fmt::format("'${}' is not a secret exported in this step", name),
                      fmt::format(
                          "add secret_mounts: [{}] to this layer (a secret without 'mount' is "
                          "an environment variable); a literal '$' cannot appear here",
                          name));
            }
        }
    }

    // A secret mount's file target: its own, else its definition's; empty: an env variable.
    std::string mount_target(const SecretMount& m) const {
        if (!m.mount.empty()) {
            return m.mount;
        }
        auto it = m_def_mounts.find(m.key);
        return it != m_def_mounts.end() ? it->second : std::string();
    }

    void extra_args(const Node& n, const std::string& path, std::string& out) {
        if (!string(n, path, out)) {
            return;
        }
        try {
            (void)util::shell_split(out);
        } catch (const Error& e) {
            error(n, path, e.what(), "extra_args are split like a shell would, without expansion");
        }
    }

    InstallMode install_mode(const Node& opts, const std::string& path) {
        const Node* n = opts.find("project_install_mode");
        if (n == nullptr) {
            return InstallMode::dependencies_only;
        }
        std::string s;
        if (string(*n, path + ".project_install_mode", s)) {
            if (s == "dependencies_only") {
                return InstallMode::dependencies_only;
            }
            if (s == "install_project") {
                return InstallMode::install_project;
            }
            error(*n, path + ".project_install_mode", fmt::format("unknown mode '{}'", s),
                  "use dependencies_only or install_project");
        }
        return InstallMode::dependencies_only;
    }

    void layer(const Node& n, std::size_t index, std::vector<Layer>& out);
    Base base(const Node& n);
    Spec spec(const Node& root, const std::filesystem::path& file);

    struct SecretUse {
        std::string key, group, path;
        Mark mark;
    };
    std::vector<SecretUse> m_secret_uses;
    // The `mount` of each secret definition, read ahead: a layer's secret is a file or a variable.
    std::map<std::string, std::string> m_def_mounts;
    void runtime(const Node& root, Runtime& out);
    std::optional<Command> command(const Node& n, const std::string& path);

  private:
    std::string m_file;
    Diagnostics& m_diags;
};

// The keys a layer kind accepts beside (or inside) its kind key.
std::vector<std::string> layer_option_keys(const std::string& kind) {
    if (kind == "pip_packages" || kind == "requirements") {
        return concat({"file"}, pip_option_keys);
    }
    if (kind == "uv_project") {
        return concat({"pyproject", "uvlock", "project_install_mode"}, pip_option_keys);
    }
    if (kind == "poetry_project") {
        return {"pyproject", "poetry_lock", "extra_args", "project_install_mode", "secret_mounts"};
    }
    if (kind == "apt_packages" || kind == "commands") {
        return {"secret_mounts"};
    }
    if (kind == "source_folder") {
        return {"src", "dst", "copy_contents_only"};
    }
    if (kind == "source_file") {
        return {"src", "dst"};
    }
    if (kind == "code_bundle") {
        return {"copy_style", "dst", "root_dir", "entry"};
    }
    if (kind == "local_v2" || kind == "local_v2_plugins") {
        return {"dist", "plugins"};
    }
    if (kind == "dockerignore") {
        return {"file"};
    }
    return {};
}

void Reader::layer(const Node& n, std::size_t index, std::vector<Layer>& out) {
    const std::string path = fmt::format("layers[{}]", index);
    if (n.kind != Kind::map) {
        type_error(n, path, "a map with one layer kind key, e.g. {pip_packages: [numpy]}");
        return;
    }
    // Exactly one kind key; the other keys are its options.
    std::string kind;
    const Node* value = nullptr;
    for (std::size_t i = 0; i < n.entries.size(); ++i) {
        const auto& [k, v] = n.entries[i];
        if (std::find(layer_kinds.begin(), layer_kinds.end(), k) != layer_kinds.end()) {
            if (!kind.empty()) {
                error_at(n.key_marks[i], path,
                         fmt::format("a layer has exactly one kind, found '{}' and '{}'", kind, k),
                         "split them into two list entries");
                return;
            }
            kind = k;
            value = &v;
        }
    }
    if (kind.empty()) {
        // Name the key meant as the kind: one close to a kind, else one that no kind takes.
        std::string hint = fmt::format("layer kinds: {}", util::join(layer_kinds, ", "));
        const std::string none = "no layer kind in this layer";
        std::string message = none;
        for (const auto& [k, v] : n.entries) {
            if (auto near = util::closest_match(k, layer_kinds); !near.empty()) {
                hint = fmt::format("did you mean '{}'?", near);
                message = fmt::format("unknown layer kind '{}'", k);
                break;
            }
            auto takes = [&k = k](const std::string& kd) {
                auto options = layer_option_keys(kd);
                return std::find(options.begin(), options.end(), k) != options.end();
            };
            if (message == none && std::none_of(layer_kinds.begin(), layer_kinds.end(), takes)) {
                message = fmt::format("unknown layer kind '{}'", k);
            }
        }
        error(n, path, message, hint);
        return;
    }
    const std::string kpath = path + "." + kind;
    // Options: the value's own map entries (for map-valued kinds) plus sibling keys.
    Node opts;
    opts.kind = Kind::map;
    opts.mark = n.mark;
    const auto allowed = layer_option_keys(kind);
    auto add_opts = [&](const Node& from, const std::string& from_path, bool siblings) {
        for (std::size_t i = 0; i < from.entries.size(); ++i) {
            const auto& [k, v] = from.entries[i];
            if (siblings && k == kind) {
                continue;
            }
            if (opts.find(k) != nullptr) {
                error_at(from.key_marks[i], join_path(path, k),
                         "given twice, inside and beside the layer kind");
                continue;
            }
            if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
                std::string hint;
                if (auto near = util::closest_match(k, concat(allowed, layer_kinds));
                    !near.empty()) {
                    hint = fmt::format("did you mean '{}'?", near);
                } else if (allowed.empty()) {
                    hint = fmt::format("'{}' takes no options", kind);
                } else {
                    hint = fmt::format("'{}' options: {}", kind, util::join(allowed, ", "));
                }
                error_at(from.key_marks[i], join_path(from_path, k), "unknown key", hint);
                continue;
            }
            opts.entries.emplace_back(k, v);
            opts.key_marks.push_back(from.key_marks[i]);
        }
    };
    add_opts(n, path, true);
    // A map value holds the kind's keys, for the kinds that have a map form (env_vars is a map of
    // variables; a map given to a scalar or list kind is reported as a type error below).
    const bool map_value =
        value->kind == Kind::map &&
        std::find(map_form_kinds.begin(), map_form_kinds.end(), kind) != map_form_kinds.end();
    if (map_value) {
        add_opts(*value, kpath, false);
    }
    Layer layer;
    layer.kind = kind;
    layer.path = path;
    layer.mark = n.mark;

    // The main value: either the kind's own scalar/list, or a key of the map form.
    auto main_value = [&](const char* key) -> const Node* {
        if (map_value) {
            const Node* v = opts.find(key);
            if (v == nullptr) {
                error(*value, kpath, fmt::format("missing key '{}'", key));
            }
            return v;
        }
        return value;
    };
    auto main_path = [&](const char* key) { return map_value ? kpath + "." + key : kpath; };

    if (kind == "workdir") {
        WorkdirLayer l;
        image_path(*value, kpath, l.path, "a workdir");
        layer.body = l;
    } else if (kind == "apt_packages") {
        AptLayer l;
        if (strings(*value, kpath, l.packages)) {
            for (std::size_t i = 0; i < l.packages.size(); ++i) {
                if (auto msg = check_apt_package(l.packages[i]); !msg.empty()) {
                    error(value->kind == Kind::list ? value->items[i] : *value,
                          fmt::format("{}[{}]", kpath, i), invalid(l.packages[i], msg));
                }
            }
            if (l.packages.empty()) {
                error(*value, kpath, "no packages listed");
            }
        }
        if (const Node* s = opts.find("secret_mounts")) {
            l.secret_mounts = secret_mounts(*s, path + ".secret_mounts");
        }
        layer.body = l;
    } else if (kind == "pip_packages") {
        PipLayer l;
        l.options = pip_options(opts, path);
        if (strings(*value, kpath, l.packages)) {
            for (std::size_t i = 0; i < l.packages.size(); ++i) {
                const Node& item = value->kind == Kind::list ? value->items[i] : *value;
                // `$TOKEN` of a secret of this step may stand in a URL (git+https://$TOKEN@...).
                std::string checked = l.packages[i];
                if (auto plain = replace_variable_refs(checked, "x"); plain && *plain != checked) {
                    checked = *plain;
                    secret_refs(item, fmt::format("{}[{}]", kpath, i), l.packages[i],
                                l.options.secret_mounts);
                }
                if (auto msg = check_pip_requirement(checked); !msg.empty()) {
                    error(item, fmt::format("{}[{}]", kpath, i), invalid(l.packages[i], msg));
                }
            }
            if (l.packages.empty()) {
                error(*value, kpath, "no packages listed");
            }
        }
        layer.body = l;
    } else if (kind == "requirements") {
        RequirementsLayer l;
        if (const Node* f = main_value("file"); f && path_value(*f, main_path("file"), l.file)) {
            if (l.file.extension() != ".txt") {
                error(*f, main_path("file"), "a requirements file must be a .txt file",
                      "for pyproject.toml use uv_project or poetry_project");
            }
        }
        l.options = pip_options(opts, path);
        layer.body = l;
    } else if (kind == "uv_project") {
        UvProjectLayer l;
        if (const Node* f = main_value("pyproject")) {
            path_value(*f, main_path("pyproject"), l.pyproject);
        }
        if (const Node* f = opts.find("uvlock")) {
            path_value(*f, kpath + ".uvlock", l.uvlock);
        }
        l.mode = install_mode(opts, kpath);
        l.options = pip_options(opts, path);
        layer.body = l;
    } else if (kind == "poetry_project") {
        PoetryLayer l;
        if (const Node* f = main_value("pyproject")) {
            path_value(*f, main_path("pyproject"), l.pyproject);
        }
        if (const Node* f = opts.find("poetry_lock")) {
            path_value(*f, kpath + ".poetry_lock", l.lock);
        }
        if (const Node* f = opts.find("extra_args")) {
            extra_args(*f, kpath + ".extra_args", l.extra_args);
        }
        if (const Node* s = opts.find("secret_mounts")) {
            l.secret_mounts = secret_mounts(*s, kpath + ".secret_mounts");
        }
        l.mode = install_mode(opts, kpath);
        layer.body = l;
    } else if (kind == "env_vars") {
        EnvLayer l;
        if (value->kind != Kind::map) {
            type_error(*value, kpath, "a map of NAME: value");
        } else {
            for (std::size_t i = 0; i < value->entries.size(); ++i) {
                const auto& [k, v] = value->entries[i];
                const std::string vpath = kpath + "." + k;
                if (auto msg = check_env_name(k); !msg.empty()) {
                    error_at(value->key_marks[i], vpath, msg);
                }
                std::string val;
                if (v.kind != Kind::string && v.kind != Kind::null && text(v, vpath, val)) {
                    l.vars.emplace_back(k, val);
                } else if (v.kind == Kind::string) {
                    if (v.scalar.find_first_of("\n\r") != std::string::npos) {
                        error(v, vpath, "an environment value cannot contain a newline",
                              "a Dockerfile ENV cannot carry one; write the value to a file "
                              "with a source_file layer instead");
                    } else if (v.scalar.find('\0') != std::string::npos) {
                        error(v, vpath, "an environment value cannot contain a NUL byte");
                    } else if (auto msg = check_env_value(v.scalar); !msg.empty()) {
                        error(v, vpath, msg, "write \\$ for a literal dollar sign");
                    }
                    l.vars.emplace_back(k, v.scalar);
                } else if (v.kind == Kind::null) {
                    type_error(v, vpath, "a string");
                }
            }
        }
        layer.body = l;
    } else if (kind == "source_folder") {
        SourceFolderLayer l;
        if (const Node* f = main_value("src")) {
            path_value(*f, main_path("src"), l.src);
        }
        if (const Node* d = opts.find("dst")) {
            destination(*d, kpath + ".dst", l.dst);
        }
        if (const Node* c = opts.find("copy_contents_only")) {
            boolean(*c, kpath + ".copy_contents_only", l.copy_contents_only);
        }
        layer.body = l;
    } else if (kind == "source_file") {
        SourceFileLayer l;
        if (const Node* f = main_value("src")) {
            std::vector<std::string> srcs;
            if (strings(*f, main_path("src"), srcs)) {
                std::map<std::string, std::size_t> seen;
                for (std::size_t i = 0; i < srcs.size(); ++i) {
                    std::filesystem::path p = srcs[i];
                    const Node& item = f->kind == Kind::list ? f->items[i] : *f;
                    std::string ipath = f->kind == Kind::list
                                            ? fmt::format("{}[{}]", main_path("src"), i)
                                            : main_path("src");
                    if (srcs[i].empty()) {
                        error(item, ipath, "a path must not be empty");
                        continue;
                    }
                    auto base = p.filename().string();
                    if (auto [it, fresh] = seen.emplace(base, i); !fresh) {
                        error(item, ipath,
                              fmt::format("duplicate file name '{}' (also at index {})", base,
                                          it->second),
                              "files are copied into one folder; use two source_file layers with "
                              "different dst");
                    }
                    l.src.push_back(p);
                }
                if (srcs.empty()) {
                    error(*f, main_path("src"), "no files listed");
                }
            }
        }
        if (const Node* d = opts.find("dst")) {
            destination(*d, kpath + ".dst", l.dst);
        }
        layer.body = l;
    } else if (kind == "dockerignore") {
        DockerignoreLayer l;
        if (const Node* f = main_value("file")) {
            path_value(*f, main_path("file"), l.file);
        }
        layer.body = l;
    } else if (kind == "code_bundle") {
        CodeBundleLayer l;
        if (!map_value) {
            type_error(*value, kpath, "a map {copy_style, dst, root_dir, entry}");
        }
        if (const Node* c = opts.find("copy_style")) {
            std::string s;
            if (string(*c, kpath + ".copy_style", s)) {
                if (s == "all") {
                    l.copy_style = CopyStyle::all;
                } else if (s == "loaded_modules") {
                    l.copy_style = CopyStyle::loaded_modules;
                } else {
                    error(*c, kpath + ".copy_style", fmt::format("unknown copy style '{}'", s),
                          "use loaded_modules or all");
                }
            }
        }
        if (const Node* d = opts.find("dst")) {
            destination(*d, kpath + ".dst", l.dst);
        }
        if (const Node* r = opts.find("root_dir")) {
            path_value(*r, kpath + ".root_dir", l.root_dir);
        }
        if (const Node* e = opts.find("entry")) {
            strings(*e, kpath + ".entry", l.entry);
        }
        if (map_value && l.copy_style == CopyStyle::loaded_modules && l.entry.empty()) {
            error(*value, kpath,
                  "copy_style loaded_modules needs 'entry': the files to scan for imports");
        }
        layer.body = l;
    } else if (kind == "commands") {
        CommandsLayer l;
        if (strings(*value, kpath, l.commands)) {
            for (std::size_t i = 0; i < l.commands.size(); ++i) {
                if (l.commands[i].find_first_not_of(" \t\n") == std::string::npos) {
                    error(value->kind == Kind::list ? value->items[i] : *value,
                          fmt::format("{}[{}]", kpath, i), "an empty command");
                }
            }
            if (l.commands.empty()) {
                error(*value, kpath, "no commands listed");
            }
        }
        if (const Node* s = opts.find("secret_mounts")) {
            l.secret_mounts = secret_mounts(*s, path + ".secret_mounts");
        }
        layer.body = l;
    } else if (kind == "local_v2") {
        LocalV2Layer l;
        if (value->kind == Kind::string) {
            path_value(*value, kpath, l.dist);
        } else if (!(map_value || value->kind == Kind::null ||
                     (value->kind == Kind::boolean && value->scalar == "true"))) {
            type_error(*value, kpath, "true, a dist folder or a map {dist}");
        }
        if (const Node* d = opts.find("dist")) {
            path_value(*d, kpath + ".dist", l.dist);
        }
        if (opts.find("plugins") != nullptr) {
            error(*opts.find("plugins"), kpath + ".plugins", "plugins belong to local_v2_plugins");
        }
        layer.body = l;
    } else if (kind == "local_v2_plugins") {
        LocalV2PluginsLayer l;
        if (const Node* p = main_value("plugins");
            p && strings(*p, main_path("plugins"), l.plugins)) {
            for (std::size_t i = 0; i < l.plugins.size(); ++i) {
                const Node& item = p->kind == Kind::list ? p->items[i] : *p;
                if (!util::starts_with(l.plugins[i], "flyteplugins-") ||
                    !check_pip_requirement(l.plugins[i]).empty()) {
                    error(item, fmt::format("{}[{}]", main_path("plugins"), i),
                          fmt::format("'{}' is not a plugin name", l.plugins[i]),
                          "plugin names start with 'flyteplugins-', e.g. flyteplugins-ray");
                }
            }
        }
        if (const Node* d = opts.find("dist")) {
            path_value(*d, kpath + ".dist", l.dist);
        }
        layer.body = l;
    }
    out.push_back(std::move(layer));
}

Base Reader::base(const Node& n) {
    if (n.kind != Kind::map) {
        type_error(n, "from",
                   "a map with one of: debian_base, base, ref_name, uv_script, dockerfile, spec");
        return DebianBase{};
    }
    check_keys(n, "from", base_keys);
    std::vector<std::string> found;
    for (const auto& [k, v] : n.entries) {
        if (std::find(base_keys.begin(), base_keys.end(), k) != base_keys.end()) {
            found.push_back(k);
        }
    }
    if (found.size() != 1) {
        if (found.empty() && n.entries.empty()) {
            error(n, "from", "no base given", "use one of: " + util::join(base_keys, ", "));
        } else if (found.size() > 1) {
            error(n, "from",
                  fmt::format("exactly one base form, found {}", util::join(found, ", ")),
                  "keep one; to add steps on top of a base, use 'layers:'");
        }
        return DebianBase{};
    }
    const std::string& k = found.front();
    const Node& v = *n.find(k);
    const std::string path = "from." + k;
    if (k == "debian_base") {
        DebianBase b;
        if (v.kind == Kind::map) {
            check_keys(v, path, {"python_version", "flyte_version", "install_flyte"});
            if (const Node* p = v.find("python_version")) {
                if (string(*p, path + ".python_version", b.python_version)) {
                    if (auto msg = check_python_version(b.python_version); !msg.empty()) {
                        error(*p, path + ".python_version", invalid(b.python_version, msg));
                    }
                }
            }
            if (const Node* f = v.find("flyte_version")) {
                if (string(*f, path + ".flyte_version", b.flyte_version) &&
                    !check_pip_requirement("flyte==" + b.flyte_version).empty()) {
                    error(*f, path + ".flyte_version", "not a valid version", "e.g. \"2.0.1\"");
                }
            }
            if (const Node* i = v.find("install_flyte")) {
                boolean(*i, path + ".install_flyte", b.install_flyte);
            }
        } else if (v.kind != Kind::null && !(v.kind == Kind::boolean && v.scalar == "true")) {
            type_error(v, path, "a map {python_version, flyte_version, install_flyte}");
        }
        return b;
    }
    if (k == "base") {
        ImageBase b;
        if (string(v, path, b.uri)) {
            if (auto msg = check_image_ref(b.uri); !msg.empty()) {
                error(v, path, invalid(b.uri, msg),
                      "e.g. python:3.12-slim-bookworm or registry.example.com/team/img:tag");
            }
        }
        return b;
    }
    if (k == "ref_name") {
        RefNameBase b;
        string(v, path, b.name);
        return b;
    }
    if (k == "uv_script") {
        UvScriptBase b;
        const Node* script = &v;
        if (v.kind == Kind::map) {
            check_keys(v, path, concat({"script"}, pip_option_keys));
            script = v.find("script");
            if (script == nullptr) {
                error(v, path, "missing key 'script'");
            }
            b.options = pip_options(v, path);
        }
        if (script != nullptr) {
            path_value(*script, v.kind == Kind::map ? path + ".script" : path, b.script);
        }
        return b;
    }
    if (k == "dockerfile") {
        DockerfileBase b;
        path_value(v, path, b.file);
        return b;
    }
    SpecBase b;
    path_value(v, path, b.file);
    return b;
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
        if (n->kind != Kind::map) {
            type_error(*n, "secrets", "a map of NAME: {env: VAR} or {file: PATH}");
        } else {
            for (std::size_t i = 0; i < n->entries.size(); ++i) {
                const auto& [k, v] = n->entries[i];
                const std::string spath = "secrets." + k;
                if (auto msg = check_secret_name(k); !msg.empty()) {
                    error_at(n->key_marks[i], spath, msg);
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
    if (const Node* n = root.find("layers")) {
        if (n->kind == Kind::list) {
            for (std::size_t i = 0; i < n->items.size(); ++i) {
                layer(n->items[i], i, s.layers);
            }
        } else if (n->kind != Kind::null) {
            type_error(*n, "layers", "a list of layers");
        }
    }
    // Secrets named but not defined mean the environment variable of that name, as the Flyte SDK
    // names it: github-pat is GITHUB_PAT.
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

std::optional<Command> Reader::command(const Node& n, const std::string& path) {
    Command c;
    if (n.kind == Kind::string) {
        c.shell = true;
        c.args.push_back(n.scalar);
    } else if (n.kind == Kind::list) {
        if (!strings(n, path, c.args, false)) {
            return std::nullopt;
        }
    } else {
        type_error(n, path, "a string (run by /bin/sh -c) or a list (run as it is)");
        return std::nullopt;
    }
    if (c.args.empty() || (c.shell && c.args[0].find_first_not_of(" \t") == std::string::npos)) {
        error(n, path, "an empty command");
        return std::nullopt;
    }
    for (const auto& a : c.args) {
        if (a.find('\0') != std::string::npos) {
            error(n, path, "a command must not contain a NUL character");
            return std::nullopt;
        }
    }
    return c;
}

void Reader::runtime(const Node& root, Runtime& out) {
    if (const Node* n = root.find("user")) {
        std::string u;
        if (text(*n, "user", u)) {
            if (auto msg = check_user(u); !msg.empty()) {
                error(*n, "user", invalid(u, msg), "e.g. flyte, 1000 or 1000:1000");
            } else {
                out.user = u;
            }
        }
    }
    if (const Node* n = root.find("entrypoint")) {
        out.entrypoint = command(*n, "entrypoint");
    }
    if (const Node* n = root.find("cmd")) {
        out.cmd = command(*n, "cmd");
    }
    if (const Node* n = root.find("labels")) {
        if (n->kind != Kind::map) {
            type_error(*n, "labels", "a map of key: value");
        } else {
            for (std::size_t i = 0; i < n->entries.size(); ++i) {
                const auto& [k, v] = n->entries[i];
                const std::string lpath = "labels." + k;
                if (auto msg = check_label_key(k); !msg.empty()) {
                    error_at(n->key_marks[i], lpath, invalid(k, msg));
                    continue;
                }
                std::string val;
                if (text(v, lpath, val)) {
                    if (val.find_first_of("\n\r") != std::string::npos) {
                        error(v, lpath, "a label value cannot contain a newline");
                        continue;
                    }
                    out.labels.emplace_back(k, val);
                }
            }
        }
    }
    if (const Node* n = root.find("expose")) {
        const Node* items = n;
        Node one;
        if (n->kind != Kind::list) {
            one.kind = Kind::list;
            one.items.push_back(*n);
            items = &one;
        }
        for (std::size_t i = 0; i < items->items.size(); ++i) {
            const Node& item = items->items[i];
            std::string path = n->kind == Kind::list ? fmt::format("expose[{}]", i) : "expose";
            std::string port;
            if (text(item, path, port)) {
                if (auto msg = check_port(port); !msg.empty()) {
                    error(item, path, invalid(port, msg), "e.g. 8080 or \"8080/udp\"");
                } else {
                    out.expose.push_back(port);
                }
            }
        }
    }
    if (const Node* n = root.find("stopsignal")) {
        std::string sig;
        if (text(*n, "stopsignal", sig)) {
            if (auto msg = check_signal(sig); !msg.empty()) {
                error(*n, "stopsignal", invalid(sig, msg));
            } else {
                out.stopsignal = sig;
            }
        }
    }
    if (const Node* n = root.find("healthcheck")) {
        Healthcheck h;
        if (n->kind == Kind::string && n->scalar == "none") {
            h.none = true;
            out.healthcheck = h;
        } else if (n->kind != Kind::map) {
            type_error(*n, "healthcheck",
                       "a map {test, interval, timeout, start_period, retries} or none");
        } else {
            check_keys(*n, "healthcheck",
                       {"test", "interval", "timeout", "start_period", "retries"});
            if (const Node* t = n->find("test")) {
                if (auto c = command(*t, "healthcheck.test")) {
                    h.test = *c;
                }
            } else {
                error(*n, "healthcheck", "a healthcheck needs a 'test' command",
                      "e.g. test: \"curl -f http://localhost:8080/ || exit 1\"");
            }
            for (auto [key, field] :
                 {std::pair{"interval", &h.interval}, std::pair{"timeout", &h.timeout},
                  std::pair{"start_period", &h.start_period}}) {
                if (const Node* d = n->find(key)) {
                    std::string dpath = std::string("healthcheck.") + key;
                    if (string(*d, dpath, *field)) {
                        if (auto msg = check_duration(*field); !msg.empty()) {
                            error(*d, dpath, invalid(*field, msg));
                            field->clear();
                        }
                    }
                }
            }
            if (const Node* r = n->find("retries")) {
                if (r->kind != Kind::integer ||
                    r->scalar.find_first_not_of("0123456789") != std::string::npos ||
                    r->scalar.size() > 4) {
                    error(*r, "healthcheck.retries", "expected a whole number, e.g. 3");
                } else {
                    h.retries = r->scalar;
                }
            }
            out.healthcheck = h;
        }
    }
}

} // namespace

std::string secret_env_name(const SecretMount& m) {
    if (!m.as_env_var.empty()) {
        return m.as_env_var;
    }
    return loose_name(m.group.empty() ? m.key : m.group + "_" + m.key);
}

namespace {

// `name` for messages; `abs` the file, whose folder is the spec's.
Spec read_root(Node root, const std::string& name, const std::filesystem::path& abs) {
    point_empty_values_at_keys(root);
    Diagnostics diags;
    Reader reader(name, diags);
    Spec s = reader.spec(root, abs);
    s.display = name;
    diags.throw_if_any();
    return s;
}

} // namespace

Spec read_spec(const std::filesystem::path& file) {
    return read_root(load_file(file.string()), file.string(),
                     std::filesystem::absolute(file).lexically_normal());
}

Spec read_spec_stdin(Format format, const std::filesystem::path& dir) {
    const std::string name = "<stdin>";
    return read_root(load_stdin(format, name), name,
                     (std::filesystem::absolute(dir) / name).lexically_normal());
}

} // namespace imgspec::spec
