#pragma once
// Cheap passes over a spec's text that find nesting deeper than the loaders may build, before a
// parser whose recursion or queues it would overflow sees it. Each errs low: whatever it refuses,
// the loader would refuse too. Internal to lib/src/spec.

#include <cstddef>
#include <optional>
#include <string_view>

namespace imgspec::spec::detail {

// Where YAML flow collections first nest past max_depth, as a byte offset (yaml_depth.cpp).
std::optional<std::size_t> find_deep_flow(std::string_view text, int max_depth);
// Where TOML tables or values first nest past max_depth, as a byte offset (toml_depth.cpp).
std::optional<std::size_t> find_deep_toml(std::string_view text, int max_depth);

} // namespace imgspec::spec::detail
