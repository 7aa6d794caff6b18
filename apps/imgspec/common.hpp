#pragma once
// Helpers the command files share.

#include "commands.hpp"

#include <imgspec/core/config.hpp>
#include <imgspec/render/image.hpp>
#include <imgspec/util/progress.hpp>

#include <memory>
#include <string>

namespace imgspec::app {

Config load_global_config(const GlobalOptions& global);
// Resolve a spec file to its image, logging the plan's warnings.
render::Image resolve(const std::string& spec_file, const Config& config,
                      plan::PlanOptions options = {});

// The `--no-cache` flag of the commands that hash files: it sets `*no_cache`, and resolve() is
// then given PlanOptions::use_cache = false (every file read, the stat cache neither read nor
// written).
void add_no_cache_flag(CLI::App* cmd, bool& no_cache);

// The progress line on stderr: a TerminalProgress when stderr is a terminal and -q is not given,
// else nullptr. $IMGSPEC_PROGRESS_DELAY_MS (default 500) is how long work runs before the line
// appears (tests set 0).
std::unique_ptr<util::Progress> stderr_progress(const GlobalOptions& global);

} // namespace imgspec::app
