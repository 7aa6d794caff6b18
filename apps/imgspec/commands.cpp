#include "commands.hpp"

#include <imgspec/core/config.hpp>

namespace imgspec::app {

void register_commands(CLI::App& app, GlobalOptions& global, Selected& selected) {
    add_build(app, global, selected);
    add_render(app, global, selected);
    add_uri(app, global, selected);
    add_validate(app, global, selected);
    add_lock(app, global, selected);
    add_outdated(app, global, selected);
    add_schema(app, global, selected);
    add_config(app, global, selected);
    add_init(app, global, selected);
    add_explain(app, global, selected);
    add_docs(app, global, selected);
}

} // namespace imgspec::app
