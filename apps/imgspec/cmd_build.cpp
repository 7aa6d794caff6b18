#include "common.hpp"
#include "json_output.hpp"

#include <imgspec/build/build.hpp>
#include <imgspec/core/error.hpp>
#include <imgspec/spec/platform.hpp>
#include <imgspec/util/process.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>

namespace imgspec::app {

namespace {

struct BuildArgs {
    std::vector<std::string> specs;
    bool push = false;
    bool load = false;
    std::string output;
    std::vector<std::string> platforms;
    build::BuildOptions options;
    SpecInput input;
};

// --json: one object per spec, in order. Field names are part of the interface (see
// json_output.hpp).
Json to_json(const build::BuildResult& r) {
    Json j;
    j["uri"] = r.uri;
    j["digest"] = r.digest.empty() ? Json(nullptr) : Json(r.digest);
    j["platforms"] = r.platforms;
    j["skipped"] = r.skipped;
    j["seconds"] = std::round(r.seconds * 1000.0) / 1000.0;
    j["reason"] = r.reason;
    j["parents"] = Json::array();
    for (const auto& p : r.parents) {
        j["parents"].push_back(to_json(p));
    }
    if (r.dry_run) {
        j["dry_run"] = true;
        j["exists"] = r.exists ? Json(*r.exists) : Json(nullptr);
        j["argv"] = r.argv;
    }
    return j;
}

// One line per image, parents first; --dry-run adds the command.
void print_summary(const build::BuildResult& r, const build::BuildOptions& options) {
    for (const auto& p : r.parents) {
        print_summary(p, options);
    }
    if (r.dry_run) {
        if (r.skipped) {
            std::cout << fmt::format("would skip {}: exists with {}\n", r.uri,
                                     util::join(r.platforms, ", "));
        } else {
            std::cout << fmt::format("would build {}: {}\n", r.uri, r.reason);
        }
        if (!r.argv.empty()) {
            std::cout << "  " << util::shell_join(r.argv) << "\n";
        }
    } else if (r.skipped && r.reason == "exists") {
        std::cout << fmt::format("skipped {}: exists with {}\n", r.uri,
                                 util::join(r.platforms, ", "));
    } else if (r.skipped) {
        std::cout << fmt::format("skipped {}: {}\n", r.uri, r.reason);
    } else if (options.mode == build::OutputMode::dest && !r.digest.empty()) {
        std::cout << fmt::format("built {} into {} ({})\n", r.uri, options.output, r.digest);
    } else if (options.mode == build::OutputMode::dest) {
        std::cout << fmt::format("built {} into {}\n", r.uri, options.output);
    } else if (!r.digest.empty()) {
        std::cout << fmt::format("built {} ({})\n", r.uri, r.digest);
    } else {
        std::cout << fmt::format("built {}\n", r.uri);
    }
    std::cout.flush();
}

int run_build(const GlobalOptions& global, BuildArgs& args) {
    // Before anything else, so that Ctrl-C during the first docker call is handled.
    util::install_signal_handlers();
    check_spec_args(args.specs, args.input);
    build::BuildOptions options = args.options;
    if (args.push) {
        options.mode = build::OutputMode::push;
    } else if (args.load) {
        options.mode = build::OutputMode::load;
    } else if (!args.output.empty()) {
        options.mode = build::OutputMode::dest;
        options.output = args.output;
    }
    for (const auto& text : args.platforms) {
        auto p = spec::Platform::parse(text);
        if (!p) {
            throw Error(ErrorKind::usage, fmt::format("--platform: unknown platform '{}'", text),
                        "known: " + util::join(spec::known_platforms(), ", "));
        }
        if (std::find(options.platforms.begin(), options.platforms.end(), *p) ==
            options.platforms.end()) {
            options.platforms.push_back(*p);
        }
    }

    Config cfg = load_global_config(global);
    // "hashing" while a spec is planned, "sending context" until buildx prints its own output;
    // none with -q, --json or when stderr is not a terminal.
    auto progress = options.json ? nullptr : stderr_progress(global);
    options.context_progress = progress.get();
    util::PosixProcessRunner runner;
    Json all = Json::array();
    // With --json the array is printed even when a later spec fails, so a script learns what
    // was pushed before the failure.
    auto flush_json = [&] {
        if (options.json) {
            print_json(all);
        }
    };
    for (const auto& spec_file : args.specs) {
        try {
            pipeline::Image img = build::with_platforms(
                resolve(spec_file, args.input, cfg, plan_options(progress.get())),
                options.platforms, cfg);
            build::BuildResult r = build::build_image(img, cfg, options, runner);
            if (options.json) {
                Json j;
                j["spec"] = spec_file;
                j.update(to_json(r));
                j["warnings"] = warnings_json(img.plan);
                all.push_back(std::move(j));
            } else {
                print_summary(r, options);
            }
        } catch (...) {
            flush_json();
            throw;
        }
    }
    flush_json();
    return 0;
}

} // namespace

void add_build(CLI::App& app, GlobalOptions& global, Selected& selected) {
    auto args = std::make_shared<BuildArgs>();
    auto* cmd = app.add_subcommand(
        "build", "Build (and push or load) the images of specs; skip those that already exist");
    cmd->add_option("SPEC", args->specs, "Spec files (.yaml, .yml, .toml), or - for standard input")
        ->required();
    auto* push =
        cmd->add_flag("--push", args->push, "Push to the registry (default with a registry)");
    auto* load = cmd->add_flag("--load", args->load,
                               "Load into the local engine (default without a registry)");
    auto* output =
        cmd->add_option(
               "--output", args->output,
               "buildx output instead: type=oci,dest=img.tar, type=local,dest=DIR, or a folder")
            ->type_name("DEST");
    push->excludes(load)->excludes(output);
    load->excludes(output);
    cmd->add_option("--platform", args->platforms,
                    "Platforms to build instead of the spec's (comma-separated); they are part "
                    "of the tag")
        ->delimiter(',')
        ->allow_extra_args(false)
        ->type_name("PLATFORM");
    cmd->add_option("--builder", args->options.builder,
                    "buildx builder (default: config, else "
                    "buildx's current)")
        ->type_name("NAME");
    cmd->add_option("--cache-from", args->options.cache_from, "buildx --cache-from (repeatable)")
        ->allow_extra_args(false)
        ->type_name("CACHE");
    cmd->add_option("--cache-to", args->options.cache_to, "buildx --cache-to (repeatable)")
        ->allow_extra_args(false)
        ->type_name("CACHE");
    cmd->add_flag("--force", args->options.force, "Build even when the image exists");
    cmd->add_flag("--dry-run", args->options.dry_run,
                  "Print the buildx command and whether the image exists; build nothing");
    cmd->add_option("--progress", args->options.progress,
                    "buildx progress: auto, plain, tty, quiet, rawjson")
        ->capture_default_str()
        ->type_name("MODE");
    cmd->add_flag("--json", args->options.json,
                  "Print a JSON array: spec, uri, digest, platforms, skipped, seconds, reason, "
                  "parents, warnings");
    add_stdin_flags(cmd, args->input);
    cmd->footer("Examples:\n"
                "  imgspec build spec.yaml                 push (registry) or load (none)\n"
                "  imgspec build a.yaml b.toml --json\n"
                "  imgspec build spec.yaml --platform linux/arm64 --load\n"
                "  imgspec build spec.yaml --output type=oci,dest=image.tar\n"
                "  imgspec build spec.yaml --dry-run");
    cmd->callback([&global, &selected, args] {
        selected = [&global, args] { return run_build(global, *args); };
    });
}

} // namespace imgspec::app
