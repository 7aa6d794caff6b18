#pragma once
// Helpers the command files share.

#include "commands.hpp"

#include <imgspec/core/config.hpp>
#include <imgspec/render/image.hpp>
#include <imgspec/util/progress.hpp>

#include <memory>
#include <string>
#include <vector>

namespace imgspec::app {

Config load_global_config(const GlobalOptions& global);
// Resolve a spec file to its image, printing the plan's warnings (and its parents') on stderr
// unless -q, as "file:line:col: warning: key.path: message". `options.progress` sees the hashing.
render::Image resolve(const std::string& spec_file, const Config& config,
                      plan::PlanOptions options = {});

// PlanOptions that report hashing to `progress` (may be null), the stat cache on.
plan::PlanOptions plan_options(util::Progress* progress);

// The warnings of a plan and of its `from: spec` parents, outermost parent first.
std::vector<Diagnostic> plan_warnings(const plan::Plan& plan);

// The `--no-cache` flag of the commands that hash files: it sets `*no_cache`, and resolve() is
// then given PlanOptions::use_cache = false (every file read, the stat cache neither read nor
// written).
void add_no_cache_flag(CLI::App* cmd, bool& no_cache);

// The progress line on stderr: a TerminalProgress when stderr is a terminal and -q is not given,
// else nullptr. $IMGSPEC_PROGRESS_DELAY_MS (default 500) is how long work runs before the line
// appears (tests set 0).
std::unique_ptr<util::Progress> stderr_progress(const GlobalOptions& global);

} // namespace imgspec::app
