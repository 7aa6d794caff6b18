#pragma once
// --json output of uri, validate and render. The field names and meanings are part of imgspec's
// interface (packaging/README-ecosystem.md, "Machine-readable output"): fields may be added, none
// is renamed, removed or changes type without a major version.

#include <imgspec/core/error.hpp>
#include <imgspec/pipeline/pipeline.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace imgspec::app {

using Json = nlohmann::ordered_json;

// {severity, file, line, column, path, message, hint}; severity "error" or "warning"; line and
// column are 1-based, 0 when unknown.
Json diagnostic_json(const Diagnostic& d);

// The warnings of a plan and its parents (plan_warnings) as an array of diagnostic_json.
Json warnings_json(const plan::Plan& plan);

// uri --json: {spec, uri, registry, name, tag, tag_source, platforms, warnings}, and for an
// image of a matrix `matrix` ({axis: value}) before `warnings`.
Json uri_json(const std::string& spec_file, const pipeline::Image& img);

// {axis: value, ...} in axis order.
Json matrix_json(const std::vector<spec::MatrixValue>& values);

// render --json: the resolved plan (see the README section for every field).
Json render_json(const std::string& spec_file, const pipeline::Image& img, const Config& config);

// Prints `j` on stdout, 2-space indented, with a final newline; a byte that is not UTF-8 (in a
// file name) is printed as U+FFFD.
void print_json(const Json& j);

} // namespace imgspec::app
