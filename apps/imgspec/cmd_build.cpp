#include "common.hpp"
#include "json_output.hpp"

#include <imgspec/build/build.hpp>
#include <imgspec/build/docker_cli.hpp>
#include <imgspec/build/graph_build.hpp>
#include <imgspec/core/error.hpp>
#include <imgspec/pipeline/spec_files.hpp>
#include <imgspec/spec/platform.hpp>
#include <imgspec/util/atomic_file.hpp>
#include <imgspec/util/process.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <memory>

#include <unistd.h>

namespace imgspec::app {

namespace {

struct BuildArgs {
    std::vector<std::string> specs;
    bool push = false;
    bool load = false;
    std::string output;
    std::vector<std::string> platforms;
    build::BuildOptions options;
    unsigned jobs = build::default_jobs;
    bool keep_going = false;
    std::string metadata_file;
    SpecInput input;
};

// What the result of one image says, as JSON (without spec, parents and warnings). Field names
// are part of the interface (see json_output.hpp).
Json outcome_json(const build::ImageOutcome& o) {
    const build::BuildResult& r = o.result;
    Json j;
    j["uri"] = r.uri;
    j["digest"] = r.digest.empty() ? Json(nullptr) : Json(r.digest);
    j["platforms"] = r.platforms;
    j["skipped"] = r.skipped;
    j["seconds"] = std::round(r.seconds * 1000.0) / 1000.0;
    j["reason"] = r.reason;
    return j;
}

// The node of each image's `from: spec` parent.
std::size_t parent_node(const pipeline::Graph& g, const pipeline::Node& n) {
    for (std::size_t i = 0; i < g.nodes.size(); ++i) {
        if (g.nodes[i].uri == n.image->parent->uri) {
            return i;
        }
    }
    return g.nodes.size();
}

// --json: one object per spec, in order, its `from: spec` parents nested as before the graph
// (a parent shared by two specs appears under both; it was built once).
Json node_json(const pipeline::Graph& g, const build::GraphResult& r, std::size_t i) {
    const build::ImageOutcome& o = r.images[i];
    Json j = outcome_json(o);
    j["parents"] = Json::array();
    if (g.nodes[i].image->parent) {
        if (std::size_t p = parent_node(g, g.nodes[i]); p < g.nodes.size()) {
            j["parents"].push_back(node_json(g, r, p));
        }
    }
    if (o.result.dry_run) {
        j["dry_run"] = true;
        j["exists"] = o.result.exists ? Json(*o.result.exists) : Json(nullptr);
        j["argv"] = o.result.argv;
    }
    j["status"] = build::status_name(o.status);
    j["error"] = o.error.empty() ? Json(nullptr) : Json(o.error);
    return j;
}

// One line per image, in build order (parents first, each once); --dry-run adds the command.
void print_lines(const pipeline::Graph& g, const build::GraphResult& result,
                 const build::BuildOptions& options) {
    for (std::size_t i = 0; i < g.nodes.size(); ++i) {
        const build::ImageOutcome& o = result.images[i];
        const build::BuildResult& r = o.result;
        const std::string& uri = g.nodes[i].uri;
        if (o.status == build::ImageStatus::failed) {
            std::cout << fmt::format("failed {}: {}\n", uri, o.error);
        } else if (o.status == build::ImageStatus::not_built) {
            std::cout << fmt::format("not built {}: {}\n", uri, o.error);
        } else if (r.dry_run) {
            if (r.skipped) {
                std::cout << fmt::format("would skip {}: exists with {}\n", uri,
                                         util::join(r.platforms, ", "));
            } else {
                std::cout << fmt::format("would build {}: {}\n", uri, r.reason);
            }
            if (!r.argv.empty()) {
                std::cout << "  " << util::shell_join(r.argv) << "\n";
            }
        } else if (r.skipped && r.reason == "exists") {
            std::cout << fmt::format("skipped {}: exists with {}\n", uri,
                                     util::join(r.platforms, ", "));
        } else if (r.skipped) {
            std::cout << fmt::format("skipped {}: {}\n", uri, r.reason);
        } else if (options.mode == build::OutputMode::dest && g.nodes[i].requested) {
            std::cout << fmt::format("built {} into {}{}\n", uri, options.output,
                                     r.digest.empty() ? "" : " (" + r.digest + ")");
        } else if (!r.digest.empty()) {
            std::cout << fmt::format("built {} ({})\n", uri, r.digest);
        } else {
            std::cout << fmt::format("built {}\n", uri);
        }
    }
    std::cout.flush();
}

// On a terminal: a table, one row per image in build order: status, time, image, digest (or
// why it failed or was not built), and a count.
void print_table(const pipeline::Graph& g, const build::GraphResult& result) {
    std::size_t width = 0;
    for (const auto& n : g.nodes) {
        width = std::max(width, n.uri.size());
    }
    std::map<std::string, int> counts;
    for (std::size_t i = 0; i < g.nodes.size(); ++i) {
        const build::ImageOutcome& o = result.images[i];
        std::string status = build::status_name(o.status);
        ++counts[status];
        std::string last = o.error.empty() ? o.result.digest : o.error;
        if (o.error.empty() && last.size() > 19) {
            last = last.substr(0, 19); // sha256: and 12 hex digits
        }
        std::cout << fmt::format("{:<11} {:>7.1f}s  {:<{}}  {}\n", status, o.result.seconds,
                                 g.nodes[i].uri, width, last);
    }
    std::vector<std::string> parts;
    for (const auto& [status, n] : counts) {
        parts.push_back(fmt::format("{} {}", n, status));
    }
    std::cout << fmt::format("{} image{}: {}\n", g.nodes.size(), g.nodes.size() == 1 ? "" : "s",
                             util::join(parts, ", "));
    std::cout.flush();
}

// --metadata-file: one entry per image, keyed by URI, written atomically (also when a build
// failed, so that CI learns what was pushed).
void write_metadata(const std::string& file, const pipeline::Graph& g,
                    const build::GraphResult& result) {
    Json all = Json::object();
    for (std::size_t i = 0; i < g.nodes.size(); ++i) {
        const build::ImageOutcome& o = result.images[i];
        Json j = outcome_json(o);
        j["specs"] = g.nodes[i].specs;
        j["requested"] = g.nodes[i].requested;
        j["status"] = build::status_name(o.status);
        j["error"] = o.error.empty() ? Json(nullptr) : Json(o.error);
        // buildx's own key, for tools that read buildx --metadata-file.
        j["containerimage.digest"] = j["digest"];
        all[g.nodes[i].uri] = std::move(j);
    }
    util::AtomicFile out(file);
    std::string text = all.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
    out.write(text.data(), text.size());
    out.commit();
}

void print_failure(const std::string& message, const std::string& hint) {
    std::cerr << "imgspec: error: " << printable(message) << "\n";
    if (!hint.empty()) {
        std::cerr << "  hint: " << printable(hint) << "\n";
    }
}

build::BuildOptions command_options(const BuildArgs& args) {
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
    if (args.jobs < 1 || args.jobs > build::max_jobs) {
        throw Error(ErrorKind::usage, fmt::format("-j {}: builds at a time must be 1 to {}",
                                                  args.jobs, build::max_jobs));
    }
    return options;
}

int build_specs(const GlobalOptions& global, BuildArgs& args);

int run_build(const GlobalOptions& global, BuildArgs& args) {
    // Before anything else, so that Ctrl-C during the first docker call is handled.
    util::install_signal_handlers();
    try {
        return build_specs(global, args);
    } catch (...) {
        // Nothing started (a spec error, a missing secret): with --json still a list, empty.
        if (args.options.json) {
            print_json(Json::array());
        }
        throw;
    }
}

int build_specs(const GlobalOptions& global, BuildArgs& args) {
    check_spec_args(args.specs, args.input);
    build::BuildOptions options = command_options(args);
    std::vector<std::string> specs = pipeline::expand_spec_args(args.specs);
    if (options.mode == build::OutputMode::dest && specs.size() > 1) {
        throw Error(ErrorKind::usage, "--output writes one image; several specs were given",
                    "build them one at a time with --output, or push or load them all");
    }

    Config cfg = load_global_config(global);
    // "hashing" while a spec is planned, "sending context" until buildx prints its own output;
    // none with -q, --json or when stderr is not a terminal.
    auto progress = options.json ? nullptr : stderr_progress(global);
    options.context_progress = progress.get();
    pipeline::Graph graph = resolve_graph(
        specs, args.input, cfg, plan_options(progress.get()), [&](pipeline::Image img) {
            return build::with_platforms(std::move(img), options.platforms, cfg);
        });
    if (options.mode == build::OutputMode::dest && graph.inputs.size() > 1) {
        throw Error(ErrorKind::usage,
                    fmt::format("--output writes one image; {} is a matrix of {} images",
                                printable(specs.front()), graph.inputs.size()),
                    "pick one with --matrix AXIS=VALUE, or push or load them all");
    }

    build::GraphOptions go;
    go.build = options;
    go.jobs = args.jobs;
    go.keep_going = args.keep_going;
    // Each failure as it happens, as main prints an error; an interruption once, at the end.
    go.on_done = [](const pipeline::Node&, const build::ImageOutcome& o) {
        if (o.status == build::ImageStatus::failed && o.kind != ErrorKind::interrupted) {
            print_failure(o.error, o.hint);
        }
    };
    util::PosixProcessRunner posix;
    build::DirectBuildxRunner runner(posix);
    build::GraphResult result = build::build_graph(graph, cfg, go, runner);

    if (options.json) {
        Json all = Json::array();
        for (std::size_t k = 0; k < graph.inputs.size(); ++k) {
            const pipeline::Node& n = graph.nodes[graph.inputs[k]];
            Json j;
            j["spec"] = graph.input_specs[k];
            j.update(node_json(graph, result, graph.inputs[k]));
            if (!n.image->plan.spec.matrix.empty()) {
                j["matrix"] = matrix_json(n.image->plan.spec.matrix);
            }
            j["warnings"] = warnings_json(n.image->plan);
            all.push_back(std::move(j));
        }
        print_json(all);
    } else if (isatty(STDOUT_FILENO) == 1 && !options.dry_run) {
        print_table(graph, result);
    } else {
        print_lines(graph, result, options);
    }
    if (!args.metadata_file.empty()) {
        write_metadata(args.metadata_file, graph, result);
    }
    if (result.exit_code == exit_code(ErrorKind::interrupted)) {
        print_failure("interrupted", "");
    } else if (result.exit_code != 0) {
        std::size_t failed =
            std::count_if(result.images.begin(), result.images.end(),
                          [](const auto& o) { return o.status == build::ImageStatus::failed; });
        if (graph.nodes.size() > 1) {
            std::cerr << fmt::format("imgspec: {} of {} images failed\n", failed,
                                     graph.nodes.size());
        }
    }
    return result.exit_code;
}

} // namespace

void add_build(CLI::App& app, GlobalOptions& global, Selected& selected) {
    auto args = std::make_shared<BuildArgs>();
    auto* cmd = app.add_subcommand(
        "build", "Build (and push or load) the images of specs; skip those that already exist");
    cmd->add_option("SPEC", args->specs,
                    "Spec files (.yaml, .yml, .toml), folders of specs or quoted patterns, or - "
                    "for standard input; each image, parents included, is built once")
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
    cmd->add_flag("--provenance{max}", args->options.provenance,
                  "Attach a provenance attestation: --provenance (max) or --provenance=min; "
                  "--provenance=off (default: config's provenance, off)")
        ->check(CLI::IsMember({"off", "min", "max"}))
        ->option_text("[=min|max|off]");
    cmd->add_flag("--sbom", args->options.sbom,
                  "Attach an SBOM attestation (generator image: config's sbom_generator)");
    cmd->add_flag("--reproducible", args->options.reproducible,
                  "Same inputs, same digests: SOURCE_DATE_EPOCH (config's source_date_epoch, "
                  "default 0) and layer timestamps rewritten to it; needs a push or an --output "
                  "image");
    cmd->add_flag("--force", args->options.force, "Build even when the image exists");
    cmd->add_option("-j,--jobs", args->jobs,
                    fmt::format("Images built at a time, 1 to {} (default {}); with more than "
                                "one, buildx's lines start with [image]",
                                build::max_jobs, build::default_jobs))
        ->type_name("N");
    cmd->add_flag("--keep-going", args->keep_going,
                  "After a failure, go on building the images that do not start from the failed "
                  "one (default: start no new build)");
    cmd->add_option("--metadata-file", args->metadata_file,
                    "Write a JSON object with one entry per image (keyed by URI): status, digest, "
                    "platforms, seconds, reason, error, specs")
        ->type_name("FILE");
    cmd->add_flag("--dry-run", args->options.dry_run,
                  "Print the buildx command and whether the image exists; build nothing");
    cmd->add_option("--progress", args->options.progress,
                    "buildx progress: auto, plain, tty, quiet, rawjson")
        ->capture_default_str()
        ->type_name("MODE");
    cmd->add_flag("--json", args->options.json,
                  "Print a JSON array, one object per spec: spec, uri, digest, platforms, "
                  "skipped, seconds, reason, parents, status, error, warnings");
    add_stdin_flags(cmd, args->input);
    add_matrix_flag(cmd, args->input);
    cmd->footer("Examples:\n"
                "  imgspec build spec.yaml                 push (registry) or load (none)\n"
                "  imgspec build a.yaml b.toml --json\n"
                "  imgspec build envs/ -j 8 --metadata-file built.json\n"
                "  imgspec build spec.yaml --platform linux/arm64 --load\n"
                "  imgspec build spec.yaml --output type=oci,dest=image.tar\n"
                "  imgspec build spec.yaml --dry-run\n"
                "  imgspec build matrix.yaml --matrix python_version=3.12 -j 2");
    cmd->callback([&global, &selected, args] {
        selected = [&global, args] { return run_build(global, *args); };
    });
}

} // namespace imgspec::app
