#include "common.hpp"

#include <imgspec/build/buildx.hpp>
#include <imgspec/context/tar_writer.hpp>
#include <imgspec/core/error.hpp>
#include <imgspec/util/atomic_file.hpp>

#include <iostream>
#include <memory>

namespace imgspec::app {

namespace {

struct RenderArgs {
    std::string spec;
    bool dockerfile = false;
    std::string context;
    bool buildx = false;
};

} // namespace

void add_render(CLI::App& app, GlobalOptions& global, Selected& selected) {
    auto args = std::make_shared<RenderArgs>();
    auto* cmd = app.add_subcommand(
        "render", "Print the Dockerfile, write the context, or show the buildx argv");
    cmd->add_option("SPEC", args->spec, "Spec file")->required();
    auto* df = cmd->add_flag("--dockerfile", args->dockerfile, "Print the Dockerfile");
    auto* ctx =
        cmd->add_option("--context", args->context, "Write the exact build context as a tar file");
    auto* bx =
        cmd->add_flag("--buildx", args->buildx, "Print the buildx argv that build would run");
    df->excludes(ctx)->excludes(bx);
    ctx->excludes(bx);
    cmd->callback([&global, &selected, args] {
        selected = [&global, args] {
            Config cfg = load_global_config(global);
            render::Image img = resolve(args->spec, cfg);
            if (img.passthrough) {
                // Nothing to build: there is no Dockerfile or context, only the base's own URI.
                throw Error(ErrorKind::usage,
                            img.uri + " is the base image used as it is: nothing to render",
                            "add layers or a name to build an image of your own");
            }
            if (!args->context.empty()) {
                util::AtomicFile out(args->context);
                context::write_tar_to_fd(img.context, context::TarOptions{}, out.fd());
                out.commit();
                return 0;
            }
            if (args->buildx) {
                // What `build` runs with default options (its temp metadata path shown as a
                // pattern), one argument per line so that values with spaces stay readable.
                build::BuildOptions options = build::with_config_defaults({}, cfg);
                for (const auto& arg :
                     build::buildx_argv(img, options, build::metadata_file_placeholder())) {
                    std::cout << arg << "\n";
                }
                return 0;
            }
            std::cout << img.dockerfile;
            return 0;
        };
    });
}

} // namespace imgspec::app
