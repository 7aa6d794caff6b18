#pragma once
// Plan -> Dockerfile text. A pure function: the same plan and config give the same bytes.

#include <imgspec/core/config.hpp>
#include <imgspec/plan/plan.hpp>

#include <string>

namespace imgspec::render {

using plan::bind_root;
inline constexpr const char* venv_dir = "/opt/venv";
// The build argument that carries an external base image's user (Plan::base_user_image), which
// the Dockerfile restores at its end.
inline constexpr const char* base_user_arg = "IMGSPEC_BASE_USER";

// Render the Dockerfile for a plan (a `dockerfile` base returns the user's file unchanged).
// Throws Error(invalid_spec) when a layer cannot be rendered with the configured installer
// (uv_project needs uv).
std::string render_dockerfile(const plan::Plan& plan, const Config& config);

} // namespace imgspec::render
