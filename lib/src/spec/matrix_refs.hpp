#pragma once
// The `${{ matrix.AXIS }}` references of a matrix spec: found in a string, checked against the
// axes (matrix.cpp) and substituted in each image's tree (matrix_refs.cpp). Internal to
// lib/src/spec.

#include <imgspec/spec/node.hpp>

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace imgspec::spec::detail {

bool ascii_alnum(char c);

// A `${{ matrix.AXIS }}` in a string: [begin, end) and AXIS.
struct Ref {
    std::size_t begin = 0, end = 0;
    std::string axis;
};

struct Refs {
    std::vector<Ref> refs;
    bool malformed = false; // a `${{ matrix.` not closed as the syntax asks
};

// Other `${{ ... }}` text is left as it is: only `matrix.` makes a reference.
Refs find_refs(std::string_view text);

bool valid_axis_name(std::string_view name);

// One value of an axis.
struct AxisValue {
    std::string name;          // as written (list axis) or the key (map axis)
    const Node* node{nullptr}; // the list item, or the overlay (a map or null)
    Mark mark;
};

// Every reference in the strings of `n` replaced by the chosen value of its axis.
void substitute_refs(Node& n, const std::map<std::string, const AxisValue*>& chosen);

} // namespace imgspec::spec::detail
