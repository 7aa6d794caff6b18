#pragma once
// The pipeline: a spec file all the way to what would be built (read, plan, render the
// Dockerfile, the context manifest and the tag). build/ takes it from there.

#include <imgspec/core/config.hpp>
#include <imgspec/plan/plan.hpp>

#include <filesystem>
#include <string>

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
};

// Read, plan, render and tag a spec file (and its parents).
// Throws SpecError for invalid specs, Error for I/O failures.
Image resolve_image(const std::filesystem::path& spec_file, const Config& config,
                    plan::PlanOptions options = {});

// The same for a spec already read (from standard input, say).
Image resolve_spec(const spec::Spec& spec, const Config& config, plan::PlanOptions options = {});

// The same for an already planned spec.
Image resolve_plan(plan::Plan plan, const Config& config);

// The image's plan with its files back, ready for resolve_plan again (with other platforms, say).
// `img` is left without plan and context.
plan::Plan release_plan(Image&& img);

} // namespace imgspec::pipeline
