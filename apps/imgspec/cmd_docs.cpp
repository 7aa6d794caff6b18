// Hidden commands that print what cmake/docs.cmake installs: shell completions and the man page,
// generated from the CLI11 definitions of this very binary.

#include "cli_docs.hpp"
#include "commands.hpp"

#include <imgspec/core/error.hpp>

#include <iostream>
#include <memory>

namespace imgspec::app {

void add_docs(CLI::App& app, GlobalOptions& /*global*/, Selected& selected) {
    auto shell = std::make_shared<std::string>();
    auto* complete = app.add_subcommand("__complete-script", "Print a shell completion script");
    complete->group(""); // hidden: not in --help, completions or the man page
    complete->add_option("SHELL", *shell, "bash, zsh or fish")
        ->required()
        ->check(CLI::IsMember({"bash", "zsh", "fish"}));
    complete->callback([&app, &selected, shell] {
        selected = [&app, shell] {
            CliDoc cli = describe_cli(app);
            if (*shell == "bash") {
                std::cout << bash_completion(cli);
            } else if (*shell == "zsh") {
                std::cout << zsh_completion(cli);
            } else {
                std::cout << fish_completion(cli);
            }
            std::cout.flush();
            return 0;
        };
    });

    auto* man = app.add_subcommand("__man", "Print the man page (roff)");
    man->group("");
    man->callback([&app, &selected] {
        selected = [&app] {
            std::cout << man_page(describe_cli(app));
            std::cout.flush();
            return 0;
        };
    });
}

} // namespace imgspec::app
