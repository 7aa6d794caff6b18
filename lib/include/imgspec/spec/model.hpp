#pragma once
// The spec as a value: what a spec file says, checked for shape but not yet resolved against the
// disk, the config or other specs (that is plan's job).

#include <imgspec/core/error.hpp>
#include <imgspec/spec/node.hpp>
#include <imgspec/spec/platform.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
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

// Each layer kind and base form is a struct whose `key` is its key in a spec; the rest of what
// describes it (the keys it takes, its schema, its read function) is its descriptor in
// lib/src/spec/kinds/.

struct WorkdirLayer {
    static constexpr std::string_view key = "workdir";
    std::string path;
};
struct AptLayer {
    static constexpr std::string_view key = "apt_packages";
    std::vector<std::string> packages;
    std::vector<SecretMount> secret_mounts;
};
struct PipLayer {
    static constexpr std::string_view key = "pip_packages";
    static constexpr bool python = true; // installs into the image's venv
    std::vector<std::string> packages;
    PipOptions options;
};
struct RequirementsLayer {
    static constexpr std::string_view key = "requirements";
    static constexpr bool python = true; // installs into the image's venv
    std::filesystem::path file;
    PipOptions options;
};
struct UvProjectLayer {
    static constexpr std::string_view key = "uv_project";
    static constexpr bool python = true; // installs into the image's venv
    std::filesystem::path pyproject;
    std::filesystem::path uvlock; // empty -> uv.lock beside pyproject
    InstallMode mode = InstallMode::dependencies_only;
    PipOptions options;
};
struct PoetryLayer {
    static constexpr std::string_view key = "poetry_project";
    static constexpr bool python = true; // installs into the image's venv
    std::filesystem::path pyproject;
    std::filesystem::path lock; // empty -> poetry.lock beside pyproject
    std::string extra_args;
    InstallMode mode = InstallMode::dependencies_only;
    std::vector<SecretMount> secret_mounts;
};
struct EnvLayer {
    static constexpr std::string_view key = "env_vars";
    std::vector<std::pair<std::string, std::string>> vars;
};
struct SourceFolderLayer {
    static constexpr std::string_view key = "source_folder";
    std::filesystem::path src;
    std::string dst = ".";
    bool copy_contents_only = false;
};
struct SourceFileLayer {
    static constexpr std::string_view key = "source_file";
    std::vector<std::filesystem::path> src;
    std::string dst = ".";
};
struct DockerignoreLayer {
    static constexpr std::string_view key = "dockerignore";
    std::filesystem::path file;
};
struct CodeBundleLayer {
    static constexpr std::string_view key = "code_bundle";
    CopyStyle copy_style = CopyStyle::loaded_modules;
    std::string dst = ".";
    std::filesystem::path root_dir = ".";
    std::vector<std::string> entry; // relative to root_dir; required for loaded_modules
};
struct CommandsLayer {
    static constexpr std::string_view key = "commands";
    std::vector<std::string> commands;
    std::vector<SecretMount> secret_mounts;
};
struct LocalV2Layer {
    static constexpr std::string_view key = "local_v2";
    static constexpr bool python = true; // installs into the image's venv
    std::filesystem::path dist = "dist";
};
struct LocalV2PluginsLayer {
    static constexpr std::string_view key = "local_v2_plugins";
    static constexpr bool python = true; // installs into the image's venv
    std::vector<std::string> plugins;
    std::filesystem::path dist = "dist";
};

using LayerBody =
    std::variant<WorkdirLayer, AptLayer, PipLayer, RequirementsLayer, UvProjectLayer, PoetryLayer,
                 EnvLayer, SourceFolderLayer, SourceFileLayer, DockerignoreLayer, CodeBundleLayer,
                 CommandsLayer, LocalV2Layer, LocalV2PluginsLayer>;

// A layer kind that installs into the image's Python environment (its struct's `python`).
template <class T> inline constexpr bool python_kind = requires {
    requires T::python;
};
inline bool installs_python(const LayerBody& body) {
    return std::visit([](const auto& l) { return python_kind<std::decay_t<decltype(l)>>; }, body);
}

// The last branch of an `if constexpr` chain in a std::visit over LayerBody: a kind without a
// case of its own fails to compile instead of silently doing nothing.
template <class T> inline constexpr bool no_case_for = false;

struct Layer {
    LayerBody body;
    std::string kind; // the spec key: "pip_packages", "workdir", ...
    std::string path; // "layers[3]"
    Mark mark;
};

