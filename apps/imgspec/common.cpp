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

namespace {

// The context folder of a spec on standard input. Throws a usage Error when it is not a folder.
std::filesystem::path stdin_dir(const SpecInput& input) {
    std::filesystem::path dir = input.context_dir.empty() ? "." : input.context_dir;
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
        throw Error(ErrorKind::usage,
                    fmt::format("--context-dir {}: not a folder", input.context_dir));
    }
    if (isatty(STDIN_FILENO) != 0) {
        spdlog::info("reading the spec from standard input (end it with Ctrl-D)");
    }
    return dir;
}

spec::Format stdin_format(const SpecInput& input) {
    return input.format == "toml" ? spec::Format::toml : spec::Format::yaml;
}

void print_warnings(const std::vector<Diagnostic>& warnings) {
    if (spdlog::should_log(spdlog::level::warn)) { // not with -q
        for (const auto& w : warnings) {
            std::cerr << w.format() << "\n";
        }
    }
}

// The record of what the tag covered, for `imgspec explain` (not with --no-cache), and the
// warnings.
pipeline::Image finish(const std::string& spec, pipeline::Image img, const plan::PlanOptions& o) {
    if (o.use_cache && spec != "-") {
        pipeline::remember(img, spec, o.cache_dir);
    }
    print_warnings(plan_warnings(img.plan));
    return img;
}

} // namespace

pipeline::Image resolve_image(const std::string& spec, const SpecInput& input, const Config& config,
                              plan::PlanOptions options) {
    if (spec != "-") {
        return pipeline::resolve_image(spec, config, std::move(options));
    }
    std::filesystem::path dir = stdin_dir(input);
    return pipeline::resolve_spec(spec::read_spec_stdin(stdin_format(input), dir), config,
                                  std::move(options));
}

spec::MatrixFilter SpecInput::matrix() const {
    spec::MatrixFilter f;
    for (const auto& p : matrix_picks) {
        f.picks.push_back(spec::parse_matrix_pick(p));
    }
    return f;
}

void add_matrix_flag(CLI::App* cmd, SpecInput& input) {
    cmd->add_option("--matrix", input.matrix_picks,
                    "Only the images of a matrix spec with this value of an axis (repeatable; "
                    "values of one axis add up)")
        ->allow_extra_args(false)
        ->type_name("AXIS=VALUE");
}

void check_matrix_used(const SpecInput& input, bool any_matrix) {
    if (!input.matrix_picks.empty() && !any_matrix) {
        throw Error(ErrorKind::usage, "--matrix picks images of a matrix, and no spec has one",
                    "a spec with a top-level `matrix:` gives one image per combination");
    }
}

bool from_matrix(const std::vector<pipeline::Image>& images) {
    return std::any_of(images.begin(), images.end(),
                       [](const auto& i) { return !i.plan.spec.matrix.empty(); });
}

std::vector<spec::Spec> read_all(const std::string& spec, const SpecInput& input) {
    std::vector<spec::Spec> specs =
        spec != "-" ? spec::read_specs(spec)
                    : spec::read_specs_stdin(stdin_format(input), stdin_dir(input));
    return spec::select_matrix(std::move(specs), input.matrix());
}

std::vector<pipeline::Image> resolve_all(const std::string& spec, const SpecInput& input,
                                         const Config& config, plan::PlanOptions options) {
    std::vector<spec::Spec> specs = read_all(spec, input);
    if (specs.size() == 1 && specs.front().matrix.empty()) {
        std::vector<pipeline::Image> one;
        one.push_back(
            finish(spec, pipeline::resolve_spec(specs.front(), config, options), options));
        return one;
    }
    std::vector<pipeline::Image> images = pipeline::resolve_specs(specs, config, options);
    std::vector<Diagnostic> warnings; // each once: most are the spec's, not one image's
    for (const auto& img : images) {
        for (auto& w : plan_warnings(img.plan)) {
            auto same = [&](const Diagnostic& d) { return d.format() == w.format(); };
            if (std::none_of(warnings.begin(), warnings.end(), same)) {
                warnings.push_back(std::move(w));
            }
        }
    }
    print_warnings(warnings);
    return images;
}

pipeline::Image resolve(const std::string& spec, const SpecInput& input, const Config& config,
                        plan::PlanOptions options) {
    const plan::PlanOptions o = options;
    return finish(spec, resolve_image(spec, input, config, std::move(options)), o);
}

pipeline::Graph resolve_graph(const std::vector<std::string>& specs, const SpecInput& input,
                              const Config& config, const plan::PlanOptions& options,
                              const std::function<pipeline::Image(pipeline::Image)>& adjust) {
    std::vector<pipeline::GraphInput> inputs;
    std::vector<Diagnostic> problems;
    bool any_matrix = false;
    for (const auto& spec : specs) {
        try {
            for (auto& img : resolve_all(spec, input, config, options)) {
                any_matrix = any_matrix || !img.plan.spec.matrix.empty();
                if (adjust) {
                    img = adjust(std::move(img));
                }
                inputs.push_back(pipeline::GraphInput{spec, std::move(img)});
            }
        } catch (const SpecError& e) {
            problems.insert(problems.end(), e.diagnostics().begin(), e.diagnostics().end());
        }
    }
    if (!problems.empty()) {
        throw SpecError(std::move(problems));
    }
    check_matrix_used(input, any_matrix);
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
