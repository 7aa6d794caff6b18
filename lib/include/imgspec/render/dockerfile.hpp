#pragma once
// Plan -> Dockerfile text. A pure function: the same plan and config give the same bytes.

#include <imgspec/core/config.hpp>
#include <imgspec/plan/plan.hpp>

#include <string>

namespace imgspec::render {

// Where bind-mounted inputs (requirements, lock files, wheels) appear inside RUN steps.
inline constexpr const char* bind_root = "/tmp/imgspec";
inline constexpr const char* venv_dir = "/opt/venv";

// Render the Dockerfile for a plan (a `dockerfile` base returns the user's file unchanged).
// Throws Error(invalid_spec) when a layer cannot be rendered with the configured installer
// (uv_project needs uv).
std::string render_dockerfile(const plan::Plan& plan, const Config& config);

} // namespace imgspec::render
