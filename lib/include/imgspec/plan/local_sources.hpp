#pragma once
// The local sources of a Python project: a uv workspace's members and the path dependencies of a
// uv or poetry project, which the installer needs beside pyproject.toml and the lock to install
// the project's dependencies.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imgspec::plan {

struct LocalSources {
    // Folders (or files: a path source may be a wheel), relative to the project's folder,
    // lexically normal, '/'-separated, sorted, none inside another; "." (the project) left out.
    std::vector<std::string> paths;
    // What the lock asks of uv, for a warning when the configured uv image may be older.
    std::string required_version; // [manifest] / requires: `required-version` of [tool.uv]
    std::string exclude_newer;    // [options] exclude-newer
    // The pyproject's [project] requires-python (PEP 621; uv, and poetry 2), "" when absent.
    std::string requires_python;
    // Poetry's [tool.poetry] package-mode (1.8+): false for an application that is not a
    // package, which Poetry neither builds nor installs.
    bool package = true;
};

// From the pyproject ([tool.uv.workspace] members, with '*' globs expanded under `project_dir`,
// minus `exclude`; [tool.uv.sources] entries with `path`) and the lock, when there is one
// ([[package]] sources `editable`, `path`, `directory`, `virtual`). A file that does not parse
// gives nothing: uv reports it in the build. Reads the folder for the globs, nothing else.
LocalSources uv_local_sources(const std::filesystem::path& project_dir, std::string_view pyproject,
                              std::optional<std::string_view> lock);

// The root of the uv workspace that the project in `project_dir` is a member of: the nearest
// folder above it, up to `top`, whose pyproject's [tool.uv.workspace] members (minus `exclude`)
// name it; nullopt when there is none. Both paths absolute and lexically normal.
std::optional<std::filesystem::path> uv_workspace_root(const std::filesystem::path& project_dir,
                                                       const std::filesystem::path& top);

// A pyproject's [project] name, "" when it has none or does not parse.
std::string project_name(std::string_view pyproject);

// From the pyproject ([tool.poetry.dependencies] and every [tool.poetry.group.*.dependencies]
// entry with `path`) and poetry.lock ([[package]] whose [package.source] is of type file or
// directory: its `url`).
LocalSources poetry_local_sources(std::string_view pyproject, std::optional<std::string_view> lock);

} // namespace imgspec::plan
