#pragma once
// The docker CLI on PATH, and running its buildx plugin directly.
//
// `docker buildx ...` starts three processes: docker, the plugin asked for its metadata
// (`docker-buildx docker-cli-plugin-metadata`), then the plugin itself: ~40 ms before buildx does
// anything (bench/RESULTS.md, session 23). buildx also runs standalone, reading the same config,
// contexts and builders, so imgspec runs the plugin that docker would pick, directly. Only when
// the `docker` on PATH is a real docker (an ELF program): a wrapper script (a test's fake docker,
// a user's shim) may do more than start the plugin, so it keeps being called as `docker buildx`.

#include <imgspec/util/process.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace imgspec::build {

// The first `name` in PATH's folders that is an executable file; nullopt when none is.
std::optional<std::filesystem::path> find_on_path(const std::string& name, const std::string& path);

// The buildx plugin docker would run, where docker looks for it: the config's
// `cliPluginsExtraDirs`, <docker config>/cli-plugins, then the system folders. nullopt when
// `docker` is not an ELF program, no plugin is found, or this process is itself run by docker as
// a plugin (DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND is set).
std::optional<std::filesystem::path> direct_buildx(const std::filesystem::path& docker,
                                                   const std::filesystem::path& docker_config_dir);

// The unix socket of the engine whose docker-driver builder `docker buildx build` would use
// with no --builder, when nothing else can be chosen: no `builder` (imgspec's option or config),
// no BUILDX_BUILDER, no builder selected with `docker buildx use` (<config>/buildx/current names
// none), the docker context is the default one (DOCKER_CONTEXT, the config's currentContext)
// and DOCKER_HOST is unset or unix://. "" otherwise.
std::string default_builder_socket(const std::filesystem::path& docker_config_dir,
                                   const std::string& builder);

// The platform that builder builds for without --platform: the engine's own, as its API says
// (GET /version: Os, Arch; linux/amd64 or linux/arm64 only, whose variants are not in doubt).
// "" when default_builder_socket is "", or the engine does not answer within 2 s.
std::string default_builder_platform(const std::filesystem::path& docker_config_dir,
                                     const std::string& builder);

// A ProcessRunner that runs `docker buildx ARGS...` as `<plugin> ARGS...` when direct_buildx
// finds the plugin (for the DOCKER_CONFIG of the spec's environment), and everything else as is.
class DirectBuildxRunner final : public util::ProcessRunner {
  public:
    explicit DirectBuildxRunner(util::ProcessRunner& inner) : m_inner(inner) {}
    util::ProcessResult run(const util::ProcessSpec& spec) override;

  private:
    util::ProcessRunner& m_inner;
};

} // namespace imgspec::build
