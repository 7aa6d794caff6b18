#pragma once
// Does the image already exist, with every platform it should have? And the private docker config
// that carries a spec's registry credentials to docker.
//
// The check must never guess "yes": a build skipped on a wrong "exists" leaves a tag pointing at
// nothing (or at fewer platforms than the spec asks for). So only a clear "not found" is a miss;
// a registry that cannot be reached, or refuses the credentials, is an error.

#include <imgspec/lock/lock_file.hpp>
#include <imgspec/plan/plan.hpp>
#include <imgspec/util/process.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace imgspec::build {

using Env = std::vector<std::pair<std::string, std::string>>;

// What an existence check found.
struct Presence {
    bool exists = false;            // every requested platform is there
    std::vector<std::string> found; // the image's platforms, normalized; empty when it is missing
    std::string reason;             // why it is a miss (for the log), empty when it exists
    // Remote only: "sha256:..." of the manifest (list) the tag points at, from the exact bytes
    // the registry served; "" for a local image.
    std::string digest;
};

// The platforms of an image index / manifest list (`imagetools inspect --raw`), normalized
// (spec::normalize_platform), in
// order, without attestation entries ("unknown/unknown"). std::nullopt when `raw` is a single
// image manifest, which names no platform.
// Throws Error(ErrorKind::unavailable) when `raw` is not JSON of either shape.
std::optional<std::vector<std::string>> index_platforms(const std::string& raw);

// True when buildx's/docker's error output says the tag (or its repository) does not exist, and
// nothing else: "ERROR: <ref>: not found", "manifest unknown", "name unknown", "No such image".
bool is_not_found(std::string_view err);

// The verdict in docker's or buildx's error output: its last "ERROR: ..." line (without the
// prefix; a RUN step's output never starts so), else its last non-empty line. Terminal escape
// sequences and carriage returns are removed. "" for an empty output.
std::string error_line(std::string_view output);

// The registry host of a reference, as docker decides it: its first component when that has a
// '.' or a ':' or is "localhost", else "docker.io".
std::string registry_host(std::string_view uri);

// The hint for an error from a registry: credentials, a registry that is not running, ...
std::string registry_hint(std::string_view err, std::string_view uri);

// Remote check with `docker buildx imagetools inspect --raw URI`: an index must list every
// requested platform; a single manifest counts only when one platform was requested and the
// image config (`--format '{{json .Image}}'`) says it is that one. `env` (DOCKER_CONFIG) is
// given to docker.
// Throws Error(ErrorKind::unavailable) when the registry cannot be asked (connection refused,
// credentials refused, timeout, unexpected output), and what ProcessRunner::run throws.
Presence check_remote(util::ProcessRunner& runner, const std::string& uri,
                      const std::vector<std::string>& platforms, const Env& env = {});

// What `reference` (a tag, or reference@digest) points at now, with
// `docker buildx imagetools inspect --raw`: the digest of the exact bytes served (an index, or
// the manifest of a one-platform image) and each platform's image digest (an index's entries
// without attestations; a one-platform image's own platform, read from its config when
// `platforms` is not empty). `reference` of the result is left empty for the caller.
// Throws Error(ErrorKind::invalid_spec) when the registry says the image does not exist,
// Error(ErrorKind::unavailable) when it cannot be asked, as check_remote.
lock::LockedImage resolve_digests(util::ProcessRunner& runner, const std::string& reference,
                                  bool platforms, const Env& env = {});

// The annotation `key` of the image at `uri` (`imagetools inspect --raw`): the index's, else its
// first image's; std::nullopt when it has none.
// Throws Error(ErrorKind::other) when the image does not exist, Error(ErrorKind::unavailable)
// when the registry cannot be asked.
std::optional<std::string> image_annotation(util::ProcessRunner& runner, const std::string& uri,
                                            const std::string& key, const Env& env = {});

// Local check, for images built with --load, with `docker image inspect`. Docker API >= 1.49
// answers per platform (`--platform`); an older daemon describes one platform only, so there a
// single requested platform is compared with it and several are a miss (the build then runs and
// is mostly BuildKit cache hits): an unverifiable image is never taken as present.
// Throws Error(ErrorKind::unavailable) when the daemon cannot be reached.
Presence check_local(util::ProcessRunner& runner, const std::string& uri,
                     const std::vector<std::string>& platforms, const Env& env = {});

// The value of a secret from its environment variable or file.
// Throws Error(ErrorKind::invalid_spec) naming the secret (never its value) when the variable is
// unset or empty or the file cannot be read.
std::string read_secret_value(const plan::SecretSource& secret);

// The user an image runs as (its config's User), from the registry, else the local engine; ""
// when the image sets none (root) or neither can tell (a warning says so).
std::string image_user(util::ProcessRunner& runner, const std::string& uri, const Env& env);

// The user's docker config folder: $DOCKER_CONFIG, else ~/.docker.
std::filesystem::path user_docker_config_dir();

// The docker config folder docker gets with `env`: its DOCKER_CONFIG, else the user's.
std::filesystem::path docker_config_dir(const Env& env);

// A private DOCKER_CONFIG folder (mode 0700 in $TMPDIR) whose config.json (mode 0600) is the
// registry secret's value, for the existence check and buildx. The user's cli-plugins, buildx
// (builders) and contexts folders are linked in, and the user's current context is kept, so
// docker finds the same plugins and builders as without it. Removed by the destructor, and by
// the SIGINT/SIGTERM handler (util::install_signal_handlers).
class DockerConfigDir {
  public:
    // Throws Error(ErrorKind::invalid_spec) when `config_json` is not a JSON object (the message
    // names `secret_id`, not the value), Error(ErrorKind::other) when the folder cannot be made.
    DockerConfigDir(const std::string& config_json, const std::string& secret_id,
                    const std::filesystem::path& user_config_dir = user_docker_config_dir());
    ~DockerConfigDir();
    DockerConfigDir(const DockerConfigDir&) = delete;
    DockerConfigDir& operator=(const DockerConfigDir&) = delete;

    const std::filesystem::path& path() const { return m_path; }
    // DOCKER_CONFIG=<path>
    Env env() const { return {{"DOCKER_CONFIG", m_path.string()}}; }

  private:
    std::filesystem::path m_path;
    std::vector<std::unique_ptr<util::SignalCleanupPath>> m_cleanup;
};

} // namespace imgspec::build
