#include "common.hpp"

#include <imgspec/core/error.hpp>

#include <iostream>
#include <memory>

namespace imgspec::app {

void add_validate(CLI::App& app, GlobalOptions& global, Selected& selected) {
    auto specs = std::make_shared<std::vector<std::string>>();
    auto* cmd = app.add_subcommand("validate", "Check specs without building: every problem at once");
    cmd->add_option("SPEC", *specs, "Spec files (.yaml, .yml, .toml)")->required();
    cmd->callback([&global, &selected, specs] {
        selected = [&global, specs] {
            Config cfg = load_global_config(global);
            std::vector<Diagnostic> all;
            for (const auto& s : *specs) {
                try {
                    (void)resolve(s, cfg);
                } catch (const SpecError& e) {
                    all.insert(all.end(), e.diagnostics().begin(), e.diagnostics().end());
                }
            }
            if (!all.empty()) {
                throw SpecError(std::move(all));
            }
            return 0;
        };
    });
}

} // namespace imgspec::app
