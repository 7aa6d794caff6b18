#include <imgspec/build/buildx.hpp>

#include <imgspec/context/staging.hpp>
#include <imgspec/core/error.hpp>
#include <imgspec/pipeline/explain.hpp>
#include <imgspec/plan/stat_cache.hpp>
#include <imgspec/render/dockerfile.hpp>
#include <imgspec/spec/names.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <string_view>

namespace imgspec::build {

namespace {

constexpr std::array<std::string_view, 4> output_image_types = {"type=oci", "type=docker",
                                                                "type=image", "type=registry"};

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

// The image's URI without its tag or digest.
std::string image_repository(const std::string& uri) {
    return spec::split_image_ref(uri).repository;
}

// Whether an --output writes an image (manifests, layers) rather than files (local, tar).
bool writes_image(const std::string& output) {
    return std::any_of(output_image_types.begin(), output_image_types.end(),
                       [&](std::string_view t) { return output.find(t) != std::string::npos; });
}

// --output DEST, and with --reproducible the timestamps rewritten when DEST writes an image.
std::string reproducible_output(const BuildOptions& options) {
    const std::string& out = options.output;
    if (!options.reproducible || !writes_image(out) ||
        out.find("rewrite-timestamp") != std::string::npos) {
        return out;
    }
    return out + ",rewrite-timestamp=true";
}

// `text` with {repository} replaced by the image's repository.
std::string expand_repository(std::string text, const pipeline::Image& image) {
    const std::string repository = image_repository(image.uri);
    for (std::size_t at = text.find("{repository}"); at != std::string::npos;
         at = text.find("{repository}", at + repository.size())) {
        text.replace(at, 12, repository);
    }
    return text;
}

// The command line's caches, else the spec's, else the config's registry cache (when the image
// has a registry to keep it in).
void add_cache_args(std::vector<std::string>& argv, const pipeline::Image& image,
                    const BuildOptions& options) {
    std::vector<std::string> from = options.cache_from;
    std::vector<std::string> to = options.cache_to;
    const spec::Spec& s = image.plan.spec;
    if (from.empty() && to.empty()) {
        from = s.cache_from;
        to = s.cache_to;
    }
    if (from.empty() && to.empty() && !options.cache_ref.empty() && !image.plan.registry.empty()) {
        std::string ref = options.cache_ref;
        from = {"type=registry,ref=" + ref};
        to = {"type=registry,ref=" + ref + ",mode=max"};
    }
    for (const auto& c : from) {
        argv.insert(argv.end(), {"--cache-from", expand_repository(c, image)});
    }
    for (const auto& c : to) {
        argv.insert(argv.end(), {"--cache-to", expand_repository(c, image)});
    }
}

// The epoch, the labels, the annotation and the attestations.
void add_metadata_args(std::vector<std::string>& argv, const pipeline::Image& image,
                       const BuildOptions& options, std::size_t platform_count) {
    if (options.reproducible) {
        argv.insert(argv.end(), {"--build-arg", "SOURCE_DATE_EPOCH=" + options.source_date_epoch});
    }
    for (const auto& [name, value] : options.labels) {
        argv.insert(argv.end(), {"--label", name + "=" + value});
    }
    OutputMode mode = effective_mode(image, options);
    if (mode == OutputMode::push || (mode == OutputMode::dest && writes_image(options.output))) {
        std::string covers = pipeline::covers_json(image);
        // buildx refuses index annotations on a single-platform image, which has no index.
        if (platform_count > 1 && mode == OutputMode::push) {
            argv.insert(argv.end(),
                        {"--annotation",
                         std::string("index:") + pipeline::covers_annotation + "=" + covers});
        }
        argv.insert(argv.end(), {"--annotation", std::string("manifest:") +
                                                     pipeline::covers_annotation + "=" + covers});
    }
    if (options.provenance == "min" || options.provenance == "max") {
        argv.emplace_back("--provenance=mode=" + options.provenance);
    } else {
        argv.emplace_back("--provenance=false");
    }
    if (options.sbom) {
        argv.insert(argv.end(), {"--attest", "type=sbom,generator=" + options.sbom_generator});
    }
}

} // namespace

BuildOptions with_config_defaults(BuildOptions options, const Config& config) {
    if (options.builder.empty()) {
        options.builder = config.builder.value;
    }
    if (options.provenance.empty()) {
        options.provenance = config.provenance.value;
    }
    options.sbom = options.sbom || is_true(config.sbom);
    if (options.sbom_generator.empty()) {
        options.sbom_generator = config.sbom_generator.value;
    }
    options.reproducible = options.reproducible || is_true(config.reproducible);
    if (options.source_date_epoch.empty()) {
        options.source_date_epoch = config.source_date_epoch.value;
    }
    if (options.cache_ref.empty() && config.cache.value == "registry") {
        options.cache_ref = config.cache_ref.value;
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
    if (platforms.size() != 1 || options.default_platform.empty() ||
        spec::normalize_platform(platforms.front()) !=
            spec::normalize_platform(options.default_platform)) {
        argv.insert(argv.end(), {"--platform", util::join(platforms, ",")});
    }
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
        if (options.reproducible) {
            // The docker driver cannot push with rewritten timestamps (its store unpacks, and
            // with store=false it pushes again from the store): an OCI tar, which build loads
            // into the engine and pushes as it is (same digests).
            argv.insert(argv.end(),
                        {"--output", "type=oci,dest=" + oci_image_tar(metadata_file).string() +
                                         ",name=" + image.uri + ",rewrite-timestamp=true"});
        } else {
            argv.emplace_back("--push");
        }
        break;
    case OutputMode::load:
    case OutputMode::automatic:
        if (options.reproducible) {
            throw Error(ErrorKind::usage,
                        fmt::format("{}: --reproducible cannot --load: the engine's image store "
                                    "cannot rewrite layer timestamps",
                                    image.uri),
                        "push it (--push, with a registry) or write it: --output "
                        "type=oci,dest=image.tar");
        }
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
        argv.insert(argv.end(), {"--output", reproducible_output(options)});
        break;
    }
    if (std::find(progress_modes.begin(), progress_modes.end(), options.progress) ==
        progress_modes.end()) {
        throw Error(ErrorKind::usage, fmt::format("unknown progress mode '{}'", options.progress),
                    "use auto, plain, tty, quiet or rawjson");
    }
    argv.insert(argv.end(), {"--progress", options.progress});
    add_cache_args(argv, image, options);
    for (const auto& s : image.plan.secrets) {
        std::string source = s.env.empty() ? "src=" + s.file : "env=" + s.env;
        argv.insert(argv.end(), {"--secret", csv_field("id=" + s.id) + "," + csv_field(source)});
    }
    if (!options.base_user.empty() && !image.plan.base_user_image.empty() &&
        image.plan.final_user.empty()) {
        argv.insert(argv.end(), {"--build-arg",
                                 fmt::format("{}={}", render::base_user_arg, options.base_user)});
    }
    add_metadata_args(argv, image, options, platforms.size());
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

std::filesystem::path oci_image_tar(const std::filesystem::path& metadata_file) {
    return metadata_file.parent_path() / "image.tar";
}

std::filesystem::path staged_context_root(const pipeline::Image& image) {
    std::filesystem::path cache = plan::StatCache::default_dir();
    if (cache.empty()) {
        return {};
    }
    // One folder per image repository and spec file: a rebuild after an edit finds the folder of
    // the previous build (the tag is not part of the key), two specs never share one.
    return context::staging_root(
        cache, image.plan.name, image_repository(image.uri) + "\n" + image.plan.spec.file.string());
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
