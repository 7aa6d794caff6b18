#pragma once
// The build context as a manifest: the plan's files with the Dockerfile at its place. What the tag
// is computed over and what the context writers send.

#include <imgspec/plan/manifest.hpp>

#include <string>

namespace imgspec::context {

// The context: the plan's files plus the Dockerfile at the root, sorted by path.
plan::Manifest context_manifest(const plan::Manifest& files, std::string dockerfile,
                                const std::string& path = "Dockerfile");
// The same, taking the entries of `files` (left empty) instead of copying them: a context holds
// one entry per copied file, and two copies of it doubled the memory of a large tree.
plan::Manifest context_manifest(plan::Manifest&& files, std::string dockerfile,
                                const std::string& path = "Dockerfile");
// The reverse: the files of a context without its Dockerfile (`context` is left empty).
plan::Manifest files_of_context(plan::Manifest&& context, const std::string& path = "Dockerfile");

} // namespace imgspec::context
