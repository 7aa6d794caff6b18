#pragma once
// The spec as a value: what a spec file says, checked for shape but not yet resolved against the
// disk, the config or other specs (that is plan's job).

#include <imgspec/core/error.hpp>
#include <imgspec/spec/platform.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace imgspec::spec {

// A secret request as in the seed's SecretRequest: a name from `secrets:` (or an environment
// variable of that name) that a RUN step sees as a file at `mount` or as the variable `as_env_var`.
struct SecretMount {
    std::string key;
    std::string group;      // optional, joins the id as "<group>_<key>" (seed semantics)
    std::string mount;      // target file in the build container; empty -> default
    std::string as_env_var; // exposed as this environment variable instead of a file
    Mark mark;
};

// Where a secret's value comes from at build time. Exactly one of env/file.
struct SecretDef {
    std::string env;
    std::filesystem::path file;
    std::string mount; // default mount point for RUN steps that use it
    Mark mark;
};

struct PipOptions {
    std::string index_url;
    std::vector<std::string> extra_index_urls;
    bool pre = false;
    std::string extra_args;
    std::vector<SecretMount> secret_mounts;
};

enum class InstallMode { dependencies_only, install_project };
enum class CopyStyle { loaded_modules, all };

struct WorkdirLayer { std::string path; };
struct AptLayer { std::vector<std::string> packages; std::vector<SecretMount> secret_mounts; };
struct PipLayer { std::vector<std::string> packages; PipOptions options; };
struct RequirementsLayer { std::filesystem::path file; PipOptions options; };
struct UvProjectLayer {
    std::filesystem::path pyproject;
    std::filesystem::path uvlock; // empty -> uv.lock beside pyproject
    InstallMode mode = InstallMode::dependencies_only;
    PipOptions options;
};
struct PoetryLayer {
    std::filesystem::path pyproject;
    std::filesystem::path lock; // empty -> poetry.lock beside pyproject
    std::string extra_args;
    InstallMode mode = InstallMode::dependencies_only;
    std::vector<SecretMount> secret_mounts;
};
struct EnvLayer { std::vector<std::pair<std::string, std::string>> vars; };
struct SourceFolderLayer { std::filesystem::path src; std::string dst = "."; bool copy_contents_only = false; };
struct SourceFileLayer { std::vector<std::filesystem::path> src; std::string dst = "."; };
struct DockerignoreLayer { std::filesystem::path file; };
struct CodeBundleLayer {
    CopyStyle copy_style = CopyStyle::loaded_modules;
    std::string dst = ".";
    std::filesystem::path root_dir = ".";
    std::vector<std::string> entry; // relative to root_dir; required for loaded_modules
};
struct CommandsLayer { std::vector<std::string> commands; std::vector<SecretMount> secret_mounts; };
struct LocalV2Layer { std::filesystem::path dist = "dist"; };
struct LocalV2PluginsLayer { std::vector<std::string> plugins; std::filesystem::path dist = "dist"; };

using LayerBody = std::variant<WorkdirLayer, AptLayer, PipLayer, RequirementsLayer, UvProjectLayer,
                               PoetryLayer, EnvLayer, SourceFolderLayer, SourceFileLayer,
                               DockerignoreLayer, CodeBundleLayer, CommandsLayer, LocalV2Layer,
                               LocalV2PluginsLayer>;

struct Layer {
    LayerBody body;
    std::string kind; // the spec key: "pip_packages", "workdir", ...
    std::string path; // "layers[3]"
    Mark mark;
};

struct DebianBase {
    std::string python_version; // empty -> spec's python_version -> default
    std::string flyte_version;  // empty -> latest (unpinned)
    bool install_flyte = true;
};
struct ImageBase { std::string uri; };
struct RefNameBase { std::string name; };
struct UvScriptBase { std::filesystem::path script; PipOptions options; };
struct DockerfileBase { std::filesystem::path file; };
struct SpecBase { std::filesystem::path file; };

using Base = std::variant<DebianBase, ImageBase, RefNameBase, UvScriptBase, DockerfileBase, SpecBase>;

struct Spec {
    std::filesystem::path file; // absolute, lexically normal
    std::string display;        // the file's name as the user gave it, for messages
    std::filesystem::path dir;  // the spec's folder: relative paths resolve here; the context root
    std::string name;
    std::string registry;
    std::vector<Platform> platforms;    // normalized; empty -> default for the base form
    std::string python_version;         // empty -> from the base form -> "3.12"
    bool extendable = false;
    std::string tag;                    // fixed tag; empty -> content hash
    Base base = DebianBase{};
    Mark base_mark;
    std::string registry_secret;
    std::vector<Layer> layers;
    std::map<std::string, SecretDef> secrets;
};

// Read a spec file (YAML or TOML) into the model. Checks shape only: types, unknown keys, required
// keys, value syntax (names, tags, platforms, env names, package strings). Files are checked by plan.
// Throws SpecError with every problem at once.
Spec read_spec(const std::filesystem::path& file);

inline constexpr const char* default_python_version = "3.12";

} // namespace imgspec::spec
