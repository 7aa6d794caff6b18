// What a project folder is made of, for `imgspec init`: the same files uv, Poetry, pip and Docker
// look for, in the order a user would expect one to win over another.

#include <imgspec/core/error.hpp>
#include <imgspec/init/project.hpp>
#include <imgspec/plan/dockerignore.hpp>
#include <imgspec/spec/names.hpp>
#include <imgspec/spec/pep723.hpp>

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>

namespace fs = std::filesystem;

namespace imgspec::init {
namespace {

bool is_file(const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec);
}

bool present(const fs::path& p) {
    std::error_code ec;
    return fs::exists(fs::symlink_status(p, ec));
}

// A small text file, or "" when it cannot be read. Files larger than 1 MiB are not project
// metadata and are skipped.
std::string read_small(const fs::path& p) {
    std::error_code ec;
    auto size = fs::file_size(p, ec);
    if (ec || size > (1U << 20)) {
        return {};
    }
    std::ifstream in(p, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// pyproject.toml as a table; nullopt when it is missing or not valid TOML.
std::optional<toml::table> read_pyproject(const fs::path& p) {
    if (!is_file(p)) {
        return std::nullopt;
    }
    try {
        return toml::parse(read_small(p), p.string());
    } catch (const toml::parse_error&) {
        return std::nullopt;
    }
}

// "3.12.4\n" or "cpython@3.12" -> "3.12"; "" when the file says nothing usable.
std::string python_version_from(std::string_view text) {
    std::string first(text.substr(0, text.find('\n')));
    if (std::size_t at = first.find('@'); at != std::string::npos) {
        first = first.substr(at + 1);
    }
    std::size_t dot = first.find('.');
    if (dot == std::string::npos) {
        return {};
    }
    std::size_t end = first.find_first_not_of("0123456789", dot + 1);
    std::string mm = first.substr(0, end);
    return spec::check_python_version(mm).empty() ? mm : std::string();
}

// The one top-level *.py with a PEP 723 "# /// script" block, if exactly one has it.
// requirements.txt, else the file a layered requirements/ folder installs in production
// (cookiecutter-django: production.txt including base.txt; others: prod.txt, requirements.txt),
// else its base.txt.
std::string find_requirements(const fs::path& dir) {
    for (const char* name :
         {"requirements.txt", "requirements/production.txt", "requirements/prod.txt",
          "requirements/requirements.txt", "requirements/base.txt"}) {
        if (is_file(dir / name)) {
            return name;
        }
    }
    return {};
}

std::string find_script(const fs::path& dir) {
    std::vector<std::string> scripts;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        if (entry.path().extension() != ".py" || !is_file(entry.path())) {
            continue;
        }
        const std::string name = entry.path().filename().string();
        try {
            if (spec::read_script_metadata(read_small(entry.path()), name).found) {
                scripts.push_back(name);
            }
        } catch (const Error&) {
            // A malformed block: not a script to build from.
        }
    }
    std::sort(scripts.begin(), scripts.end());
    return scripts.size() == 1 ? scripts.front() : std::string();
}

} // namespace

std::string image_name_from(std::string_view word) {
    std::string out;
    for (char c : word) {
        const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (c >= 'A' && c <= 'Z') {
            out += static_cast<char>(c - 'A' + 'a');
        } else if (keep) {
            out += c;
        } else if (!out.empty() && out.back() != '-') {
            out += '-';
        }
    }
    while (!out.empty() && out.back() == '-') {
        out.pop_back();
    }
    return out.empty() || !spec::check_image_name(out).empty() ? "app" : out;
}

Project detect(const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        throw Error(ErrorKind::usage, fmt::format("{}: not a folder", dir.string()));
    }
    Project p;
    const fs::path abs = fs::absolute(dir).lexically_normal();
    std::string folder = (abs.filename().empty() ? abs.parent_path() : abs).filename().string();
    p.name = image_name_from(folder);

    const std::optional<toml::table> pyproject = read_pyproject(dir / "pyproject.toml");
    if (pyproject) {
        if (auto name = (*pyproject)["project"]["name"].value<std::string>()) {
            p.name = image_name_from(*name);
        } else if (auto poetry_name = (*pyproject)["tool"]["poetry"]["name"].value<std::string>()) {
            p.name = image_name_from(*poetry_name);
        }
    }
    p.dockerfile = is_file(dir / "Dockerfile");
    if (is_file(dir / ".python-version")) {
        p.python_version = python_version_from(read_small(dir / ".python-version"));
        if (!p.python_version.empty()) {
            p.found.push_back(".python-version");
        }
    }

    const bool poetry_lock = is_file(dir / "poetry.lock");
    const bool poetry_table = pyproject && (*pyproject)["tool"]["poetry"].is_table();
    if (pyproject && is_file(dir / "uv.lock")) {
        p.found.insert(p.found.begin(), {"pyproject.toml", "uv.lock"});
        p.kind = Kind::uv;
        if (const toml::array* members =
                (*pyproject)["tool"]["uv"]["workspace"]["members"].as_array()) {
            p.kind = Kind::uv_workspace;
            for (const auto& m : *members) {
                if (auto s = m.value<std::string>()) {
                    p.members.push_back(*s);
                }
            }
        }
    } else if (pyproject && (poetry_lock || poetry_table)) {
        p.found.insert(p.found.begin(), "pyproject.toml");
        if (poetry_lock) {
            p.found.insert(p.found.begin() + 1, "poetry.lock");
        }
        p.kind = Kind::poetry;
    } else if (std::string req = find_requirements(dir); !req.empty()) {
        p.found.insert(p.found.begin(), req);
        p.kind = Kind::requirements;
        p.requirements = req;
    } else if (std::string script = find_script(dir); !script.empty()) {
        p.found.insert(p.found.begin(), script + " (PEP 723)");
        p.kind = Kind::script;
        p.script = script;
        p.name = image_name_from(fs::path(script).stem().string());
    } else if (p.dockerfile) {
        p.found.insert(p.found.begin(), "Dockerfile");
        p.kind = Kind::dockerfile;
    }
    p.unlocked = pyproject && p.kind == Kind::none;
    // Poetry 1.8's package-mode = false: an application, not a package.
    p.package = pyproject && (*pyproject)["build-system"].is_table() &&
                (*pyproject)["tool"]["poetry"]["package-mode"].value_or(true);

    p.has_dockerignore = is_file(dir / ".dockerignore");
    plan::Dockerignore ignore;
    if (p.has_dockerignore) {
        ignore = plan::Dockerignore::parse(read_small(dir / ".dockerignore"));
    }
    for (const char* name : {".git", ".venv", "venv"}) {
        if (present(dir / name) && !ignore.excluded(name)) {
            p.shipped.emplace_back(name);
        }
    }
    return p;
}

} // namespace imgspec::init
