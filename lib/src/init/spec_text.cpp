// The starting spec `imgspec init` writes, in YAML or TOML from one description, so both formats
// say the same: dependencies first (their layer stays cached while only the source changes), then
// the source.

#include <imgspec/init/project.hpp>
#include <imgspec/spec/model.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <variant>

namespace imgspec::init {
namespace {

using List = std::vector<std::string>;
struct Field {
    std::string key;
    std::variant<std::string, bool, List> value;
};
using Fields = std::vector<Field>;
using Value = std::variant<std::string, bool, List, Fields>;

struct Entry {
    List comment; // lines before it, without "# "
    std::string key;
    Value value;
};

struct Doc {
    List header;
    std::vector<Entry> top;    // name, python_version
    Entry from;                // the one form under "from:" (its comment goes before "from:")
    List from_comment;         // lines after the form, commented-out alternatives
    std::vector<Entry> layers; // kind key -> value
    List footer;
};

std::string quoted(const std::string& s) {
    return nlohmann::json(s).dump(); // a JSON string is a YAML double-quoted and a TOML basic one
}

std::string yaml_scalar(const std::string& s) {
    const bool safe =
        !s.empty() &&
        s.find_first_not_of("abcdefghijklmnopqrstuvwxyz"
                            "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-") == std::string::npos;
    const bool word = s.front() < '0' || s.front() > '9';
    const bool special =
        s == "true" || s == "false" || s == "null" || s == "yes" || s == "no" || s.front() == '-';
    return safe && word && !special ? s : quoted(s);
}

// How a format writes values: YAML flow style or TOML inline values.
struct Style {
    std::string (*str)(const std::string&);
    std::string_view assign; // between a key and its value
    std::string_view open;   // an inline map
    std::string_view close;
};
const Style yaml_style{yaml_scalar, ": ", "{", "}"};
const Style toml_style{quoted, " = ", "{ ", " }"};

template <typename V> std::string inline_value(const Style& style, const V& value) {
    return std::visit(
        [&](const auto& v) -> std::string {
            using T = std::decay_t<decltype(v)>;
            List parts;
            if constexpr (std::is_same_v<T, bool>) {
                return v ? "true" : "false";
            } else if constexpr (std::is_same_v<T, List>) {
                for (const auto& s : v) {
                    parts.push_back(style.str(s));
                }
                return "[" + util::join(parts, ", ") + "]";
            } else if constexpr (std::is_same_v<T, Fields>) {
                for (const auto& f : v) {
                    parts.push_back(f.key + std::string(style.assign) +
                                    inline_value(style, f.value));
                }
                return std::string(style.open) + util::join(parts, ", ") + std::string(style.close);
            } else {
                return style.str(v);
            }
        },
        value);
}

void comment(std::string& out, const List& lines, const std::string& indent = "") {
    for (const auto& l : lines) {
        out += indent + (l.empty() ? "#" : "# " + l) + "\n";
    }
}

std::string write_yaml(const Doc& d) {
    std::string out;
    comment(out, d.header);
    for (const auto& e : d.top) {
        comment(out, e.comment);
        out += e.key + ": " + inline_value(yaml_style, e.value) + "\n";
    }
    comment(out, d.from.comment);
    out += "from:\n  " + d.from.key + ": " + inline_value(yaml_style, d.from.value) + "\n";
    comment(out, d.from_comment, "  ");
    if (!d.layers.empty()) {
        out += "layers:\n";
        for (const auto& l : d.layers) {
            comment(out, l.comment, "  ");
            out += "  - " + l.key + ": " + inline_value(yaml_style, l.value) + "\n";
        }
    }
    comment(out, d.footer);
    return out;
}

std::string write_toml(const Doc& d) {
    std::string out;
    comment(out, d.header);
    for (const auto& e : d.top) {
        comment(out, e.comment);
        out += e.key + " = " + inline_value(toml_style, e.value) + "\n";
    }
    out += "\n";
    comment(out, d.from.comment);
    out += "[from]\n" + d.from.key + " = " + inline_value(toml_style, d.from.value) + "\n";
    comment(out, d.from_comment);
    for (const auto& l : d.layers) {
        out += "\n";
        comment(out, l.comment);
        out += "[[layers]]\n" + l.key + " = " + inline_value(toml_style, l.value) + "\n";
    }
    if (!d.footer.empty()) {
        out += "\n";
    }
    comment(out, d.footer);
    return out;
}

Entry source_copy() {
    List why = {"Then the source, last: editing it rebuilds only this layer and those after it."};
    return {why, "source_folder",
            Fields{{"src", std::string(".")},
                   {"dst", std::string("/app")},
                   {"copy_contents_only", true}}};
}

Doc describe(const Project& p, const SpecOptions& options) {
    Doc d;
    const std::string format = options.toml ? "toml" : "yaml";
    d.header = {fmt::format("Written by `imgspec init` from {}.",
                            p.found.empty() ? "no project files" : util::join(p.found, ", ")),
                fmt::format("Check it with `imgspec validate imgspec.{0}`, build it with "
                            "`imgspec build imgspec.{0}`.",
                            format)};
    d.top.push_back({{}, "name", p.name});
    if (!p.python_version.empty()) {
        d.top.push_back({{"From .python-version."}, "python_version", p.python_version});
    }

    const std::string version =
        p.python_version.empty() ? std::string(spec::default_python_version) : p.python_version;
    const std::string base =
        options.base.empty() ? fmt::format("python:{}-slim-bookworm", version) : options.base;
    d.header.emplace_back("No registry: `imgspec build` loads the image into the local engine; add "
                          "`registry: HOST/PATH`");
    d.header.emplace_back("to push it there instead.");
    d.from = {{}, "base", base};
    d.from_comment = {"For the Flyte Debian base, with flyte installed, use the debian_base form."};

    auto deps = [&](List why, std::string key, Value value) {
        d.layers.push_back({std::move(why), std::move(key), std::move(value)});
    };
    switch (p.kind) {
    case Kind::uv:
    case Kind::uv_workspace:
    case Kind::poetry: {
        const bool uv = p.kind != Kind::poetry;
        List why = {
            fmt::format("Dependencies from {} first: this layer stays cached while only the "
                        "source changes.",
                        uv ? "uv.lock" : "poetry.lock")};
        if (p.kind == Kind::uv_workspace) {
            why.push_back(
                fmt::format("A uv workspace (members: {}): the members the project "
                            "depends on are installed with them.",
                            p.members.empty() ? "none listed" : util::join(p.members, ", ")));
        }
        Fields fields{{"pyproject", std::string("pyproject.toml")}};
        if (p.package) {
            why.emplace_back("Then the project itself, built from its source and installed (it "
                             "has a [build-system]).");
            fields.push_back({"project_install_mode", std::string("install_project")});
        }
        deps(std::move(why), uv ? "uv_project" : "poetry_project", std::move(fields));
        break;
    }
    case Kind::requirements:
        deps({"Dependencies first: this layer stays cached while only the source changes."},
             "requirements", p.requirements);
        break;
    case Kind::script:
        d.from = {{"The script's dependencies come from its PEP 723 header (# /// script)."},
                  "uv_script",
                  Fields{{"script", p.script}}};
        d.from_comment = {};
        break;
    case Kind::dockerfile:
        d.from = {{"The Dockerfile as it is: a spec built from a Dockerfile adds no layers."},
                  "dockerfile",
                  std::string("Dockerfile")};
        d.from_comment = {};
        return d;
    case Kind::none:
        deps(p.unlocked
                 ? List{"pyproject.toml has no uv.lock or poetry.lock beside it: run `uv lock` "
                        "(or `poetry lock`)",
                        "and `imgspec init --force` to install its locked dependencies "
                        "here, before the source."}
                 : List{"No pyproject.toml, requirements.txt or PEP 723 script here: add the "
                        "install",
                        "layers (pip_packages, requirements, apt_packages, ...) before the "
                        "source."},
             "workdir", std::string("/app"));
        break;
    }
    if (p.kind == Kind::script) {
        d.layers.push_back({{"The script itself."},
                            "source_file",
                            Fields{{"src", List{p.script}}, {"dst", std::string("/app")}}});
    } else if (!p.package) {
        d.layers.push_back(source_copy());
    }
    if (p.kind != Kind::none && !p.package) {
        d.layers.push_back({{}, "workdir", std::string("/app")});
    }
    if (!p.shipped.empty()) {
        d.footer.push_back(fmt::format("{} would be copied too: leave {} out in .dockerignore.",
                                       util::join(p.shipped, " and "),
                                       p.shipped.size() == 1 ? "it" : "them"));
    }
    if (p.dockerfile) {
        d.footer.emplace_back("A Dockerfile is here too: `from: {dockerfile: Dockerfile}` (and no "
                              "layers) builds it as it is.");
    }
    return d;
}

} // namespace

std::string spec_text(const Project& project, const SpecOptions& options) {
    const Doc d = describe(project, options);
    return options.toml ? write_toml(d) : write_yaml(d);
}

std::string dockerignore_text(const Project& /*project*/) {
    return "# Written by `imgspec init`: left out of the build context, and so of the image and "
           "its tag.\n"
           ".git\n"
           ".venv\n"
           "venv\n"
           "**/__pycache__\n"
           "**/*.pyc\n"
           ".mypy_cache\n"
           ".pytest_cache\n"
           ".ruff_cache\n";
}

} // namespace imgspec::init
