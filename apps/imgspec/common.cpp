#include "common.hpp"

#include <spdlog/spdlog.h>

#include <iostream>
#include <optional>

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
            std::cerr << w << "\n";
        }
    }
    return img;
}

} // namespace imgspec::app
