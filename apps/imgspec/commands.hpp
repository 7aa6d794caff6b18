#pragma once
// The command table: each command registers its flags and a run function.

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace imgspec::app {

struct GlobalOptions {
    int verbosity = 0;
    bool quiet = false;
    std::optional<std::string> config_file;
    std::vector<std::string> refs;
};

// The parsed subcommand's work; set by its CLI11 callback, run by main after logging is set up.
using Selected = std::function<int()>;

void register_commands(CLI::App& app, GlobalOptions& global, Selected& selected);

// One file per command.
void add_validate(CLI::App& app, GlobalOptions& global, Selected& selected);
void add_render(CLI::App& app, GlobalOptions& global, Selected& selected);
void add_uri(CLI::App& app, GlobalOptions& global, Selected& selected);
void add_build(CLI::App& app, GlobalOptions& global, Selected& selected);
void add_lock(CLI::App& app, GlobalOptions& global, Selected& selected);
void add_outdated(CLI::App& app, GlobalOptions& global, Selected& selected);
void add_schema(CLI::App& app, GlobalOptions& global, Selected& selected);
void add_config(CLI::App& app, GlobalOptions& global, Selected& selected);
void add_init(CLI::App& app, GlobalOptions& global, Selected& selected);
void add_explain(CLI::App& app, GlobalOptions& global, Selected& selected);
// Hidden: __complete-script SHELL and __man (cmake/docs.cmake runs them at build time).
void add_docs(CLI::App& app, GlobalOptions& global, Selected& selected);

} // namespace imgspec::app
