#pragma once
// Building an image: check what can be checked first (secrets, docker, buildx), skip an image
// that already exists with every platform, else stream the context into `docker buildx build`.

#include <imgspec/build/buildx.hpp>
#include <imgspec/core/config.hpp>
#include <imgspec/pipeline/pipeline.hpp>
#include <imgspec/util/process.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace imgspec::build {

// What check_image started for build_checked while it asked the registry (the context's staging,
// the lookup of the base image's user); opaque, carried in the check's result.
struct Prepared;
// The base images' users one run has looked up (BuildOptions::base_users).
std::shared_ptr<BaseUsers> new_base_users();

struct BuildResult {
    std::string uri;
    std::string digest;                 // "sha256:..." of what was built, or of the existing
                                        // image in the registry when skipped; "" when unknown
                                        // (a local image, an output of type=local)
    std::vector<std::string> platforms; // built; when skipped, the ones the image has
    bool skipped = false;               // it existed (or there was nothing to build)
    double seconds = 0;                 // wall time of this image, parents not included
    std::string reason;                 // why it was skipped or built (for the log)
    // --dry-run: the argv that would run, and whether the image exists (nullopt: not checked,
    // as for --output, --force or when docker could not be asked).
    bool dry_run = false;
    std::vector<std::string> argv;
    std::optional<bool> exists;
    std::vector<BuildResult> parents; // `from: spec` parents, outermost first, built before
    // A check that found the image missing: what it started for the build (empty otherwise).
    std::shared_ptr<Prepared> prepared;
};

// Builds `image` (after its `from: spec` parents, each skipped when it exists).
//
// In order, before anything is built: every secret of the image and its parents is present (an
// environment variable that is set, a readable file); `docker buildx version` works; the image's
// registry secret (a docker config.json) goes into a private DOCKER_CONFIG. Then, unless
// options.force or an --output destination: the existence check (registry.hpp), which skips the
// build when every platform is there. Then `docker buildx build` (buildx.hpp) with the context
// tar written into its stdin; the digest comes from buildx's metadata file.
//
// If a context file changed since the tag was computed, the tar writer fails before the end of
// the archive: buildx is stopped (SIGTERM to its process group) before its stdin closes, so no
// image is pushed under a tag that does not match its content.
//
// Throws Error(ErrorKind::invalid_spec) for a missing secret (naming it, never its value),
// Error(ErrorKind::unavailable) when docker, buildx, the daemon or the registry cannot be used,
// Error(ErrorKind::build_failed) when buildx fails, Error(ErrorKind::usage) for invalid options
// (buildx_argv), Error(ErrorKind::interrupted) on SIGINT/SIGTERM, and the tar writer's
// Error(ErrorKind::other) when a file changed or cannot be read.
BuildResult build_image(const pipeline::Image& image, const Config& config,
                        const BuildOptions& options, util::ProcessRunner& runner);

// The steps of build_image for one image alone, its parents not (a graph of images builds each
// image once, after the images it starts from): check_secrets for the image and its parents;
// check_image, the existence check (with options.dry_run also the argv; a passthrough image is
// skipped); build_checked, the build of an image that check_image did not skip, `checked` being
// check_image's result (the check is not run again). Each throws as build_image.
void check_secrets(const pipeline::Image& image);
// With the config's require_lock, a spec named on the command line must have a lock file: throws
// Error(invalid_spec) with the hint `imgspec lock SPEC` when it has none.
void check_required_lock(const pipeline::Image& image, const Config& config);
BuildResult check_image(const pipeline::Image& image, const Config& config,
                        const BuildOptions& options, util::ProcessRunner& runner);
BuildResult build_checked(const pipeline::Image& image, const Config& config,
                          const BuildOptions& options, util::ProcessRunner& runner,
                          BuildResult checked);

// The options an image is built with when it is built only because another image starts from
// it (a `from: spec` parent): its own platforms, no --force, and pushed or loaded (automatic)
// where --output or a --push without a registry would leave it where FROM cannot find it.
BuildOptions parent_options(const pipeline::Image& parent, BuildOptions options);

// The image re-rendered for other platforms (`build --platform`): the platform list is part of
// the tag, so an image built for fewer platforms gets its own tag instead of taking the tag that
// promises all of them. The same set in another order, a fixed `tag:` and a passthrough image stay
// as they are.
// Throws as pipeline::resolve_plan.
pipeline::Image with_platforms(pipeline::Image image, const std::vector<spec::Platform>& platforms,
                               const Config& config);

} // namespace imgspec::build
