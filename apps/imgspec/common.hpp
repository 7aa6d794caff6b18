#pragma once
// Helpers the command files share.

#include "commands.hpp"

#include <imgspec/core/config.hpp>
#include <imgspec/pipeline/graph.hpp>
#include <imgspec/pipeline/pipeline.hpp>
#include <imgspec/spec/matrix.hpp>
#include <imgspec/util/progress.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace imgspec::app {

Config load_global_config(const GlobalOptions& global);

// A SPEC argument is a file, or "-" for a spec on standard input (named "<stdin>" in messages),
// whose format and context folder these give.
struct SpecInput {
    std::string format;      // "yaml" (the default) or "toml"
    std::string context_dir; // default: the current folder
    // --matrix AXIS=VALUE: the images of a matrix spec to keep (spec::select_matrix).
    std::vector<std::string> matrix_picks;
    spec::MatrixFilter matrix() const;
};
// --format and --context-dir, for the commands that take a SPEC.
void add_stdin_flags(CLI::App* cmd, SpecInput& input);
// --matrix, for the commands that take matrix specs (build, uri, render).
void add_matrix_flag(CLI::App* cmd, SpecInput& input);
// Throws a usage Error for "-" given twice, or --format / --context-dir without "-".
void check_spec_args(const std::vector<std::string>& specs, const SpecInput& input);
// A SPEC argument (file or "-") to its image. Throws as pipeline::resolve_image does.
pipeline::Image resolve_image(const std::string& spec, const SpecInput& input, const Config& config,
                              plan::PlanOptions options = {});

// The specs of a SPEC argument (file or "-"): spec::read_specs, the images that --matrix picks.
std::vector<spec::Spec> read_all(const std::string& spec, const SpecInput& input);

// Every image of a SPEC argument (one, or one per picked combination of its matrix), resolved
// as resolve() does: warnings printed (each once), but no record for `explain` of a matrix's
// images. Throws as pipeline::resolve_specs does, and spec::select_matrix's usage errors.
std::vector<pipeline::Image> resolve_all(const std::string& spec, const SpecInput& input,
                                         const Config& config, plan::PlanOptions options = {});

// True when the images come from a matrix: commands answer with a list then.
bool from_matrix(const std::vector<pipeline::Image>& images);

// Throws a usage Error when --matrix was given but no image comes from a matrix.
void check_matrix_used(const SpecInput& input, bool any_matrix);

// resolve_image(), printing the plan's warnings (and its parents') on stderr unless -q, as
// "file:line:col: warning: key.path: message". `options.progress` sees the hashing.
pipeline::Image resolve(const std::string& spec, const SpecInput& input, const Config& config,
                        plan::PlanOptions options = {});

// The SPEC arguments' spec files (folders and patterns expanded: pipeline::expand_spec_args),
// each resolved as resolve() does and changed by `adjust` (build --platform) when given, as one
// graph. Spec errors of every spec are thrown at once (one SpecError), then the graph's own
// (conflicting URIs, cycles); other errors at once.
pipeline::Graph resolve_graph(const std::vector<std::string>& specs, const SpecInput& input,
                              const Config& config, const plan::PlanOptions& options,
                              const std::function<pipeline::Image(pipeline::Image)>& adjust = {});

// resolve_graph() for `uri` and `render` of several specs: the SPEC arguments expanded, the stat
// cache unless `no_cache`, the hashing line on a terminal unless `json`.
pipeline::Graph resolve_many(const GlobalOptions& global, const Config& config,
                             const std::vector<std::string>& specs, const SpecInput& input,
                             bool json, bool no_cache);

// The nodes that the inputs give, each once, in the order given.
std::vector<std::size_t> input_nodes(const pipeline::Graph& graph);

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
