#pragma once
// The `docker buildx build` command line for an image: a pure function of the image and the
// options, shared by `imgspec build` (which runs it) and `imgspec render --buildx` (which prints
// it), so what is shown is what runs.

#include <imgspec/context/delivery.hpp>
#include <imgspec/core/config.hpp>
#include <imgspec/pipeline/pipeline.hpp>
#include <imgspec/spec/platform.hpp>
#include <imgspec/util/progress.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace imgspec::build {

// Where the built image goes.
enum class OutputMode {
    automatic, // push when the image has a registry, else load into the local engine
    push,      // --push
    load,      // --load (several platforms need dockerd's containerd image store)
    dest,      // --output DEST, given to buildx as it is
};

struct BaseUsers; // build.cpp's

struct BuildOptions {
    OutputMode mode = OutputMode::automatic;
    // For OutputMode::dest: buildx's own syntax. "type=oci,dest=img.tar", "type=local,dest=dir",
    // or a plain path, which buildx reads as type=local,dest=PATH (a folder of files). "-"
    // (the image as a tar on stdout) is refused: imgspec's stdout is its summary.
    std::string output;
    std::vector<spec::Platform> platforms; // empty: the spec's
    std::string builder;                   // empty: the config's, else buildx's current builder
    // buildx --cache-from/--cache-to as given; when both are empty and the config's `cache` is
    // "registry", the image's own cache reference (cache_ref) for both, written with mode=max.
    std::vector<std::string> cache_from;
    std::vector<std::string> cache_to;
    std::string cache_ref; // from the config when its cache is "registry"; {repository} expands
    // Attestations, off unless asked: "" takes the config's provenance (off, min, max); sbom
    // adds an SBOM attestation made by the config's sbom_generator image.
    std::string provenance;
    bool sbom = false;
    std::string sbom_generator; // the config's
    // Reproducible digests (with the config's reproducible: true too): SOURCE_DATE_EPOCH
    // (source_date_epoch, else the config's) and layer timestamps rewritten to it. Needs a
    // push or an --output that writes an image: the engine's store cannot rewrite timestamps.
    bool reproducible = false;
    std::string source_date_epoch;
    // --label NAME=VALUE on the image (org.opencontainers.image.*: build fills them from the
    // spec's git repository); not part of the tag.
    std::vector<std::pair<std::string, std::string>> labels;
    bool force = false;            // build even when the image exists
    bool dry_run = false;          // print what would run, build nothing
    std::string progress = "auto"; // buildx --progress: auto, plain, tty, quiet, rawjson
    bool json = false;             // machine-readable summary (the app's concern)
    // imgspec's own line while the context streams into buildx (TarOptions::progress), ended
    // (cleared) just before buildx's first output reaches the terminal, so buildx's progress,
    // whatever the --progress mode, is never drawn over. Not part of the argv. Null: none.
    util::Progress* context_progress = nullptr;
    // Not part of the argv: when not empty, each line buildx prints is forwarded with this in
    // front (util::ProcessSpec::forward_prefix), so that the output of builds running at the same
    // time stays readable. Empty: forwarded as it comes, on a terminal through a pseudo-terminal.
    std::string output_prefix;
    // The user of the image the plan starts from (Plan::base_user_image), as build looked it
    // up: --build-arg IMGSPEC_BASE_USER, which the Dockerfile restores at its end. Empty: the
    // Dockerfile's default (0:0).
    std::string base_user;
    // The platform the builder builds for when given no --platform, when build could tell it
    // cheaply (default_builder_platform): a build of exactly that one platform leaves
    // --platform out, which saves buildx loading its builder's nodes (~0.1 s); the image is the
    // same. Empty: --platform is always given.
    std::string default_platform;
    // Not part of the argv: the base images' users looked up so far in this run, shared by the
    // images of a graph (build_graph makes one). Null: each image looks its base up.
    std::shared_ptr<BaseUsers> base_users;
};

// The options with the config's defaults filled in: the builder, attestations, reproducible and
// its epoch, the registry cache.
BuildOptions with_config_defaults(BuildOptions options, const Config& config);

// `automatic` resolved against the image: push with a registry, else load.
OutputMode effective_mode(const pipeline::Image& image, const BuildOptions& options);

// The platforms that are built: the options' override, else the plan's.
std::vector<spec::Platform> effective_platforms(const pipeline::Image& image,
                                                const BuildOptions& options);

// docker buildx build [--builder B] [--platform P1,P2] --tag URI (--push | --load | --output DEST)
//   --progress MODE [--cache-from X]... [--cache-to X]... [--secret id=ID,env=VAR |
//   id=ID,src=FILE]... [--build-arg SOURCE_DATE_EPOCH=N] [--label K=V]...
//   [--annotation [index:|manifest:]io.imgspec.covers=JSON]...
//   (--provenance=false | --provenance=mode=min|max) [--attest type=sbom,generator=IMAGE]
//   --metadata-file F CONTEXT-ARGS
//
// Reproducible with a push: --output type=oci,dest=<oci_image_tar>,name=URI,
// rewrite-timestamp=true instead of --push, which build then loads and pushes (`docker load`,
// `docker push`): the docker driver's store unpacks, which rewrite-timestamp forbids, and with
// store=false it pushes a second time from that store and fails.
// The annotation (on pushed images and --output images) records what the tag covers
// (pipeline::covers_json), for `imgspec explain --against URI` on any machine.
//
// CONTEXT-ARGS are the delivery's (context::Delivery::buildx_args): `-f Dockerfile -` for the tar
// on stdin with the Dockerfile inside it, the three-argument form's. Secrets appear as the name of
// the environment variable or the path of the file buildx reads them from, never as values.
// --provenance=false: an attestation manifest would sit in the index beside the images, and
// registries and tools that do not know it show an "unknown/unknown" platform.
//
// Throws Error(ErrorKind::usage) for an invalid combination: --push without a registry (the image
// would go to Docker Hub), --output without or with "-" as a destination, an unknown progress
// mode, no platform, --reproducible with --load.
std::vector<std::string> buildx_argv(const pipeline::Image& image, const BuildOptions& options,
                                     const std::string& metadata_file,
                                     const context::Delivery& delivery);
std::vector<std::string> buildx_argv(const pipeline::Image& image, const BuildOptions& options,
                                     const std::string& metadata_file);

// Where a reproducible push's OCI tar goes: beside the metadata file, in build's private folder.
std::filesystem::path oci_image_tar(const std::filesystem::path& metadata_file);

// The way the image's context reaches the engine: the config's `context` ("sync" or "tar"), but
// tar when there is no cache folder ($XDG_CACHE_HOME, $HOME) or the context has a .dockerignore
// at its root (BuildKit would apply it to a folder context).
context::DeliveryKind delivery_kind(const pipeline::Image& image, const Config& config);

// The image's staged folder: $XDG_CACHE_HOME/imgspec/contexts/<name>-<hash of the image's
// repository and spec file>; empty when there is no cache folder.
std::filesystem::path staged_context_root(const pipeline::Image& image);

// The delivery `build` uses for the image's context (context/delivery.hpp), of delivery_kind().
// Nothing is read or written until prepare() or write_stdin(); `image` must outlive it.
// `progress` is told while the context is written (TarOptions::progress); null: nobody watches.
std::unique_ptr<context::Delivery> context_delivery(const pipeline::Image& image,
                                                    const Config& config,
                                                    util::Progress* progress = nullptr);

// The metadata file's path as `render --buildx` and --dry-run show it: `build` uses a fresh
// private folder in $TMPDIR, whose random part is left as XXXXXX.
std::string metadata_file_placeholder();

} // namespace imgspec::build
