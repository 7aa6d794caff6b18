#include <imgspec/plan/local_sources.hpp>

#include <imgspec/util/fd.hpp>

#include <toml++/toml.h>

#include <algorithm>
#include <set>

namespace imgspec::plan {

namespace fs = std::filesystem;

namespace {

std::optional<toml::table> parse(std::string_view text) {
    try {
        return toml::parse(text);
    } catch (const toml::parse_error&) {
        return std::nullopt;
    }
}

// A member pattern such as "packages/*" or "libs/core": the folders it names that hold a
// pyproject.toml. '*' and '?' match within one path component, as uv's globs do.
bool component_match(std::string_view pattern, std::string_view name) {
    if (pattern.empty()) {
        return name.empty();
    }
    if (pattern[0] == '*') {
        for (std::size_t i = 0; i <= name.size(); ++i) {
            if (component_match(pattern.substr(1), name.substr(i))) {
                return true;
            }
        }
        return false;
    }
    return !name.empty() && (pattern[0] == '?' || pattern[0] == name[0]) &&
           component_match(pattern.substr(1), name.substr(1));
}

void expand(const fs::path& dir, const fs::path& base, const std::vector<std::string>& parts,
            std::size_t at, std::vector<std::string>& out) {
    if (at == parts.size()) {
        if (fs::is_regular_file(dir / "pyproject.toml")) {
            out.push_back(base.generic_string());
        }
        return;
    }
    const std::string& part = parts[at];
    if (part.find_first_of("*?[") == std::string::npos) {
        expand(dir / part, base / part, parts, at + 1, out);
        return;
    }
    std::error_code ec;
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        if (e.is_directory(ec) && component_match(part, e.path().filename().string())) {
            names.push_back(e.path().filename().string());
        }
    }
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
        expand(dir / n, base / n, parts, at + 1, out);
    }
}

std::vector<std::string> glob_members(const fs::path& project_dir, const std::string& pattern) {
    std::vector<std::string> parts;
    for (const auto& p : fs::path(pattern).lexically_normal()) {
        if (!p.empty() && p != ".") {
            parts.push_back(p.string());
        }
    }
    std::vector<std::string> out;
    expand(project_dir, fs::path(), parts, 0, out);
    return out;
}

std::vector<std::string> strings_of(toml::node_view<toml::node> n) {
    std::vector<std::string> out;
    if (const toml::array* a = n.as_array()) {
        for (const auto& item : *a) {
            if (auto s = item.value<std::string>()) {
                out.push_back(*s);
            }
        }
    }
    return out;
}

// Relative paths, normal, the project itself left out; absolute ones are host paths that the
// build cannot see (and the lock would not find either).
class Found {
  public:
    void add(const std::string& p) {
        std::string norm = fs::path(p).lexically_normal().generic_string();
        while (!norm.empty() && norm.back() == '/') {
            norm.pop_back();
        }
        if (!norm.empty() && norm != "." && !fs::path(p).is_absolute()) {
            m_paths.insert(norm);
        }
    }

    // Sorted, none inside another: a folder's tree holds its nested members already.
    std::vector<std::string> outermost() const {
        std::vector<std::string> out;
        for (const auto& p : m_paths) {
            if (out.empty() || p.rfind(out.back() + "/", 0) != 0) {
                out.push_back(p);
            }
        }
        return out;
    }

  private:
    std::set<std::string> m_paths;
};

void add_path_dependencies(const toml::table* deps, Found& found) {
    if (deps == nullptr) {
        return;
    }
    for (const auto& [name, spec] : *deps) {
        if (const toml::table* t = spec.as_table()) {
            if (auto path = (*t)["path"].value<std::string>()) {
                found.add(*path);
            }
        }
    }
}

// The members of a uv workspace root's [tool.uv.workspace] (globs expanded), minus `exclude`.
std::vector<std::string> workspace_members(const fs::path& root, toml::table& pyproject) {
    auto workspace = pyproject["tool"]["uv"]["workspace"];
    std::set<std::string> excluded;
    for (const auto& pattern : strings_of(workspace["exclude"])) {
        for (const auto& m : glob_members(root, pattern)) {
            excluded.insert(m);
        }
    }
    std::vector<std::string> out;
    for (const auto& pattern : strings_of(workspace["members"])) {
        for (const auto& m : glob_members(root, pattern)) {
            if (excluded.count(m) == 0) {
                out.push_back(m);
            }
        }
    }
    return out;
}

} // namespace

