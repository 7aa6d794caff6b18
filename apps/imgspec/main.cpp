// imgspec: container images from YAML/TOML specs, built with docker buildx.
// main() parses flags, calls the library and maps errors to exit codes; nothing else.

#include "commands.hpp"

#include <imgspec/core/error.hpp>
#include <imgspec/util/strings.hpp>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <unistd.h>

namespace {

void setup_logging(int verbosity, bool quiet) {
    const char* no_color = std::getenv("NO_COLOR");
    bool color = (no_color == nullptr || *no_color == '\0') && isatty(STDERR_FILENO) != 0;
    auto logger = spdlog::stderr_color_mt("imgspec", color ? spdlog::color_mode::automatic
                                                           : spdlog::color_mode::never);
    logger->set_pattern("imgspec: %^%l%$: %v");
    spdlog::set_default_logger(logger);
    spdlog::set_level(quiet            ? spdlog::level::err
                      : verbosity >= 2 ? spdlog::level::trace
                      : verbosity == 1 ? spdlog::level::debug
                                       : spdlog::level::info);
}

// The command word: the first argument that is neither an option nor the value of a global option
// that takes one. Empty when there is none (`imgspec --version`, `imgspec -v`).
std::string command_word(const CLI::App& app, int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--") {
            return i + 1 < argc ? argv[i + 1] : "";
        }
        if (arg.size() < 2 || arg[0] != '-') {
            return arg;
        }
        const CLI::Option* option = app.get_option_no_throw(arg);
        if (option != nullptr && option->get_items_expected_max() > 0 &&
            arg.find('=') == std::string::npos) {
            ++i; // "--config FILE": FILE is not the command
        }
    }
    return "";
}

// An unknown command word, with or without --help: exit 2 naming it, with the closest command.
// CLI11 alone says "A subcommand is required", or prints the top-level help and exits 0, so a
// script probing `imgspec frobnicate --help` would believe the command exists.
bool is_unknown_command(const CLI::App& app, const std::string& word) {
    if (word.empty()) {
        return false;
    }
    std::vector<std::string> names;
    for (const auto* sub : app.get_subcommands({})) {
        if (sub->check_name(word)) {
            return false;
        }
        if (!sub->get_group().empty()) { // not the hidden ones
            names.push_back(sub->get_name());
        }
    }
    std::cerr << "imgspec: error: '" << imgspec::printable(word) << "' is not an imgspec command\n";
    if (auto near = imgspec::util::closest_match(word, names); !near.empty()) {
        std::cerr << "  hint: did you mean '" << near << "'?\n";
    } else {
        std::cerr << "  hint: the commands are " << imgspec::util::join(names, ", ") << "\n";
    }
    return true;
}

} // namespace

int main(int argc, char** argv) {
    imgspec::app::GlobalOptions global;
    CLI::App app{"imgspec: build container images from YAML or TOML specs with docker buildx.\n",
                 "imgspec"};
    app.footer("Examples:\n"
               "  imgspec validate specs/*.yaml\n"
               "  imgspec render spec.yaml --dockerfile > Dockerfile\n"
               "  IMG=$(imgspec uri spec.yaml)\n"
               "  imgspec build spec.yaml --push\n"
               "\nGlobal options go before or after the command.\n"
               "\nExit codes: 0 ok, 1 other failure, 2 usage, 3 invalid spec, 4 build failed,\n"
               "5 docker/buildx/registry unavailable, 130 interrupted.");
    app.require_subcommand(1);
    // Global flags after the command too (`imgspec build spec.yaml -v`), as docker and git take
    // them: a flag the command does not know falls through to these. Set before the commands are
    // added, which inherit it.
    app.fallthrough();
    app.set_version_flag("--version", std::string("imgspec ") + IMGSPEC_VERSION);
    app.add_flag("-v,--verbose", global.verbosity, "More log output (repeat for trace)");
    app.add_flag("-q,--quiet", global.quiet, "Only errors on stderr");
    app.add_option("--config", global.config_file,
                   "Config file (default: $IMGSPEC_CONFIG, then "
                   "$XDG_CONFIG_HOME/imgspec/config.yaml)")
        ->type_name("FILE");
    // One value a flag: after the command, the next word is a spec, not another ref.
    app.add_option("--ref", global.refs, "NAME=URI for from: {ref_name: NAME} (repeatable)")
        ->allow_extra_args(false)
        ->type_name("NAME=URI");

    imgspec::app::Selected selected;
    imgspec::app::register_commands(app, global, selected);

    if (is_unknown_command(app, command_word(app, argc, argv))) {
        std::cerr << "Run 'imgspec --help' for usage.\n";
        return imgspec::exit_code(imgspec::ErrorKind::usage);
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "imgspec: error: " << imgspec::printable(e.what()) << "\n";
        std::cerr << "Run 'imgspec --help' for usage.\n";
        return imgspec::exit_code(imgspec::ErrorKind::usage);
    }
    setup_logging(global.verbosity, global.quiet);
    try {
        return selected ? selected() : imgspec::exit_code(imgspec::ErrorKind::usage);
    } catch (const imgspec::SpecError& e) {
        // One line a diagnostic (and one a hint): Diagnostic::format() escapes what it shows.
        std::cerr << e.what() << "\n";
        std::cerr << "imgspec: " << e.diagnostics().size() << " error"
                  << (e.diagnostics().size() == 1 ? "" : "s") << "\n";
        return imgspec::exit_code(e.kind());
    } catch (const imgspec::Error& e) {
        std::cerr << "imgspec: error: " << imgspec::printable(e.what()) << "\n";
        if (!e.hint().empty()) {
            std::cerr << "  hint: " << imgspec::printable(e.hint()) << "\n";
        }
        return imgspec::exit_code(e.kind());
    } catch (const std::exception& e) {
        std::cerr << "imgspec: error: " << imgspec::printable(e.what()) << "\n";
        return 1;
    }
}
