#include "common.hpp"
#include "json_output.hpp"

#include <iostream>
#include <memory>

namespace imgspec::app {

namespace {

struct UriArgs {
    std::string spec;
    bool json = false;
    bool no_cache = false;
    SpecInput input;
};

} // namespace

void add_uri(CLI::App& app, GlobalOptions& global, Selected& selected) {
    auto args = std::make_shared<UriArgs>();
    auto* cmd = app.add_subcommand("uri", "Print the image reference registry/name:tag");
    cmd->add_option("SPEC", args->spec, "Spec file, or - for standard input")->required();
    cmd->add_flag("--json", args->json,
                  "Print a JSON object: spec, uri, registry, name, tag, tag_source, platforms, "
                  "warnings");
    add_no_cache_flag(cmd, args->no_cache);
    add_stdin_flags(cmd, args->input);
    cmd->footer("Examples:\n"
                "  IMG=$(imgspec uri spec.yaml)\n"
                "  IMG=$(generate-spec | imgspec uri - --format toml)\n"
                "  imgspec uri spec.yaml --json | jq -r .tag");
    cmd->callback([&global, &selected, args] {
        selected = [&global, args] {
            check_spec_args({args->spec}, args->input);
            Config cfg = load_global_config(global);
            // The hashing line on a terminal; none with --json (a script reads stdout).
            auto progress = args->json ? nullptr : stderr_progress(global);
            plan::PlanOptions options;
            options.use_cache = !args->no_cache;
            options.progress = progress.get();
            pipeline::Image img = resolve(args->spec, args->input, cfg, std::move(options));
            if (args->json) {
                print_json(uri_json(args->spec, img));
            } else {
                std::cout << img.uri << "\n";
            }
            return 0;
        };
    });
}

} // namespace imgspec::app