LocalSources poetry_local_sources(std::string_view pyproject,
                                  std::optional<std::string_view> lock) {
    Found found;
    LocalSources out;
    if (auto t = parse(pyproject)) {
        auto poetry = (*t)["tool"]["poetry"];
        out.package = poetry["package-mode"].value_or(true);
        out.requires_python = (*t)["project"]["requires-python"].value_or(std::string());
        add_path_dependencies(poetry["dependencies"].as_table(), found);
        add_path_dependencies(poetry["dev-dependencies"].as_table(), found);
        if (const toml::table* groups = poetry["group"].as_table()) {
            for (const auto& [name, group] : *groups) {
                if (const toml::table* g = group.as_table()) {
                    add_path_dependencies((*g)["dependencies"].as_table(), found);
                }
            }
        }
    }
    if (lock) {
        if (auto t = parse(*lock)) {
            if (const toml::array* packages = (*t)["package"].as_array()) {
                for (const auto& pkg : *packages) {
                    const toml::table* p = pkg.as_table();
                    const toml::table* source = p ? (*p)["source"].as_table() : nullptr;
                    auto type = source ? (*source)["type"].value<std::string>() : std::nullopt;
                    if (type && (*type == "file" || *type == "directory")) {
                        if (auto url = (*source)["url"].value<std::string>()) {
                            found.add(*url);
                        }
                    }
                }
            }
        }
    }
    out.paths = found.outermost();
    return out;
}

std::optional<fs::path> uv_workspace_root(const fs::path& project_dir, const fs::path& top) {
    for (fs::path dir = project_dir; dir != top && dir.has_relative_path();) {
        dir = dir.parent_path();
        std::error_code ec;
        if (!fs::is_regular_file(dir / "pyproject.toml", ec)) {
            continue;
        }
        auto t = parse(util::read_text(dir / "pyproject.toml"));
        if (!t || !(*t)["tool"]["uv"]["workspace"].is_table()) {
            continue;
        }
        const std::string rel = project_dir.lexically_relative(dir).generic_string();
        auto members = workspace_members(dir, *t);
        if (std::find(members.begin(), members.end(), rel) != members.end()) {
            return dir;
        }
    }
    return std::nullopt;
}

std::string project_name(std::string_view pyproject) {
    auto t = parse(pyproject);
    return t ? (*t)["project"]["name"].value_or(std::string()) : std::string();
}

LocalSources uv_local_sources(const fs::path& project_dir, std::string_view pyproject,
                              std::optional<std::string_view> lock) {
    LocalSources out;
    Found found;
    auto add = [&](const std::string& p) { found.add(p); };
    if (auto t = parse(pyproject)) {
        auto uv = (*t)["tool"]["uv"];
        out.requires_python = (*t)["project"]["requires-python"].value_or(std::string());
        for (const auto& m : workspace_members(project_dir, *t)) {
            add(m);
        }
        if (const toml::table* sources = uv["sources"].as_table()) {
            for (const auto& [name, source] : *sources) {
                if (auto path = source.as_table()
                                    ? (*source.as_table())["path"].value<std::string>()
                                    : std::nullopt) {
                    add(*path);
                }
            }
        }
        if (auto v = uv["required-version"].value<std::string>()) {
            out.required_version = *v;
        }
    }
    if (lock) {
        if (auto t = parse(*lock)) {
            if (const toml::array* packages = (*t)["package"].as_array()) {
                for (const auto& pkg : *packages) {
                    const toml::table* source =
                        pkg.as_table() ? (*pkg.as_table())["source"].as_table() : nullptr;
                    if (source == nullptr) {
                        continue;
                    }
                    for (const char* kind : {"editable", "path", "directory", "virtual"}) {
                        if (auto p = (*source)[kind].value<std::string>()) {
                            add(*p);
                        }
                    }
                }
            }
            if (auto v = (*t)["options"]["exclude-newer"].value<std::string>()) {
                out.exclude_newer = *v;
            }
            if (auto v = (*t)["manifest"]["requires"]["required-version"].value<std::string>()) {
                out.required_version = *v;
            }
        }
    }
    out.paths = found.outermost();
    return out;
}

} // namespace imgspec::plan
