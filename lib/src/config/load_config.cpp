#include <imgspec/config/load_config.hpp>

#include <imgspec/core/error.hpp>
#include <imgspec/spec/names.hpp>
#include <imgspec/spec/node.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>
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

// What a setting accepts.
enum class Accepts {
    text,     // any string
    registry, // spec::check_registry
    image,    // spec::check_image_ref
    boolean,  // true or false
    choice,   // one of SettingKind::choices
    seconds,  // a whole number of seconds since 1970 (SOURCE_DATE_EPOCH)
};

// One setting: its name (the file's key; $IMGSPEC_<NAME> in upper case), where it lives in the
// Config and what it accepts. The table below is the only list of settings.
struct SettingKind {
    const char* name;
    Setting Config::*member;
    Accepts accepts = Accepts::text;
    std::vector<std::string> choices = {};
};

const std::vector<SettingKind>& kinds() {
    static const std::vector<SettingKind> table = {
        {"registry", &Config::registry, Accepts::registry},
        {"builder", &Config::builder},
        {"installer", &Config::installer, Accepts::choice, {"uv", "pip"}},
        {"uv_image", &Config::uv_image},
        {"debian_base_image", &Config::debian_base_image},
        {"syntax_image", &Config::syntax_image},
        {"context", &Config::context, Accepts::choice, {"sync", "tar"}},
        {"require_lock", &Config::require_lock, Accepts::boolean},
        {"provenance", &Config::provenance, Accepts::choice, {"off", "min", "max"}},
        {"sbom", &Config::sbom, Accepts::boolean},
        {"sbom_generator", &Config::sbom_generator, Accepts::image},
        {"reproducible", &Config::reproducible, Accepts::boolean},
        {"source_date_epoch", &Config::source_date_epoch, Accepts::seconds},
        {"cache", &Config::cache, Accepts::choice, {"off", "registry"}},
        {"cache_ref", &Config::cache_ref},
    };
    return table;
}

const SettingKind* kind_of(const std::string& name) {
    for (const auto& k : kinds()) {
        if (name == k.name) {
            return &k;
        }
    }
    return nullptr;
}

// Why `value` is not accepted; "" when it is.
std::string check_value(const SettingKind& kind, const std::string& value) {
    switch (kind.accepts) {
    case Accepts::text:
        return {};
    case Accepts::registry:
        return value.empty() ? std::string() : spec::check_registry(value);
    case Accepts::image:
        return spec::check_image_ref(value);
    case Accepts::boolean:
        return value == "true" || value == "false" ? std::string() : "expected true or false";
    case Accepts::choice:
        if (std::find(kind.choices.begin(), kind.choices.end(), value) != kind.choices.end()) {
            return {};
        }
        return "expected " + util::join_or(kind.choices);
    case Accepts::seconds:
        if (!value.empty() && value.size() <= 12 &&
            std::all_of(value.begin(), value.end(),
                        [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
            return {};
        }
        return "expected a whole number of seconds since 1970 (0 to 999999999999)";
    }
    return {};
}

// A scalar the setting can take from the file: strings, and for booleans and seconds also the
// YAML/TOML scalars of that type (as `imgspec config` prints every value quoted).
bool scalar_fits(const SettingKind& kind, const spec::Node& n) {
    switch (n.kind) {
    case spec::Node::Kind::string:
        return true;
    case spec::Node::Kind::boolean:
        return kind.accepts == Accepts::boolean;
    case spec::Node::Kind::integer:
        return kind.accepts == Accepts::seconds;
    default:
        return false;
    }
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
    auto origin = [&](const spec::Node& n) {
        return n.mark.line > 0 ? fmt::format("{}:{}", name, n.mark.line) : name;
    };
    for (std::size_t i = 0; i < root.entries.size(); ++i) {
        const auto& [k, v] = root.entries[i];
        if (const SettingKind* kind = kind_of(k)) {
            if (!scalar_fits(*kind, v)) {
                diags.error(name, v.mark, k,
                            kind->accepts == Accepts::boolean
                                ? std::string("expected true or false")
                                : fmt::format("expected a string, got {}", spec::describe(v.kind)));
                continue;
            }
            if (auto e = check_value(*kind, v.scalar); !e.empty()) {
                diags.error(name, v.mark, k, e);
                continue;
            }
            cfg.*(kind->member) = {v.scalar, "file", origin(v)};
        } else if (k == "refs") {
            if (v.kind != spec::Node::Kind::map) {
                diags.error(name, v.mark, k, "expected a map of name: image URI");
                continue;
            }
            for (const auto& [rk, rv] : v.entries) {
                if (rv.kind != spec::Node::Kind::string) {
                    diags.error(name, rv.mark, "refs." + rk,
                                fmt::format("expected a string, got {}", spec::describe(rv.kind)));
                }
                cfg.refs[rk] = {rv.kind == spec::Node::Kind::string ? rv.scalar : std::string(),
                                "file", origin(rv)};
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

// $IMGSPEC_REGISTRY and friends, checked as the file's values are.
void read_env(Config& cfg) {
    for (const auto& kind : kinds()) {
        std::string var = "IMGSPEC_";
        for (const char* c = kind.name; *c != '\0'; ++c) {
            var += static_cast<char>(std::toupper(static_cast<unsigned char>(*c)));
        }
        const char* v = std::getenv(var.c_str());
        if (v == nullptr || *v == '\0') {
            continue;
        }
        const std::string value = v;
        if (auto e = check_value(kind, value); !e.empty()) {
            throw Error(ErrorKind::usage, fmt::format("${}: {}", var, e));
        }
        cfg.*(kind.member) = {value, "env", var};
    }
}

} // namespace

const std::vector<std::string>& setting_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        for (const auto& k : kinds()) {
            out.emplace_back(k.name);
        }
        return out;
    }();
    return names;
}

const Setting* find_setting(const Config& config, const std::string& name) {
    const SettingKind* kind = kind_of(name);
    return kind == nullptr ? nullptr : &(config.*(kind->member));
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
