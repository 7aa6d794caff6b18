#include <imgspec/config/load_config.hpp>

#include <imgspec/core/error.hpp>
#include <imgspec/spec/names.hpp>
#include <imgspec/spec/node.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>

#include <cctype>
#include <cstdlib>

namespace imgspec {

namespace {

std::optional<std::filesystem::path> default_config_file(std::string& how) {
    if (const char* env = std::getenv("IMGSPEC_CONFIG"); env != nullptr && *env != '\0') {
        how = "env";
        return std::filesystem::path(env);
    }
    how = "default";
    std::filesystem::path dir;
    if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0') {
        dir = xdg;
    } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
        dir = std::filesystem::path(home) / ".config";
    } else {
        return std::nullopt;
    }
    auto file = dir / "imgspec" / "config.yaml";
    std::error_code ec;
    if (std::filesystem::exists(file, ec)) {
        return file;
    }
    return std::nullopt;
}

void read_file(Config& cfg, const std::filesystem::path& file) {
    spec::Node root = spec::load_file(file.string());
    Diagnostics diags;
    const std::string name = file.string();
    cfg.file = file;
    if (root.kind == spec::Node::Kind::null) {
        return;
    }
    if (root.kind != spec::Node::Kind::map) {
        diags.error(name, root.mark, "", "a config file is a map of settings");
        diags.throw_if_any();
    }
    std::vector<std::string> keys = setting_names();
    keys.emplace_back("refs");
    auto str = [&](const spec::Node& n, const std::string& key, Setting& out) {
        if (n.kind != spec::Node::Kind::string) {
            diags.error(name, n.mark, key,
                        fmt::format("expected a string, got {}", spec::describe(n.kind)));
            return;
        }
        out = {n.scalar, "file", n.mark.line > 0 ? fmt::format("{}:{}", name, n.mark.line) : name};
    };
    // true/false, or the same as a string (as `imgspec config` prints every value).
    auto boolean = [&](const spec::Node& n, const std::string& key, Setting& out) {
        if (n.kind == spec::Node::Kind::boolean ||
            (n.kind == spec::Node::Kind::string && (n.scalar == "true" || n.scalar == "false"))) {
            out = {n.scalar, "file",
                   n.mark.line > 0 ? fmt::format("{}:{}", name, n.mark.line) : name};
            return;
        }
        diags.error(name, n.mark, key, "expected true or false");
    };
    for (std::size_t i = 0; i < root.entries.size(); ++i) {
        const auto& [k, v] = root.entries[i];
        if (k == "require_lock") {
            boolean(v, k, cfg.require_lock);
        } else if (k == "registry") {
            str(v, k, cfg.registry);
            if (auto e = spec::check_registry(cfg.registry.value);
                !cfg.registry.value.empty() && !e.empty()) {
                diags.error(name, v.mark, k, e);
            }
        } else if (k == "builder") {
            str(v, k, cfg.builder);
        } else if (k == "debian_base_image") {
            str(v, k, cfg.debian_base_image);
        } else if (k == "uv_image") {
            str(v, k, cfg.uv_image);
        } else if (k == "syntax_image") {
            str(v, k, cfg.syntax_image);
        } else if (k == "installer") {
            str(v, k, cfg.installer);
            if (cfg.installer.value != "uv" && cfg.installer.value != "pip") {
                diags.error(name, v.mark, k, "expected uv or pip");
            }
        } else if (k == "context") {
            str(v, k, cfg.context);
            if (cfg.context.value != "sync" && cfg.context.value != "tar") {
                diags.error(name, v.mark, k, "expected sync or tar");
            }
        } else if (k == "refs") {
            if (v.kind != spec::Node::Kind::map) {
                diags.error(name, v.mark, k, "expected a map of name: image URI");
                continue;
            }
            for (const auto& [rk, rv] : v.entries) {
                Setting s;
                str(rv, "refs." + rk, s);
                cfg.refs[rk] = s;
            }
        } else {
            std::string hint;
            if (auto near = util::closest_match(k, keys); !near.empty()) {
                hint = fmt::format("did you mean '{}'?", near);
            }
            diags.error(name, root.key_marks[i], k, "unknown key", hint);
        }
    }
    diags.throw_if_any();
}

// Config& gives Setting*, const Config& gives const Setting*.
template <class C> auto setting(C& c, const std::string& name) -> decltype(&c.registry) {
    if (name == "registry") {
        return &c.registry;
    }
    if (name == "builder") {
        return &c.builder;
    }
    if (name == "installer") {
        return &c.installer;
    }
    if (name == "uv_image") {
        return &c.uv_image;
    }
    if (name == "debian_base_image") {
        return &c.debian_base_image;
    }
    if (name == "syntax_image") {
        return &c.syntax_image;
    }
    if (name == "context") {
        return &c.context;
    }
    if (name == "require_lock") {
        return &c.require_lock;
    }
    return nullptr;
}

// $IMGSPEC_REGISTRY and friends, checked as the file's values are.
void read_env(Config& cfg) {
    for (const auto& name : setting_names()) {
        std::string var = "IMGSPEC_";
        for (char c : name) {
            var += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        const char* v = std::getenv(var.c_str());
        if (v == nullptr || *v == '\0') {
            continue;
        }
        const std::string value = v;
        if (name == "registry") {
            if (auto e = spec::check_registry(value); !e.empty()) {
                throw Error(ErrorKind::usage, fmt::format("${}: {}", var, e));
            }
        } else if (name == "installer" && value != "uv" && value != "pip") {
            throw Error(ErrorKind::usage, fmt::format("${}: expected uv or pip", var));
        } else if (name == "context" && value != "sync" && value != "tar") {
            throw Error(ErrorKind::usage, fmt::format("${}: expected sync or tar", var));
        } else if (name == "require_lock" && value != "true" && value != "false") {
            throw Error(ErrorKind::usage, fmt::format("${}: expected true or false", var));
        }
        *setting(cfg, name) = {value, "env", var};
    }
}

} // namespace

const std::vector<std::string>& setting_names() {
    static const std::vector<std::string> names = {"registry", "builder",           "installer",
                                                   "uv_image", "debian_base_image", "syntax_image",
                                                   "context",  "require_lock"};
    return names;
}

const Setting* find_setting(const Config& config, const std::string& name) {
    return setting(config, name);
}

Config load_config(const std::optional<std::filesystem::path>& explicit_file,
                   const std::vector<std::string>& ref_overrides) {
    Config cfg;
    if (explicit_file) {
        std::error_code ec;
        if (!std::filesystem::exists(*explicit_file, ec)) {
            throw Error(ErrorKind::usage,
                        fmt::format("config file {} does not exist", explicit_file->string()));
        }
        read_file(cfg, *explicit_file);
        cfg.file_source = "flag";
    } else if (std::string how; auto file = default_config_file(how)) {
        read_file(cfg, *file);
        cfg.file_source = how;
    }
    read_env(cfg);
    for (const auto& r : ref_overrides) {
        auto eq = r.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == r.size()) {
            throw Error(ErrorKind::usage, fmt::format("--ref {}: expected NAME=URI", r));
        }
        std::string uri = r.substr(eq + 1);
        if (auto e = spec::check_image_ref(uri); !e.empty()) {
            throw Error(ErrorKind::usage, fmt::format("--ref {}: {}", r, e));
        }
        cfg.refs[r.substr(0, eq)] = {uri, "flag", "--ref"};
    }
    return cfg;
}

} // namespace imgspec
