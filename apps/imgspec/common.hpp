#pragma once
// Helpers the command files share.

#include "commands.hpp"

#include <imgspec/core/config.hpp>
#include <imgspec/render/image.hpp>

#include <string>

namespace imgspec::app {

Config load_global_config(const GlobalOptions& global);
// Resolve a spec file to its image, logging the plan's warnings.
render::Image resolve(const std::string& spec_file, const Config& config);

} // namespace imgspec::app
