#include "common.hpp"

#include <iostream>
#include <memory>

namespace imgspec::app {

void add_uri(CLI::App& app, GlobalOptions& global, Selected& selected) {
    auto spec = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("uri", "Print the image reference registry/name:tag");
    cmd->add_option("SPEC", *spec, "Spec file")->required();
    cmd->callback([&global, &selected, spec] {
        selected = [&global, spec] {
            Config cfg = load_global_config(global);
            render::Image img = resolve(*spec, cfg);
            std::cout << img.uri << "\n";
            return 0;
        };
    });
}

} // namespace imgspec::app
