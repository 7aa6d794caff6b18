#include <imgspec/build/buildx.hpp>

#include <imgspec/context/staging.hpp>
#include <imgspec/core/error.hpp>
#include <imgspec/plan/stat_cache.hpp>
#include <imgspec/render/dockerfile.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <string_view>

namespace imgspec::build {

namespace {

constexpr std::array<std::string_view, 5> progress_modes = {"auto", "plain", "tty", "quiet",
                                                            "rawjson"};

// buildx reads --secret as one CSV record: a field holding ',' or '"' must be quoted.
std::string csv_field(const std::string& field) {
    if (field.find_first_of(",\"\n") == std::string::npos) {
        return field;
    }
    std::string out = "\"";
    for (char c : field) {
        out += c;
        if (c == '"') {
            out += '"';
        }
    }
    return out + "\"";
}

} // namespace

BuildOptions with_config_defaults(BuildOptions options, const Config& config) {
    if (options.builder.empty()) {
        options.builder = config.builder.value;
    }
    return options;
}

OutputMode effective_mode(const pipeline::Image& image, const BuildOptions& options) {
    if (options.mode != OutputMode::automatic) {
        return options.mode;
    }
    return image.plan.registry.empty() ? OutputMode::load : OutputMode::push;
}

std::vector<spec::Platform> effective_platforms(const pipeline::Image& image,
                                                const BuildOptions& options) {
    return options.platforms.empty() ? image.plan.platforms : options.platforms;
}

std::vector<std::string> buildx_argv(const pipeline::Image& image, const BuildOptions& options,
                                     const std::string& metadata_file,
                                     const context::Delivery& delivery) {
    std::vector<std::string> argv = {"docker", "buildx", "build"};
    if (!options.builder.empty()) {
        argv.insert(argv.end(), {"--builder", options.builder});
    }
    std::vector<std::string> platforms = spec::platform_names(effective_platforms(image, options));
    if (platforms.empty()) {
        throw Error(ErrorKind::usage, fmt::format("{}: no platform to build", image.uri));
    }
    argv.insert(argv.end(), {"--platform", util::join(platforms, ",")});
    argv.insert(argv.end(), {"--tag", image.uri});
    switch (effective_mode(image, options)) {
    case OutputMode::push:
        if (image.plan.registry.empty()) {
            throw Error(ErrorKind::usage,
                        fmt::format("--push needs a registry: {} has none, so the push would go "
                                    "to Docker Hub",
                                    image.uri),
                        "set `registry:` in the spec or in the config, or use --load");
        }
        argv.emplace_back("--push");
        break;
    case OutputMode::load:
    case OutputMode::automatic:
        argv.emplace_back("--load");
        break;
    case OutputMode::dest:
        if (options.output.empty()) {
            throw Error(ErrorKind::usage, "--output needs a destination",
                        "for example --output type=oci,dest=image.tar");
        }
        if (options.output == "-" || options.output.find("dest=-") != std::string::npos) {
            throw Error(ErrorKind::usage,
                        "--output to stdout is not supported: imgspec's stdout is its summary",
                        "write to a file: --output type=tar,dest=image.tar");
        }
        argv.insert(argv.end(), {"--output", options.output});
        break;
    }
    if (std::find(progress_modes.begin(), progress_modes.end(), options.progress) ==
        progress_modes.end()) {
        throw Error(ErrorKind::usage, fmt::format("unknown progress mode '{}'", options.progress),
                    "use auto, plain, tty, quiet or rawjson");
    }
    argv.insert(argv.end(), {"--progress", options.progress});
    for (const auto& c : options.cache_from) {
        argv.insert(argv.end(), {"--cache-from", c});
    }
    for (const auto& c : options.cache_to) {
        argv.insert(argv.end(), {"--cache-to", c});
    }
    for (const auto& s : image.plan.secrets) {
        std::string source = s.env.empty() ? "src=" + s.file : "env=" + s.env;
        argv.insert(argv.end(), {"--secret", csv_field("id=" + s.id) + "," + csv_field(source)});
    }
    if (!options.base_user.empty() && !image.plan.base_user_image.empty() &&
        image.plan.final_user.empty()) {
        argv.insert(argv.end(), {"--build-arg",
                                 fmt::format("{}={}", render::base_user_arg, options.base_user)});
    }
    argv.emplace_back("--provenance=false");
    argv.insert(argv.end(), {"--metadata-file", metadata_file});
    std::vector<std::string> tail = delivery.buildx_args();
    argv.insert(argv.end(), tail.begin(), tail.end());
    return argv;
}

std::vector<std::string> buildx_argv(const pipeline::Image& image, const BuildOptions& options,
                                     const std::string& metadata_file) {
    return buildx_argv(image, options, metadata_file,
                       *context::tar_delivery(image.context, image.plan.dockerfile_path, {}));
}

std::filesystem::path staged_context_root(const pipeline::Image& image) {
    std::filesystem::path cache = plan::StatCache::default_dir();
    if (cache.empty()) {
        return {};
    }
    // One folder per image repository and spec file: a rebuild after an edit finds the folder of
    // the previous build (the tag is not part of the key), two specs never share one.
    std::string repository = image.uri;
    if (auto colon = repository.rfind(':');
        colon != std::string::npos && repository.find('/', colon) == std::string::npos) {
        repository.resize(colon);
    }
    return context::staging_root(cache, image.plan.name,
                                 repository + "\n" + image.plan.spec.file.string());
}

context::DeliveryKind delivery_kind(const pipeline::Image& image, const Config& config) {
    if (config.context.value == "tar" || staged_context_root(image).empty()) {
        return context::DeliveryKind::tar;
    }
    // BuildKit applies a .dockerignore at the root of a folder context (never to the tar): such a
    // context goes as a tar, so that the engine still sees every planned file.
    bool has_dockerignore =
        std::any_of(image.context.entries.begin(), image.context.entries.end(),
                    [](const plan::Entry& e) { return e.path == ".dockerignore"; });
    return has_dockerignore ? context::DeliveryKind::tar : context::DeliveryKind::sync;
}

std::unique_ptr<context::Delivery>
context_delivery(const pipeline::Image& image, const Config& config, util::Progress* progress) {
    // mtime 0, as `render --context`: the bytes sent are the bytes one can inspect.
    context::TarOptions tar;
    tar.progress = progress;
    if (delivery_kind(image, config) == context::DeliveryKind::sync) {
        context::SyncOptions sync;
        sync.root = staged_context_root(image);
        sync.tar = tar;
        return context::sync_delivery(image.context, image.plan.dockerfile_path, sync);
    }
    return context::tar_delivery(image.context, image.plan.dockerfile_path, tar);
}

std::string metadata_file_placeholder() {
    return (std::filesystem::temp_directory_path() / "imgspec-build-XXXXXX" / "metadata.json")
        .string();
}

} // namespace imgspec::build
