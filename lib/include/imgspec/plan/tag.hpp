#pragma once
// The content tag: SHA-256 over everything that decides the image, with unambiguous framing.

#include <imgspec/plan/manifest.hpp>
#include <imgspec/spec/platform.hpp>

#include <string>
#include <vector>

namespace imgspec::plan {

inline constexpr std::size_t tag_length = 32; // hex characters of the SHA-256 kept in the tag

// The context: the plan's files plus the Dockerfile at the root, sorted by path.
Manifest context_manifest(const Manifest& files, std::string dockerfile,
                          const std::string& path = "Dockerfile");
// The same, taking the entries of `files` (left empty) instead of copying them: a context holds
// one entry per copied file, and two copies of it doubled the memory of a large tree.
Manifest context_manifest(Manifest&& files, std::string dockerfile,
                          const std::string& path = "Dockerfile");
// The reverse: the files of a context without its Dockerfile (`context` is left empty).
Manifest files_of_context(Manifest&& context, const std::string& path = "Dockerfile");

// SHA-256 over the context manifest (each entry's type, path, mode, size, content digest or link
// target, length-prefixed) and the set of platforms in their canonical spelling (order does not
// count). Registry, name and the spec's own file name are not inputs. Pure.
std::string compute_tag(const Manifest& context, const std::vector<spec::Platform>& platforms);

} // namespace imgspec::plan
