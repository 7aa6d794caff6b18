#pragma once
// The pipeline: a spec file all the way to what would be built (read, plan, render the
// Dockerfile, the context manifest and the tag). build/ takes it from there.

#include <imgspec/core/config.hpp>
#include <imgspec/lock/image_refs.hpp>
#include <imgspec/plan/plan.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace imgspec::pipeline {

struct Image {
    // The plan, but for its files: resolve_plan moves them into `context` (two copies of a large
    // tree's entries doubled the peak memory); release_plan gives them back.
    plan::Plan plan;
    std::string dockerfile;
    plan::Manifest context; // Dockerfile + every copied file, sorted
    std::string tag;
    std::string uri;
    // Nothing to build: a base (or parent) image used as it is, whose URI is the base's own.
    bool passthrough = false;
    // from: spec: the parent, rendered once with this image (its URI is this image's FROM), so
    // that nothing downstream (build, a graph of images) renders a spec again. Shared: an image
    // copies whole, and a parent is never changed once rendered.
    std::shared_ptr<const Image> parent;
    // The external images its Dockerfile names (not its parent, which imgspec builds), as
    // rendered before any pinning; for a passthrough image, the base. With a lock (plan.lock of
    // the outermost spec), `dockerfile`, `tag`, `uri` and plan.base_user_image use their digests.
    std::vector<lock::ImageUse> images;
    std::vector<std::string> unlockable; // FROM $ARG and the like: a lock cannot pin them
};

// What the image and its `from: spec` parents need locked: every external image, for the
// platforms of the image that uses it.
lock::Needs lock_needs(const Image& image);

// The image and its `from: spec` ancestors, outermost first: the image itself, its parent, ...,
// the one that starts from a base image. Pointers into `image`, valid while it lives.
std::vector<const Image*> chain_of(const Image& image);

// Read, plan, render and tag a spec file (and its parents).
// Throws SpecError for invalid specs, Error for I/O failures.
Image resolve_image(const std::filesystem::path& spec_file, const Config& config,
                    plan::PlanOptions options = {});

// The same for a spec already read (from standard input, say).
Image resolve_spec(const spec::Spec& spec, const Config& config, plan::PlanOptions options = {});

// The images of one spec file's specs (spec::read_specs, after spec::select_matrix), each
// resolved as resolve_spec does, in order. One spec (no matrix) is resolve_spec's. For a matrix,
// the problems of its images are merged (spec::merge_matrix_diagnostics) and thrown as one
// SpecError; two images with one URI are an error at `matrix`.
std::vector<Image> resolve_specs(const std::vector<spec::Spec>& specs, const Config& config,
                                 const plan::PlanOptions& options = {});

// The same for an already planned spec. The chain of parents is rendered root first, without
// recursion (the planner caps its depth). With a lock (plan.lock), every image of the chain is
// rendered with its digests; a lock that does not match what the Dockerfiles use (an image added,
// removed or changed, a platform missing) throws Error(invalid_spec) with the hint
// `imgspec lock SPEC`.
Image resolve_plan(plan::Plan plan, const Config& config);

// The image's plan with its files back, ready for resolve_plan again (with other platforms, say).
// `img` is left without plan and context.
plan::Plan release_plan(Image&& img);

} // namespace imgspec::pipeline
