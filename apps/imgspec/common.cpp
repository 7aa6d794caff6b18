#include "common.hpp"

#include <imgspec/core/error.hpp>

#include <spdlog/spdlog.h>

#include <cstdlib>
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

render::Image resolve(const std::string& spec_file, const Config& config,
                      plan::PlanOptions options) {
    render::Image img = render::resolve_image(spec_file, config, std::move(options));
    if (spdlog::should_log(spdlog::level::warn)) { // not with -q
        for (const auto& w : plan_warnings(img.plan)) {
            std::cerr << w.format() << "\n";
        }
    }
    return img;
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
