#pragma once
// The spec files that command-line arguments name: files, folders and glob patterns.

#include <string>
#include <vector>

namespace imgspec::pipeline {

// Each argument, in order, to spec files:
//   - "-" (standard input) and an existing file: as they are;
//   - a folder: the spec files directly in it (not in subfolders, which are specs' contexts), in
//     byte order of their names: `imgspec.yaml`, `imgspec.yml` and `imgspec.toml` when the folder
//     has any of them (what `imgspec init` writes beside a project's own YAML and TOML files),
//     else every `*.yaml`, `*.yml` and `*.toml` file but `pyproject.toml` and hidden ones;
//   - a pattern with `*`, `?` or `[` that names no existing file: glob(3); folders it matches
//     expand as above, files count when they end in .yaml, .yml or .toml;
//   - anything else as it is (reading it then says what is wrong).
// A file named twice (the same path after normalization) is kept once, where it came first.
// Throws Error(ErrorKind::usage) for a folder without a spec file and a pattern that matches none.
std::vector<std::string> expand_spec_args(const std::vector<std::string>& args);

// True when an argument names more than one file or may do so (a folder or a pattern), so a
// command answers with a list even when it found one spec.
bool names_many(const std::string& arg);

} // namespace imgspec::pipeline
