#include "common.hpp"
#include "json_output.hpp"

#include <imgspec/build/build.hpp>
#include <imgspec/build/buildx.hpp>
#include <imgspec/context/tar_writer.hpp>
#include <imgspec/core/error.hpp>
#include <imgspec/pipeline/spec_files.hpp>
#include <imgspec/util/atomic_file.hpp>
#include <imgspec/util/process.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>

#include <iostream>
#include <memory>

namespace imgspec::app {

namespace {

struct RenderArgs {
    std::vector<std::string> specs;
    bool dockerfile = false;
    std::string context;
    bool buildx = false;
    bool json = false;
    bool no_cache = false;
    SpecInput input;
};

// The context tar into `file`, atomically, with a progress line on a terminal. Not fsynced: the
// tar is made again by the same command, and waiting for a GiB to reach the disk took as long as
// writing it (0.45 s of 1 s on bench tree (a)); GNU tar does not either.
void write_context(const pipeline::Image& img, const std::string& file, util::Progress* progress) {
    util::AtomicFile out(file);
    context::TarOptions options;
    options.progress = progress;
    options.progress_what = "writing context";
    context::write_tar(img.context, options,
                       [&](const void* data, std::size_t size) { out.write(data, size); });
    out.commit(util::AtomicFile::Durability::unsynced);
}

// The images of a graph: --json, a list of the inputs' objects, each image once in the order
// given; --buildx, every argv that `build` of them all would run, in build order (parents
// included), one block per image with an empty line between.
int render_graph(const pipeline::Graph& graph, const Config& cfg, const RenderArgs& args) {
    if (args.json) {
        Json all = Json::array();
        for (std::size_t i : input_nodes(graph)) {
            const pipeline::Node& n = graph.nodes[i];
            if (!n.image->passthrough) {
                all.push_back(render_json(n.specs.front(), *n.image, cfg));
            }
        }
        print_json(all);
        return 0;
    }
    build::BuildOptions options = build::with_config_defaults({}, cfg);
    bool first = true;
    for (const auto& n : graph.nodes) {
        if (n.image->passthrough) {
            continue;
        }
        std::cout << (first ? "" : "\n");
        first = false;
        const build::BuildOptions o =
            n.requested ? options : build::parent_options(*n.image, options);
        for (const auto& arg :
             build::buildx_argv(*n.image, o, build::metadata_file_placeholder())) {
            std::cout << arg << "\n";
        }
    }
    return 0;
}

// Several specs (or a folder, or a pattern): render_graph.
int render_many(const GlobalOptions& global, const RenderArgs& args) {
    if (!args.json && !args.buildx) {
        throw Error(ErrorKind::usage,
                    "--dockerfile and --context render one image; several specs were given",
                    "name one spec, or use --json (each image's Dockerfile is in its object) or "
                    "--buildx");
    }
    Config cfg = load_global_config(global);
    return render_graph(resolve_many(global, cfg, args.specs, args.input, args.json, args.no_cache),
                        cfg, args);
}

// One image: its Dockerfile, context, buildx argv or JSON.
int render_image(const pipeline::Image& img, const Config& cfg, const RenderArgs& args,
                 util::Progress* progress) {
    const std::string& spec = args.specs.front();
    if (img.passthrough) {
        // Nothing to build: there is no Dockerfile or context, only the base's own URI.
        throw Error(ErrorKind::usage,
                    img.uri + " is the base image used as it is: nothing to render",
                    "add layers or a name to build an image of your own");
    }
    if (args.json) {
        print_json(render_json(spec, img, cfg));
        return 0;
    }
    if (!args.context.empty()) {
        // Ctrl-C or SIGTERM while the tar is written removes its temp file, exit 130.
        util::install_signal_handlers();
        write_context(img, args.context, progress);
        return 0;
    }
    if (args.buildx) {
        // What `build` runs with default options (its temp metadata path shown as a
        // pattern), one argument per line so that values with spaces stay readable.
        build::BuildOptions options = build::with_config_defaults({}, cfg);
        auto delivery = build::context_delivery(img, cfg);
        for (const auto& arg :
             build::buildx_argv(img, options, build::metadata_file_placeholder(), *delivery)) {
            std::cout << arg << "\n";
        }
        return 0;
    }
    std::cout << img.dockerfile;
    return 0;
}

// A matrix's images: --json and --buildx as for several specs; --dockerfile and --context need
// --matrix to pick one image.
int render_matrix(std::vector<pipeline::Image> images, const Config& cfg, const RenderArgs& args,
                  util::Progress* progress) {
    if (args.json || args.buildx) {
        std::vector<pipeline::GraphInput> inputs;
        for (auto& img : images) {
            inputs.push_back(pipeline::GraphInput{args.specs.front(), std::move(img)});
        }
        return render_graph(pipeline::make_graph(std::move(inputs)), cfg, args);
    }
    if (images.size() > 1) {
        std::vector<std::string> labels;
        for (const auto& img : images) {
            labels.push_back(spec::matrix_label(img.plan.spec.matrix));
        }
        throw Error(ErrorKind::usage,
                    fmt::format("{} is a matrix of {} images; --dockerfile and --context render "
                                "one",
                                printable(args.specs.front()), images.size()),
                    fmt::format("pick one with --matrix AXIS=VALUE; its images: {}",
                                util::join(labels, "; ")));
    }
    return render_image(images.front(), cfg, args, progress);
}

} // namespace

void add_render(CLI::App& app, GlobalOptions& global, Selected& selected) {
    auto args = std::make_shared<RenderArgs>();
    auto* cmd = app.add_subcommand(
        "render", "Print the Dockerfile, write the context, or show the buildx argv");
    cmd->add_option("SPEC", args->specs,
                    "Spec file, or - for standard input; with --json or --buildx also several, "
                    "folders of specs or quoted patterns")
        ->required();
    auto* df = cmd->add_flag("--dockerfile", args->dockerfile, "Print the Dockerfile");
    auto* ctx =
        cmd->add_option("--context", args->context, "Write the exact build context as a tar file")
            ->type_name("FILE.tar");
    auto* bx =
        cmd->add_flag("--buildx", args->buildx, "Print the buildx argv that build would run");
    auto* js = cmd->add_flag("--json", args->json,
                             "Print the resolved plan as JSON: base, layers, files with digests, "
                             "tag inputs, Dockerfile");
    add_no_cache_flag(cmd, args->no_cache);
    add_stdin_flags(cmd, args->input);
    add_matrix_flag(cmd, args->input);
    df->excludes(ctx)->excludes(bx)->excludes(js);
    ctx->excludes(bx)->excludes(js);
    bx->excludes(js);
    cmd->footer("Examples:\n"
                "  imgspec render spec.yaml --dockerfile > Dockerfile\n"
                "  imgspec render spec.yaml --context context.tar && tar -tvf context.tar\n"
                "  imgspec render spec.yaml --buildx\n"
                "  generate-spec | imgspec render - --dockerfile --context-dir src\n"
                "  imgspec render spec.yaml --json | jq '.files[] | [.path, .sha256]'\n"
                "  imgspec render envs/ --buildx          every buildx argv, parents first\n"
                "  imgspec render matrix.yaml --dockerfile --matrix variant=gpu");
    cmd->callback([&global, &selected, args] {
        selected = [&global, args] {
            check_spec_args(args->specs, args->input);
            if (args->specs.size() > 1 || pipeline::names_many(args->specs.front())) {
                return render_many(global, *args);
            }
            Config cfg = load_global_config(global);
            // "hashing", then "writing context" for --context; none with --json.
            auto progress = args->json ? nullptr : stderr_progress(global);
            plan::PlanOptions plan_options;
            plan_options.use_cache = !args->no_cache;
            plan_options.progress = progress.get();
            std::vector<pipeline::Image> images =
                resolve_all(args->specs.front(), args->input, cfg, std::move(plan_options));
            check_matrix_used(args->input, from_matrix(images));
            if (from_matrix(images)) {
                return render_matrix(std::move(images), cfg, *args, progress.get());
            }
            return render_image(images.front(), cfg, *args, progress.get());
        };
    });
}

} // namespace imgspec::app
