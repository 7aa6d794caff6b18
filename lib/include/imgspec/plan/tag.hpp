#pragma once
// The content tag: SHA-256 over everything that decides the image, with unambiguous framing.

#include <imgspec/plan/manifest.hpp>
#include <imgspec/spec/platform.hpp>

#include <string>
#include <vector>

namespace imgspec::plan {

inline constexpr std::size_t tag_length = 32; // hex characters of the SHA-256 kept in the tag

// SHA-256 over the context manifest (each entry's type, path, mode, size, content digest or link
// target, length-prefixed) and the set of platforms in their canonical spelling (order does not
// count). Registry, name and the spec's own file name are not inputs. Pure.
std::string compute_tag(const Manifest& context, const std::vector<spec::Platform>& platforms);

} // namespace imgspec::plan
