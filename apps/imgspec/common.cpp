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

render::Image resolve(const std::string& spec_file, const Config& config) {
    render::Image img = render::resolve_image(spec_file, config);
    for (const auto& w : img.plan.warnings) {
        // Already "file:line: warning: ...", compiler style; shown unless -q.
        if (spdlog::should_log(spdlog::level::warn)) {
            std::cerr << printable(w) << "\n";
        }
    }
    return img;
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
