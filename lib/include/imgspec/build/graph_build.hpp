#pragma once
// Building a graph of images (pipeline/graph.hpp): every image once, after the images it starts
// from, up to `jobs` at a time, each with its own buildx process and context stream.

#include <imgspec/build/build.hpp>
#include <imgspec/core/error.hpp>
#include <imgspec/pipeline/graph.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace imgspec::build {

// Builds at a time by default: builds mostly wait on BuildKit (which runs each build's steps in
// parallel itself), the registry and the network, so a few at once pay on a 2-core machine and
// on a remote builder alike, and more only add contention (bench/graph.sh, bench/RESULTS.md).
inline constexpr unsigned default_jobs = 4;
// Existence checks at a time (one `docker buildx imagetools inspect` each, mostly waiting on the
// registry).
inline constexpr unsigned check_jobs = 8;
// At most this many builds at a time (-j): the signal handler's table of children is fixed.
inline constexpr unsigned max_jobs = 32;

enum class ImageStatus {
    built,
    skipped,     // it exists (or there is nothing to build); with --dry-run: it would be skipped
    failed,      // its check or build failed (error, hint, kind)
    not_built,   // not started: an image it starts from failed, or a failure stopped the run
    would_build, // --dry-run: it would be built
};

// "built", "skipped", "failed", "not built", "would build".
const char* status_name(ImageStatus s);

struct ImageOutcome {
    ImageStatus status = ImageStatus::not_built;
    BuildResult result; // uri, digest, platforms, seconds (check and build), reason; no parents
    ErrorKind kind = ErrorKind::other; // failed
    std::string error;                 // failed: the message; not_built: why
    std::string hint;
};

struct GraphOptions {
    // For the images the inputs give; the others (parents only) get parent_options().
    BuildOptions build;
    unsigned jobs = default_jobs;
    // After a failure, go on with every image that does not start from a failed one (make -k);
    // by default no new build starts (running ones finish).
    bool keep_going = false;
    // Called as each image ends (built, skipped, failed), from the thread that ran it, one call
    // at a time. May be empty.
    std::function<void(const pipeline::Node&, const ImageOutcome&)> on_done;
};

struct GraphResult {
    std::vector<ImageOutcome> images; // one per node, in graph order
    // 0; else the highest exit code of a failed image; 130 when interrupted.
    int exit_code = 0;
};

// Checks every secret of every image first (throws as check_secrets: nothing has started), then
// runs the existence checks of all images at once (check_jobs at a time), then builds the
// missing ones, each when the images it starts from are there, `jobs` at a time. With more than
// one build at a time, buildx's output lines carry the image's label ("[name] ") and the
// context's progress line is off. A failure stops new builds (not with keep_going) and lets the
// running ones finish; SIGINT/SIGTERM stop every buildx (util::install_signal_handlers) and the
// result says 130. Errors of single images are in the result, not thrown.
GraphResult build_graph(const pipeline::Graph& graph, const Config& config,
                        const GraphOptions& options, util::ProcessRunner& runner);

} // namespace imgspec::build
