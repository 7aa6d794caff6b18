#pragma once
// Matrices: a spec's top-level `matrix:` gives one image per combination of its axes' values.
//
//   matrix:
//     python_version: ["3.11", "3.12"]                   a list axis: scalar values
//     variant: {cpu: {}, gpu: {from: {ref_name: cuda}}}  a map axis: value name -> overlay
//
// An image is the spec with, for each axis in order, its value's overlay applied (an overlay's
// top-level keys replace the spec's, but `layers`, which are appended after the spec's) and every
// `${{ matrix.AXIS }}` in a string value replaced by the value (a map axis's value is its name).
// Its name is the spec's `name` plus "-<value>" per axis (made valid for an image name), unless
// an overlay sets `name` or `name` references an axis. Images come in written order, the first
// axis slowest. README.md, "Matrices", is the user's documentation.

#include <imgspec/core/error.hpp>
#include <imgspec/spec/model.hpp>
#include <imgspec/spec/node.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace imgspec::spec {

// More images than this from one spec is an error: a typo in an axis should not start 10 000
// builds.
inline constexpr std::size_t max_matrix_images = 256;

// "python_version=3.11, variant=gpu".
std::string matrix_label(const std::vector<MatrixValue>& values);

// `--matrix AXIS=VALUE` (repeatable): an image is kept when, for every axis named, its value is
// one of those given for that axis.
struct MatrixFilter {
    std::vector<MatrixValue> picks;
    bool empty() const { return picks.empty(); }
};

// "AXIS=VALUE" to a pick. Throws Error(usage) without '=' or with an empty axis.
MatrixValue parse_matrix_pick(std::string_view text);

// The images of one spec file (read_specs) that `filter` keeps; a spec without a matrix is kept
// as it is. Throws Error(usage) for an axis that the matrix does not have and when no image is
// left, naming the axes and values there are.
std::vector<Spec> select_matrix(std::vector<Spec> images, const MatrixFilter& filter);

// One diagnostic list per image of a matrix (`values[i]` the image's values) as one list: a
// diagnostic that every image has once, one that only some have once per image, its message
// ending in "(matrix: python_version=3.11)".
std::vector<Diagnostic>
merge_matrix_diagnostics(const std::vector<std::vector<Diagnostic>>& per_image,
                         const std::vector<std::vector<MatrixValue>>& values);

// The value as a part of an image name: lower case, runs of other characters as one '-',
// no separator at either end. Empty when nothing is left.
std::string matrix_name_part(std::string_view value);

// Node level, for read_specs (and tests): the spec tree of each image, without `matrix:`.
struct MatrixImage {
    Node root;
    std::vector<MatrixValue> values;
};
// `root` is a spec's map with a `matrix` entry. Problems (the matrix's shape, references to
// axes that do not exist, axes never used, too many images, a missing name) go to `diags`
// under `file`; with any, the result is empty.
std::vector<MatrixImage> expand_matrix(const Node& root, const std::string& file,
                                       Diagnostics& diags);

} // namespace imgspec::spec
