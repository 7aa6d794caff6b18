#pragma once
// imgspec's own settings: ref names, default registry and builder, and the images that the
// rendered Dockerfiles use. Each value remembers where it came from (`imgspec config`).

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace imgspec {

struct Setting {
    std::string value;
    std::string source = "default"; // "default", "env IMGSPEC_CONFIG", a file path, "--ref", ...
};

struct Config {
    Setting registry;                              // used when a spec names none
    Setting builder;                               // buildx builder; empty -> buildx's current
    Setting debian_base_image{"python:{python_version}-slim-bookworm"}; // {python_version} expands
    Setting uv_image{"ghcr.io/astral-sh/uv:0.8.13"};
    Setting installer{"uv"};                        // "uv" or "pip"
    Setting syntax_image{"docker/dockerfile:1.10"}; // only when a spec needs a newer frontend
    std::map<std::string, Setting> refs;            // from_ref_name: name -> image URI
    std::filesystem::path file;                     // the config file read, if any
};

// Load the configuration: defaults, then the file (`explicit_file`, else $IMGSPEC_CONFIG, else
// $XDG_CONFIG_HOME/imgspec/config.yaml or ~/.config/imgspec/config.yaml if it exists), then
// `--ref NAME=URI` overrides.
// Throws SpecError for a malformed file, Error(usage) for a malformed --ref or a missing explicit file.
Config load_config(const std::optional<std::filesystem::path>& explicit_file,
                   const std::vector<std::string>& ref_overrides);

} // namespace imgspec
