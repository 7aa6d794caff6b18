#pragma once
// YAML 1.2 core-schema scalars (yaml_scalars.cpp), for the YAML loader. Internal to lib/src/spec.

#include <imgspec/spec/node.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace imgspec::spec::detail {

// The kind of a plain (unquoted, untagged) scalar: "yes", "on" and "010"-style octals are strings
// or decimals, not YAML 1.1's booleans and octals.
Node::Kind resolve_plain(std::string_view s);
// A tag as a message shows it: "!!int" for a core tag.
std::string show_tag(const std::string& tag);
// The kind a core tag asks for; nullopt for a tag that is not a core scalar tag.
std::optional<Node::Kind> core_tag_kind(const std::string& tag);

} // namespace imgspec::spec::detail
