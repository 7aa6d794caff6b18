#pragma once
// The command line as data, read from the CLI11 definitions, and what is generated from it: shell
// completions (bash, zsh, fish) and the man page. `imgspec __complete-script SHELL` and
// `imgspec __man` print them; cmake/docs.cmake runs both at build time, so the completions and
// the man page always match the binary they are installed with.

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace imgspec::app {

struct OptionDoc {
    std::vector<std::string> names; // "-v", "--verbose"; for a positional its name, "SPEC"
    std::string value;              // placeholder of the value ("FILE", "MODE"); "" for a flag
    std::string description;
    bool positional = false;
    bool many = false;               // repeatable option or several positionals
    std::string complete;            // "spec", "file", "" (nothing special)
    std::vector<std::string> values; // a fixed set of values to complete
};

struct CommandDoc {
    std::string name;
    std::string description;
    std::string footer; // examples, as --help shows them
    std::vector<OptionDoc> options;
};

struct CliDoc {
    std::string name;
    std::string description;
    std::string version;
    std::vector<OptionDoc> global;
    std::vector<CommandDoc> commands; // visible commands only, in definition order
};

// Reads the app's definitions; hidden commands (empty group) are left out.
CliDoc describe_cli(const CLI::App& app);

std::string bash_completion(const CliDoc& cli);
std::string zsh_completion(const CliDoc& cli);
std::string fish_completion(const CliDoc& cli);
// roff (man 7 man), section 1.
std::string man_page(const CliDoc& cli);

} // namespace imgspec::app
