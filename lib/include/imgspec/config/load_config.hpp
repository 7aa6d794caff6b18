#pragma once
// Reading imgspec's settings (core/config.hpp) from their sources: defaults, the config file, the
// environment and the command line. Above spec/ (the file is read with the spec's loader), so the
// core stays free of it.

#include <imgspec/core/config.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace imgspec {

// The settings that $IMGSPEC_<NAME> overrides (upper case), in display order: registry, builder,
// installer, uv_image, debian_base_image, syntax_image, context, require_lock.
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
