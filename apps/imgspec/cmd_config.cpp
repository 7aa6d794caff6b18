#include "common.hpp"
#include "json_output.hpp"

#include <imgspec/config/load_config.hpp>

#include <fmt/format.h>

#include <iostream>
#include <memory>

namespace imgspec::app {

namespace {

struct ConfigArgs {
    bool json = false;
};

// Where a value came from, as a reader wants it: "file /x/config.yaml:3", "env IMGSPEC_BUILDER".
std::string where(const Setting& s) {
    return s.origin.empty() ? s.source : s.source + " " + s.origin;
}

Json setting_json(const Setting& s) {
    Json j;
    j["value"] = s.value;
    j["source"] = s.source;
    j["origin"] = s.origin.empty() ? Json(nullptr) : Json(s.origin);
    return j;
}

std::string file_how(const Config& cfg) {
    if (cfg.file_source == "flag") {
        return "from --config";
    }
    if (cfg.file_source == "env") {
        return "from $IMGSPEC_CONFIG";
    }
    return "the default location";
}

// A JSON string is a YAML double-quoted scalar, so the text output is itself a config file.
std::string quoted(const std::string& s) {
    return Json(s).dump();
}

int show_config(const GlobalOptions& global, const ConfigArgs& args) {
    Config cfg = load_global_config(global);
    if (args.json) {
        Json j;
        j["file"] = cfg.file.empty() ? Json(nullptr) : Json(cfg.file.string());
        j["file_source"] = cfg.file_source.empty() ? Json(nullptr) : Json(cfg.file_source);
        Json settings = Json::object();
        for (const auto& name : setting_names()) {
            settings[name] = setting_json(*find_setting(cfg, name));
        }
        j["settings"] = settings;
        Json refs = Json::object();
        for (const auto& [name, s] : cfg.refs) {
            refs[name] = setting_json(s);
        }
        j["refs"] = refs;
        print_json(j);
        return 0;
    }
    if (cfg.file.empty()) {
        std::cout << "# no config file (--config, $IMGSPEC_CONFIG, "
                     "$XDG_CONFIG_HOME/imgspec/config.yaml)\n";
    } else {
        std::cout << fmt::format("# config file: {} ({})\n", cfg.file.string(), file_how(cfg));
    }
    std::vector<std::pair<std::string, std::string>> lines; // text, comment
    for (const auto& name : setting_names()) {
        const Setting& s = *find_setting(cfg, name);
        lines.emplace_back(fmt::format("{}: {}", name, quoted(s.value)), where(s));
    }
    if (cfg.refs.empty()) {
        lines.emplace_back("refs: {}", "default");
    } else {
        lines.emplace_back("refs:", "");
        for (const auto& [name, s] : cfg.refs) {
            lines.emplace_back(fmt::format("  {}: {}", quoted(name), quoted(s.value)), where(s));
        }
    }
    std::size_t width = 0;
    for (const auto& [text, comment] : lines) {
        width = std::max(width, text.size());
    }
    for (const auto& [text, comment] : lines) {
        if (comment.empty()) {
            std::cout << text << "\n";
        } else {
            std::cout << fmt::format("{:<{}}  # {}\n", text, width, comment);
        }
    }
    return 0;
}

} // namespace

void add_config(CLI::App& app, GlobalOptions& global, Selected& selected) {
    auto args = std::make_shared<ConfigArgs>();
    auto* cmd = app.add_subcommand(
        "config", "Show the effective configuration and where each value comes from");
    cmd->add_flag("--json", args->json,
                  "Print JSON: file, file_source, settings and refs as {value, source, origin}");
    cmd->footer(
        "Each value comes from (lowest first): default, file (--config FILE, else\n"
        "$IMGSPEC_CONFIG, else $XDG_CONFIG_HOME/imgspec/config.yaml), env ($IMGSPEC_REGISTRY,\n"
        "$IMGSPEC_BUILDER, $IMGSPEC_INSTALLER, $IMGSPEC_UV_IMAGE, $IMGSPEC_DEBIAN_BASE_IMAGE,\n"
        "$IMGSPEC_SYNTAX_IMAGE), flag (--ref NAME=URI). The output is itself a config file.\n"
        "\nExamples:\n"
        "  imgspec config\n"
        "  imgspec --ref gpu=nvcr.io/nvidia/cuda:12.4.1-runtime-ubuntu22.04 config\n"
        "  imgspec config --json | jq -r .settings.registry.source");
    cmd->callback([&global, &selected, args] {
        selected = [&global, args] { return show_config(global, *args); };
    });
}

} // namespace imgspec::app
