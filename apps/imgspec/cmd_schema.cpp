#include "commands.hpp"

#include <imgspec/spec/schema.hpp>

#include <iostream>

namespace imgspec::app {

void add_schema(CLI::App& app, GlobalOptions& /*global*/, Selected& selected) {
    auto* cmd = app.add_subcommand(
        "schema", "Print the JSON Schema (draft 2020-12) of a spec, for editors and CI checks");
    cmd->footer("Examples:\n"
                "  imgspec schema > imgspec.schema.json\n"
                "  # then, as the first line of a spec (yaml-language-server, VS Code YAML):\n"
                "  # yaml-language-server: $schema=imgspec.schema.json");
    cmd->callback([&selected] {
        selected = [] {
            std::cout << spec::json_schema();
            std::cout.flush();
            return 0;
        };
    });
}

} // namespace imgspec::app
