#pragma once
// `imgspec lock` and `imgspec outdated`: the external images of a spec's Dockerfiles resolved to
// digests in its registry (registry.hpp's resolve_digests), the lock file written, and the locked
// digests compared with what the registry holds now.

#include <imgspec/build/registry.hpp>
#include <imgspec/lock/lock_file.hpp>
#include <imgspec/pipeline/pipeline.hpp>
#include <imgspec/util/process.hpp>

#include <optional>
#include <string>
#include <vector>

namespace imgspec::build {

struct LockRequest {
    bool update_all = false;         // resolve every image again
    std::vector<std::string> update; // resolve these references again
};

struct LockOutcome {
    lock::Lock lock;                   // what the file holds now
    bool written = false;              // the file changed (or was created)
    std::vector<std::string> resolved; // references asked from the registry
    std::vector<std::string> moved;    // of those, the ones whose digest changed
    std::vector<std::string> removed;  // locked before, used no more
};

// Lock `image` (planned without its lock: PlanOptions::read_lock = false) into `file`. An image
// already in `old` keeps its digest unless it is to be updated; a platform it lacks is read from
// the locked digest itself (`reference@digest`), so adding a platform moves nothing. Each image is
// asked for with the registry secret of the spec that uses it. Nothing is written unless every
// image resolved, and then atomically; an unchanged lock is not rewritten.
// Throws Error(invalid_spec) for an image the registry does not have, or that lacks a platform
// of the spec; Error(unavailable) when a registry cannot be asked (the old lock stays).
LockOutcome lock_image(const pipeline::Image& image, const std::optional<lock::Lock>& old,
                       const std::filesystem::path& file, const LockRequest& request,
                       util::ProcessRunner& runner);

// Every locked image of `image` (resolved with its lock) compared with its registry now, in the
// lock's order. Throws Error(invalid_spec) when the image has no lock (hint `imgspec lock SPEC`),
// Error(unavailable) as lock_image.
std::vector<lock::Drift> outdated(const pipeline::Image& image, util::ProcessRunner& runner);

} // namespace imgspec::build
