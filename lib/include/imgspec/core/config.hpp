#pragma once
// imgspec's own settings: ref names, default registry and builder, and the images that the
// rendered Dockerfiles use. Each value remembers where it came from (`imgspec config`).

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace imgspec {

// Where a value comes from, lowest precedence first: default < file < env < flag.
struct Setting {
    std::string value;
    std::string source = "default"; // "default", "file", "env" or "flag"
    std::string origin = {}; // "config.yaml:3", "IMGSPEC_REGISTRY", "--ref"; "" for a default
};

struct Config {
    Setting registry; // used when a spec names none
    Setting builder;  // buildx builder; empty -> buildx's current
    Setting debian_base_image{"python:{python_version}-slim-bookworm"}; // {python_version} expands
    Setting uv_image{"ghcr.io/astral-sh/uv:0.8.13"};
    Setting installer{"uv"};                        // "uv" or "pip"
    Setting syntax_image{"docker/dockerfile:1.10"}; // only when a spec needs a newer frontend
    std::map<std::string, Setting> refs;            // from_ref_name: name -> image URI
    std::filesystem::path file;                     // the config file read, if any
    std::string file_source;                        // how it was found: "flag" (--config), "env"
                                                    // ($IMGSPEC_CONFIG), "default" (XDG), "" (none)
};

// The settings that $IMGSPEC_<NAME> overrides (upper case), in display order: registry, builder,
// installer, uv_image, debian_base_image, syntax_image.
const std::vector<std::string>& setting_names();
// The setting of that name; nullptr for an unknown name.
const Setting* find_setting(const Config& config, const std::string& name);

// Load the configuration: defaults, then the file (`explicit_file`, else $IMGSPEC_CONFIG, else
// $XDG_CONFIG_HOME/imgspec/config.yaml or ~/.config/imgspec/config.yaml if it exists), then the
// environment ($IMGSPEC_REGISTRY, $IMGSPEC_BUILDER, ... for each of setting_names(); an empty
// variable counts as unset), then `--ref NAME=URI` overrides.
// Throws SpecError for a malformed file, Error(usage) for a malformed --ref, a missing explicit
// file or an invalid environment value.
Config load_config(const std::optional<std::filesystem::path>& explicit_file,
                   const std::vector<std::string>& ref_overrides);

} // namespace imgspec
