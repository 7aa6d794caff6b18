#include "common.hpp"

#include <imgspec/config/load_config.hpp>
#include <imgspec/core/error.hpp>
#include <imgspec/pipeline/explain.hpp>
#include <imgspec/pipeline/spec_files.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <unistd.h>

namespace imgspec::app {

Config load_global_config(const GlobalOptions& global) {
    std::optional<std::filesystem::path> file;
    if (global.config_file) {
        file = *global.config_file;
    }
    return load_config(file, global.refs);
}

std::vector<Diagnostic> plan_warnings(const plan::Plan& plan) {
    std::vector<Diagnostic> out;
    if (plan.parent) {
        out = plan_warnings(*plan.parent);
    }
    out.insert(out.end(), plan.warnings.begin(), plan.warnings.end());
    return out;
}

plan::PlanOptions plan_options(util::Progress* progress) {
    plan::PlanOptions options;
    options.progress = progress;
    return options;
}

void add_stdin_flags(CLI::App* cmd, SpecInput& input) {
    cmd->add_option("--format", input.format,
                    "Format of a spec on standard input (SPEC '-'): yaml "
                    "(default) or toml")
        ->check(CLI::IsMember({"yaml", "toml"}))
        ->type_name("FORMAT");
    cmd->add_option("--context-dir", input.context_dir,
                    "Context folder of a spec on standard input (SPEC '-'): its relative paths "
                    "resolve there (default: the current folder)")
        ->type_name("DIR");
}

void check_spec_args(const std::vector<std::string>& specs, const SpecInput& input) {
    const auto stdin_specs = std::count(specs.begin(), specs.end(), "-");
    if (stdin_specs > 1) {
        throw Error(ErrorKind::usage, "'-' (standard input) is given more than once",
                    "standard input holds one spec");
    }
    if (stdin_specs == 0 && (!input.format.empty() || !input.context_dir.empty())) {
        throw Error(ErrorKind::usage,
                    fmt::format("{} applies to a spec on standard input only",
                                input.format.empty() ? "--context-dir" : "--format"),
                    "give '-' as the spec and pipe it in; a spec file's extension gives its "
                    "format and its folder is its context");
    }
}

pipeline::Image resolve_image(const std::string& spec, const SpecInput& input, const Config& config,
                              plan::PlanOptions options) {
    if (spec != "-") {
        return pipeline::resolve_image(spec, config, std::move(options));
    }
    std::filesystem::path dir = input.context_dir.empty() ? "." : input.context_dir;
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
        throw Error(ErrorKind::usage,
                    fmt::format("--context-dir {}: not a folder", input.context_dir));
    }
    if (isatty(STDIN_FILENO) != 0) {
        spdlog::info("reading the spec from standard input (end it with Ctrl-D)");
    }
    const auto format = input.format == "toml" ? spec::Format::toml : spec::Format::yaml;
    return pipeline::resolve_spec(spec::read_spec_stdin(format, dir), config, std::move(options));
}

pipeline::Image resolve(const std::string& spec, const SpecInput& input, const Config& config,
                        plan::PlanOptions options) {
    const bool remember = options.use_cache && spec != "-";
    const std::filesystem::path cache_dir = options.cache_dir;
    pipeline::Image img = resolve_image(spec, input, config, std::move(options));
    if (remember) { // what the tag covered, for `imgspec explain` (not with --no-cache)
        pipeline::remember(img, spec, cache_dir);
    }
    if (spdlog::should_log(spdlog::level::warn)) { // not with -q
        for (const auto& w : plan_warnings(img.plan)) {
            std::cerr << w.format() << "\n";
        }
    }
    return img;
}

pipeline::Graph resolve_graph(const std::vector<std::string>& specs, const SpecInput& input,
                              const Config& config, const plan::PlanOptions& options,
                              const std::function<pipeline::Image(pipeline::Image)>& adjust) {
    std::vector<pipeline::GraphInput> inputs;
    std::vector<Diagnostic> problems;
    for (const auto& spec : specs) {
        try {
            pipeline::Image img = resolve(spec, input, config, options);
            if (adjust) {
                img = adjust(std::move(img));
            }
            inputs.push_back(pipeline::GraphInput{spec, std::move(img)});
        } catch (const SpecError& e) {
            problems.insert(problems.end(), e.diagnostics().begin(), e.diagnostics().end());
        }
    }
    if (!problems.empty()) {
        throw SpecError(std::move(problems));
    }
    return pipeline::make_graph(std::move(inputs));
}

pipeline::Graph resolve_many(const GlobalOptions& global, const Config& config,
                             const std::vector<std::string>& specs, const SpecInput& input,
                             bool json, bool no_cache) {
    auto progress = json ? nullptr : stderr_progress(global);
    plan::PlanOptions options;
    options.use_cache = !no_cache;
    options.progress = progress.get();
    return resolve_graph(pipeline::expand_spec_args(specs), input, config, options);
}

std::vector<std::size_t> input_nodes(const pipeline::Graph& graph) {
    std::vector<std::size_t> out;
    for (std::size_t i : graph.inputs) {
        if (std::find(out.begin(), out.end(), i) == out.end()) {
            out.push_back(i);
        }
    }
    return out;
}

void add_no_cache_flag(CLI::App* cmd, bool& no_cache) {
    cmd->add_flag("--no-cache", no_cache,
                  "Read and hash every file: neither read nor update the stat cache "
                  "($XDG_CACHE_HOME/imgspec)");
}

std::unique_ptr<util::Progress> stderr_progress(const GlobalOptions& global) {
    if (global.quiet) {
        return nullptr;
    }
    util::TerminalProgress::Options options;
    if (const char* d = std::getenv("IMGSPEC_PROGRESS_DELAY_MS"); d != nullptr && *d != '\0') {
        options.delay = std::chrono::milliseconds(std::strtol(d, nullptr, 10));
    }
    return util::terminal_progress_if_tty(STDERR_FILENO, options);
}

} // namespace imgspec::app
