#pragma once
// `imgspec init`: what an existing Python project is made of, and a starting spec for it.
// detect() reads the folder; spec_text() and dockerignore_text() are pure.

#include <filesystem>
#include <string>
#include <vector>

namespace imgspec::init {

enum class Kind {
    none,         // nothing Python found: a base image and the source
    uv,           // pyproject.toml + uv.lock
    uv_workspace, // the same, with [tool.uv.workspace]
    poetry,       // pyproject.toml with [tool.poetry] or poetry.lock
    requirements, // requirements.txt, or a requirements/ folder's production (or base) file
    script,       // a PEP 723 script ("# /// script")
    dockerfile,   // only a Dockerfile: built as it is
};

struct Project {
    Kind kind = Kind::none;
    std::string name;                 // a valid image name, from pyproject's name or the folder's
    std::string python_version;       // "M.m" from .python-version; "" when there is none
    std::string script;               // Kind::script: the script's file name
    std::string requirements;         // Kind::requirements: the file, relative to the folder
    std::vector<std::string> members; // Kind::uv_workspace: the members' globs
    bool dockerfile = false;          // a Dockerfile is there (whatever the kind)
    std::vector<std::string> found;   // the files that decided, for the spec's comment
    std::vector<std::string> shipped; // ".venv", ".git": there, and no .dockerignore leaves
                                      // them out
    bool has_dockerignore = false;
    bool unlocked = false; // a pyproject.toml without uv.lock or poetry.lock (Kind::none)
    bool package = false;  // pyproject.toml has a [build-system]: the project installs as one
};

// What `dir` holds. Throws imgspec::Error (usage) when dir is not a folder.
Project detect(const std::filesystem::path& dir);

struct SpecOptions {
    bool toml = false;
    std::string base; // the base image; "" -> python:{python_version}-slim-bookworm
};

// A commented spec that validates: dependencies installed before the source is copied.
std::string spec_text(const Project& project, const SpecOptions& options);

// A .dockerignore for the project: version control, virtual environments, caches.
std::string dockerignore_text(const Project& project);

// An image name from any word: lower case, runs of other characters as one '-'; "app" if empty.
std::string image_name_from(std::string_view word);

} // namespace imgspec::init
