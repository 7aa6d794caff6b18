#include "common.hpp"
#include "json_output.hpp"

#include <imgspec/core/error.hpp>
#include <imgspec/pipeline/spec_files.hpp>

#include <algorithm>
#include <iostream>
#include <memory>

namespace imgspec::app {

namespace {

struct ValidateArgs {
    std::vector<std::string> specs;
    bool json = false;
    SpecInput input;
};

// --json: every diagnostic of every spec, warnings too, as one array on stdout; nothing on stderr.
int validate_json(const GlobalOptions& global, const ValidateArgs& args) {
    Json out = Json::array();
    Config cfg;
    try {
        cfg = load_global_config(global);
    } catch (const SpecError& e) { // a malformed config file: its diagnostics, in the same form
        for (const auto& d : e.diagnostics()) {
            out.push_back(diagnostic_json(d));
        }
        print_json(out);
        return exit_code(ErrorKind::invalid_spec);
    }
    bool failed = false;
    std::vector<pipeline::GraphInput> inputs;
    for (const auto& s : pipeline::expand_spec_args(args.specs)) {
        try {
            std::vector<pipeline::Image> images =
                pipeline::resolve_specs(read_all(s, args.input), cfg);
            const bool matrix = from_matrix(images);
            const std::size_t start = out.size();
            for (auto& img : images) {
                for (auto& w : warnings_json(img.plan)) {
                    // A matrix's warnings once: most are the spec's, not one image's.
                    if (!matrix || std::find(out.begin() + static_cast<std::ptrdiff_t>(start),
                                             out.end(), w) == out.end()) {
                        out.push_back(std::move(w));
                    }
                }
                inputs.push_back(pipeline::GraphInput{s, std::move(img)});
            }
        } catch (const SpecError& e) {
            failed = true;
            for (const auto& d : e.diagnostics()) {
                out.push_back(diagnostic_json(d));
            }
        } catch (const Error& e) {
            // A spec that names something missing without a place in the file (exit 3 too).
            if (e.kind() != ErrorKind::invalid_spec) {
                throw;
            }
            failed = true;
            out.push_back(diagnostic_json(Diagnostic{
                .file = s, .mark = {}, .path = "", .message = e.what(), .hint = e.hint()}));
        }
    }
    if (!failed) {
        // The specs together: one URI with two contents, a cycle of images.
        try {
            (void)pipeline::make_graph(std::move(inputs));
        } catch (const SpecError& e) {
            failed = true;
            for (const auto& d : e.diagnostics()) {
                out.push_back(diagnostic_json(d));
            }
        }
    }
    print_json(out);
    return failed ? exit_code(ErrorKind::invalid_spec) : 0;
}

} // namespace

void add_validate(CLI::App& app, GlobalOptions& global, Selected& selected) {
    auto args = std::make_shared<ValidateArgs>();
    auto* cmd =
        app.add_subcommand("validate", "Check specs without building: every problem at once");
    cmd->add_option("SPEC", args->specs,
                    "Spec files (.yaml, .yml, .toml), folders of specs or quoted patterns, or - "
                    "for standard input")
        ->required();
    cmd->add_flag("--json", args->json,
                  "Print a JSON array of diagnostics (severity, file, line, column, path, "
                  "message, hint) on stdout; exit 3 when there is an error");
    add_stdin_flags(cmd, args->input);
    cmd->footer("Examples:\n"
                "  imgspec validate specs/*.yaml specs/*.toml\n"
                "  imgspec validate specs/                  every spec in the folder\n"
                "  imgspec validate spec.yaml --json | jq -r '.[] | .message'");
    cmd->callback([&global, &selected, args] {
        selected = [&global, args] {
            check_spec_args(args->specs, args->input);
            if (args->json) {
                return validate_json(global, *args);
            }
            Config cfg = load_global_config(global);
            auto progress = stderr_progress(global);
            // Every spec's problems at once, then those of the specs together.
            (void)resolve_graph(pipeline::expand_spec_args(args->specs), args->input, cfg,
                                plan_options(progress.get()));
            return 0;
        };
    });
}

} // namespace imgspec::app
