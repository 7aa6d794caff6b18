// The Reader's value helpers: strings, paths, booleans, lists, secret mounts and pip options, each
// read with its problems reported where the value is.

#include "reader.hpp"

#include <imgspec/spec/names.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace imgspec::spec::detail {

using Kind = Node::Kind;

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

void Reader::error(const Node& n, const std::string& path, std::string message, std::string hint) {
    m_diags.error(m_file, n.mark, path, std::move(message), std::move(hint));
}

void Reader::error_at(Mark m, const std::string& path, std::string message, std::string hint) {
    m_diags.error(m_file, m, path, std::move(message), std::move(hint));
}

void Reader::type_error(const Node& n, const std::string& path, std::string_view expected) {
    std::string hint;
    if (n.kind == Kind::floating && expected == "a string") {
        hint = fmt::format("{} is read as a number; quote it: \"{}\"", n.scalar, n.scalar);
    }
    error(n, path, fmt::format("expected {}, got {}", expected, describe(n.kind)), hint);
}

// Report keys of `map` that are not in `allowed`, with a "did you mean".
void Reader::check_keys(const Node& map, const std::string& path,
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

std::string Reader::join_path(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
}

bool Reader::string(const Node& n, const std::string& path, std::string& out) {
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
void Reader::image_path(const Node& n, const std::string& path, std::string& out,
                        std::string_view what, std::string hint) {
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

void Reader::destination(const Node& n, const std::string& path, std::string& out) {
    image_path(n, path, out, "a destination", "e.g. /app, or . for the working directory");
}

bool Reader::path_value(const Node& n, const std::string& path, std::filesystem::path& out) {
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

bool Reader::boolean(const Node& n, const std::string& path, bool& out) {
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
bool Reader::text(const Node& n, const std::string& path, std::string& out) {
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
bool Reader::strings(const Node& n, const std::string& path, std::vector<std::string>& out,
                     bool allow_single) {
    if (allow_single && n.kind == Kind::string) {
        out.push_back(n.scalar);
        return true;
    }
    if (n.kind != Kind::list) {
        type_error(n, path, allow_single ? "a string or a list of strings" : "a list of strings");
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

SecretMount Reader::secret_mount(const Node& n, const std::string& path) {
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

std::vector<SecretMount> Reader::secret_mounts(const Node& n, const std::string& path) {
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

void Reader::url(const Node& n, const std::string& path, std::string& out) {
    if (!string(n, path, out)) {
        return;
    }
    // '$' only as $NAME or ${NAME} of a secret (checked against the step's secrets later).
    static const std::string bad = " \t\n\r\"'`\\;|&<>(){}$";
    auto plain = replace_variable_refs(out, "x");
    if (out.empty() || out.find("://") == std::string::npos || !plain ||
        plain->find_first_of(bad) != std::string::npos) {
        error(n, path, "not a valid index URL",
              "e.g. https://pypi.example.com/simple, or https://__token__:$PAT@host/simple with "
              "PAT a secret of this step");
    }
}

// Pip options from the option map (keys already checked).
PipOptions Reader::pip_options(const Node& opts, const std::string& path) {
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
void Reader::secret_refs(const Node& n, const std::string& path, const std::string& value,
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
                  fmt::format("add secret_mounts: [{}] to this layer (a secret without 'mount' is "
                              "an environment variable); a literal '$' cannot appear here",
                              name));
        }
    }
}

// A secret mount's file target: its own, else its definition's; empty: an env variable.
std::string Reader::mount_target(const SecretMount& m) const {
    if (!m.mount.empty()) {
        return m.mount;
    }
    auto it = m_def_mounts.find(m.key);
    return it != m_def_mounts.end() ? it->second : std::string();
}

void Reader::extra_args(const Node& n, const std::string& path, std::string& out) {
    if (!string(n, path, out)) {
        return;
    }
    try {
        (void)util::shell_split(out);
    } catch (const Error& e) {
        error(n, path, e.what(), "extra_args are split like a shell would, without expansion");
    }
}

InstallMode Reader::install_mode(const Node& opts, const std::string& path) {
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

} // namespace imgspec::spec::detail
