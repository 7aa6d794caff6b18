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
    spdlog::set_level(quiet ? spdlog::level::err
                            : verbosity >= 2 ? spdlog::level::trace
                            : verbosity == 1 ? spdlog::level::debug
                                             : spdlog::level::info);
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
               "\nExit codes: 0 ok, 1 other failure, 2 usage, 3 invalid spec, 4 build failed,\n"
               "5 docker/buildx/registry unavailable, 130 interrupted.");
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("imgspec ") + IMGSPEC_VERSION);
    app.add_flag("-v,--verbose", global.verbosity, "More log output (repeat for trace)");
    app.add_flag("-q,--quiet", global.quiet, "Only errors on stderr");
    app.add_option("--config", global.config_file, "Config file (default: $IMGSPEC_CONFIG, then "
                                                   "$XDG_CONFIG_HOME/imgspec/config.yaml)")
        ->type_name("FILE");
    app.add_option("--ref", global.refs, "NAME=URI for from: {ref_name: NAME} (repeatable)")
        ->type_name("NAME=URI");

    imgspec::app::Selected selected;
    imgspec::app::register_commands(app, global, selected);

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
        // An unknown command word: suggest the closest command.
        if (argc > 1 && app.get_subcommands().empty()) {
            std::vector<std::string> names;
            for (const auto* sub : app.get_subcommands({})) {
                if (!sub->get_group().empty()) { // not the hidden ones
                    names.push_back(sub->get_name());
                }
            }
            for (int i = 1; i < argc; ++i) {
                std::string word = argv[i];
                if (!word.empty() && word[0] != '-') {
                    if (auto near = imgspec::util::closest_match(word, names); !near.empty()) {
                        std::cerr << "  hint: '" << imgspec::printable(word)
                                  << "' is not a command; did you mean '" << near << "'?\n";
                    }
                    break;
                }
            }
        }
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
