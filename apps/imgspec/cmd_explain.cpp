#include "common.hpp"

#include <imgspec/build/docker_cli.hpp>
#include <imgspec/build/registry.hpp>
#include <imgspec/core/error.hpp>
#include <imgspec/pipeline/explain.hpp>
#include <imgspec/spec/names.hpp>

#include <fmt/format.h>

#include <iostream>
#include <memory>

namespace imgspec::app {

namespace {

struct ExplainArgs {
    std::string spec;
    std::string against;
    bool json = false;
    bool no_cache = false;
};

int run_explain(const GlobalOptions& global, const ExplainArgs& args) {
    Config cfg = load_global_config(global);
    plan::PlanOptions options;
    options.use_cache = !args.no_cache;
    auto progress = args.json ? nullptr : stderr_progress(global);
    options.progress = progress.get();
    std::optional<pipeline::TagRecord> before;
    std::optional<pipeline::Covers> covers;
    if (!args.against.empty()) {
        // A digest is not a tag this machine computed.
        std::string tag = spec::split_image_ref(args.against).tag;
        before = tag.empty() ? std::nullopt : pipeline::record_of_tag(tag);
        if (!before) {
            // Not computed here: what the image's annotation says its tag covered.
            util::PosixProcessRunner posix;
            build::DirectBuildxRunner runner(posix);
            auto text = build::image_annotation(runner, args.against, pipeline::covers_annotation);
            if (!text) {
                throw Error(ErrorKind::other,
                            fmt::format("{}: this machine has no record of what tag '{}' "
                                        "covered, and the image has no {} annotation",
                                        args.against, tag, pipeline::covers_annotation),
                            "explain compares with tags that imgspec computed here (uri, render, "
                            "build) or with images that imgspec pushed");
            }
            covers = pipeline::parse_covers(*text);
        }
    } else {
        before = pipeline::last_record(args.spec);
        if (!before) {
            throw Error(ErrorKind::other,
                        fmt::format("{}: no earlier tag of this spec on this machine", args.spec),
                        "explain compares with the last tag computed here: run `imgspec uri " +
                            args.spec +
                            "` (or render, build) once, change something, then "
                            "explain");
        }
    }
    // Resolved without `resolve()`'s record keeping, so that asking twice answers the same.
    pipeline::Image img = resolve_image(args.spec, SpecInput{}, cfg, std::move(options));
    auto after = pipeline::record_of(img, args.spec);
    auto e = covers ? pipeline::explain(*covers, after) : pipeline::explain(*before, after);
    std::cout << (args.json ? pipeline::explanation_json(e, args.spec)
                            : pipeline::explanation_text(e, args.spec));
    return 0;
}

} // namespace

void add_explain(CLI::App& app, GlobalOptions& global, Selected& selected) {
    auto args = std::make_shared<ExplainArgs>();
    auto* cmd = app.add_subcommand(
        "explain", "Say why the tag differs from the last one computed here, or from another tag");
    cmd->add_option("SPEC", args->spec, "Spec file")->required();
    cmd->add_option("--against", args->against,
                    "Compare with the image at URI: with what this machine recorded for its tag, "
                    "else with the annotation imgspec wrote on it when it pushed it");
    cmd->add_flag("--json", args->json,
                  "Print a JSON object: tag, previous_tag, changed, dockerfile, layers, files, "
                  "platforms");
    add_no_cache_flag(cmd, args->no_cache);
    cmd->footer("Examples:\n"
                "  imgspec uri spec.yaml; vi src/app.py; imgspec explain spec.yaml\n"
                "  imgspec explain spec.yaml --against registry.example.com/app:<tag>\n"
                "  imgspec explain spec.yaml --json | jq -r '.files[].path'");
    cmd->callback([&global, &selected, args] {
        selected = [&global, args] {
            if (args->spec == "-") {
                throw Error(ErrorKind::usage, "explain needs a spec file, not standard input",
                            "a spec on standard input has no earlier tag to compare with");
            }
            return run_explain(global, *args);
        };
    });
}

} // namespace imgspec::app