struct DebianBase {
    static constexpr std::string_view key = "debian_base";
    std::string python_version; // empty -> spec's python_version -> default
    std::string flyte_version;  // empty -> default_flyte_version (pinned, so the tag covers it)
    bool install_flyte = true;
};
struct ImageBase {
    static constexpr std::string_view key = "base";
    std::string uri;
};
struct RefNameBase {
    static constexpr std::string_view key = "ref_name";
    std::string name;
};
struct UvScriptBase {
    static constexpr std::string_view key = "uv_script";
    std::filesystem::path script;
    PipOptions options;
};
struct DockerfileBase {
    static constexpr std::string_view key = "dockerfile";
    std::filesystem::path file;
};
struct SpecBase {
    static constexpr std::string_view key = "spec";
    std::filesystem::path file;
};

using Base =
    std::variant<DebianBase, ImageBase, RefNameBase, UvScriptBase, DockerfileBase, SpecBase>;

// A container's command, as a Dockerfile ENTRYPOINT or CMD: a string runs through /bin/sh -c (shell
// form), a list runs as it is (exec form).
struct Command {
    std::vector<std::string> args;
    bool shell = false;
};

struct Healthcheck {
    bool none = false; // `healthcheck: none`: turn off the base's check
    Command test;
    std::string interval, timeout, start_period; // durations as Docker writes them ("30s", "1m30s")
    std::string retries;                         // a number, as text
};

// What the image does when it runs: the spec's top-level runtime settings.
struct Runtime {
    std::string user; // empty -> the base's own user (restored after the installs)
    std::optional<Command> entrypoint;
    std::optional<Command> cmd;
    std::vector<std::pair<std::string, std::string>> labels;
    std::vector<std::string> expose; // "8080" or "8080/udp"
    std::string stopsignal;
    std::optional<Healthcheck> healthcheck;
};

// One axis's value in one image of a matrix (see matrix.hpp).
struct MatrixValue {
    std::string axis;
    std::string value; // a list axis's value as written, or a map axis's value name
    bool operator==(const MatrixValue&) const = default;
};

struct Spec {
    std::filesystem::path file; // absolute, lexically normal
    std::string display;        // the file's name as the user gave it, for messages
    std::filesystem::path dir;  // the spec's folder: relative paths resolve here; the context root
    std::string name;
    std::string registry;
    std::vector<Platform> platforms; // normalized; empty -> default for the base form
    std::string python_version;      // empty -> from the base form -> "3.12"
    bool extendable = false;
    std::string tag; // fixed tag; empty -> content hash
    Base base = DebianBase{};
    Mark base_mark;
    std::string registry_secret;
    // buildx --cache-from / --cache-to for this image ({repository} expands); when either is
    // given they replace the config's `cache: registry`. Not part of the tag.
    std::vector<std::string> cache_from;
    std::vector<std::string> cache_to;
    std::vector<Layer> layers;
    std::map<std::string, SecretDef> secrets;
    Runtime runtime;
    // For one image of a spec with a `matrix:`: its value of each axis, in axis order; the
    // matrix itself (where `matrix:` starts) at matrix_mark. Empty for a spec without a matrix.
    std::vector<MatrixValue> matrix;
    Mark matrix_mark;
};

// Read a spec file (YAML or TOML) into the model. Checks shape only: types, unknown keys, required
// keys, value syntax (names, tags, platforms, env names, package strings). Files are checked by
// plan. Throws SpecError with every problem at once, and for a spec with a `matrix:` (several
// images where one is needed: a `from: spec` parent, say); read_specs reads those.
Spec read_spec(const std::filesystem::path& file);
// Every image of a spec file: one Spec per combination of its `matrix:` (matrix.hpp), in order,
// or the one Spec of a spec without a matrix. Throws SpecError as read_spec does.
std::vector<Spec> read_specs(const std::filesystem::path& file);
std::vector<Spec> read_specs_stdin(Format format, const std::filesystem::path& dir);
// The same for a spec on standard input, whose relative paths resolve in `dir` (its context); it is
// named "<stdin>" in messages.
Spec read_spec_stdin(Format format, const std::filesystem::path& dir);

inline constexpr const char* default_python_version = "3.12";
// The flyte version a debian_base installs when the spec names none: pinned, so that the image
// and its tag do not drift as new releases appear.
inline constexpr const char* default_flyte_version = "2.0.1";

// The environment variable a secret is exported as when its RUN step gets it without a mount, as
// the Flyte SDK names it: "<group>_<key>" (or the key) in upper case, '-' and '.' as '_'.
std::string secret_env_name(const SecretMount& m);

} // namespace imgspec::spec
