#pragma once
// The OCI labels `build` puts on an image (--label, not part of the tag): title, created, and
// from the spec folder's git repository, when there is one, source and revision.

#include <imgspec/pipeline/pipeline.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace imgspec::build {

struct GitInfo {
    std::string source;   // `git remote get-url origin`, without user:password@; "" for none
    std::string revision; // HEAD's commit; "" outside a repository
};

// The repository the spec's folder is in; empty fields when git or the repository is not there.
// Runs git (never the build's ProcessRunner: a lookup, not part of what is built).
GitInfo git_info(const std::filesystem::path& folder);

// A remote URL without its credentials: "https://user:tok@host/x" -> "https://host/x". Pure.
std::string without_credentials(const std::string& url);

// When the image was created, for its label: with `reproducible` the epoch; else the time this
// machine first computed the image's tag (pipeline::record_of_tag), so that building one tag
// again (--force, or the tar and the sync delivery) gives the same image; else now. RFC 3339 UTC.
std::string created_time(const pipeline::Image& image, bool reproducible, long long epoch_seconds);

// org.opencontainers.image.title (the spec's name), .created (`created`), .source and .revision
// (the latter left out with `reproducible`: two builds of one tag from two commits must not
// differ). Pure.
std::vector<std::pair<std::string, std::string>> image_labels(const pipeline::Image& image,
                                                              const GitInfo& git, bool reproducible,
                                                              const std::string& created);

} // namespace imgspec::build
