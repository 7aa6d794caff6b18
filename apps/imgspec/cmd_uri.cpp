#include "common.hpp"
#include "json_output.hpp"

#include <imgspec/pipeline/spec_files.hpp>

#include <iostream>
#include <memory>

namespace imgspec::app {

namespace {

struct UriArgs {
    std::vector<std::string> specs;
    bool json = false;
    bool no_cache = false;
    SpecInput input;
};

// Several specs (or a folder, or a pattern): one line per image, each once, in the order given;
// --json: a list of the same objects.
int uri_many(const GlobalOptions& global, const UriArgs& args) {
    Config cfg = load_global_config(global);
    pipeline::Graph graph =
        resolve_many(global, cfg, args.specs, args.input, args.json, args.no_cache);
    Json all = Json::array();
    for (std::size_t i : input_nodes(graph)) {
        const pipeline::Node& n = graph.nodes[i];
        if (args.json) {
            all.push_back(uri_json(n.specs.front(), *n.image));
        } else {
            std::cout << n.uri << "\n";
        }
    }
    if (args.json) {
        print_json(all);
    }
    return 0;
}

} // namespace

void add_uri(CLI::App& app, GlobalOptions& global, Selected& selected) {
    auto args = std::make_shared<UriArgs>();
    auto* cmd = app.add_subcommand("uri", "Print the image reference registry/name:tag");
    cmd->add_option("SPEC", args->specs,
                    "Spec files, folders of specs or quoted patterns, or - for standard input")
        ->required();
    cmd->add_flag("--json", args->json,
                  "Print a JSON object: spec, uri, registry, name, tag, tag_source, platforms, "
                  "warnings (a list of them for several specs or a matrix, with its values)");
    add_no_cache_flag(cmd, args->no_cache);
    add_stdin_flags(cmd, args->input);
    add_matrix_flag(cmd, args->input);
    cmd->footer("Examples:\n"
                "  IMG=$(imgspec uri spec.yaml)\n"
                "  IMG=$(generate-spec | imgspec uri - --format toml)\n"
                "  imgspec uri spec.yaml --json | jq -r .tag\n"
                "  imgspec uri envs/                one line per image of the folder's specs\n"
                "  imgspec uri matrix.yaml --matrix python_version=3.12");
    cmd->callback([&global, &selected, args] {
        selected = [&global, args] {
            check_spec_args(args->specs, args->input);
            if (args->specs.size() > 1 || pipeline::names_many(args->specs.front())) {
                return uri_many(global, *args);
            }
            Config cfg = load_global_config(global);
            // The hashing line on a terminal; none with --json (a script reads stdout).
            auto progress = args->json ? nullptr : stderr_progress(global);
            plan::PlanOptions options;
            options.use_cache = !args->no_cache;
            options.progress = progress.get();
            std::vector<pipeline::Image> images =
                resolve_all(args->specs.front(), args->input, cfg, std::move(options));
            check_matrix_used(args->input, from_matrix(images));
            // A matrix's images: a line each, and with --json a list (also of one image).
            Json all = Json::array();
            for (const auto& img : images) {
                if (!args->json) {
                    std::cout << img.uri << "\n";
                } else if (from_matrix(images)) {
                    all.push_back(uri_json(args->specs.front(), img));
                } else {
                    all = uri_json(args->specs.front(), img);
                }
            }
            if (args->json) {
                print_json(all);
            }
            return 0;
        };
    });
}

} // namespace imgspec::app
