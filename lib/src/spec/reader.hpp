#pragma once
// The spec reader's shared part: the Reader that turns a node tree into the model, collecting
// every problem as a diagnostic, and the value helpers that the layer kinds and base forms
// (kinds/*.cpp) read their values with. Internal to lib/src/spec.

#include <imgspec/core/error.hpp>
#include <imgspec/spec/model.hpp>
#include <imgspec/spec/node.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imgspec::spec::detail {

// The keys a spec may have at its top (read_spec.cpp) but `matrix`: those an overlay may set.
const std::vector<std::string>& top_level_keys();

// A value as a message shows it: quoted, control characters escaped, long values cut.
std::string shown(std::string_view value);
// A check's message about a value, with the value in front: "'MyApp' is not a valid image name".
std::string invalid(std::string_view value, const std::string& message);
// Secret names as a user may misremember them, and as the Flyte SDK turns a secret's key into
// an environment variable: upper case, '-' and '.' as '_'.
std::string loose_name(std::string_view name);

class Reader {
  public:
    Reader(std::string file, Diagnostics& diags) : m_file(std::move(file)), m_diags(diags) {}

    // The whole spec; problems go to the diagnostics (read_spec.cpp).
    Spec spec(const Node& root, const std::filesystem::path& file);

    void error(const Node& n, const std::string& path, std::string message, std::string hint = {});
    void error_at(Mark m, const std::string& path, std::string message, std::string hint = {});
    void type_error(const Node& n, const std::string& path, std::string_view expected);

    // Report keys of `map` that are not in `allowed`, with a "did you mean".
    void check_keys(const Node& map, const std::string& path,
                    const std::vector<std::string>& allowed);

    static std::string join_path(const std::string& path, const std::string& key);

    // Value helpers: each reads `n` into `out` and reports a problem at `path`; false (or no
    // change to `out`) when the value is not usable.
    bool string(const Node& n, const std::string& path, std::string& out);
    // A path inside the image (a workdir, where a copy lands): it goes into one Dockerfile line.
    void image_path(const Node& n, const std::string& path, std::string& out, std::string_view what,
                    std::string hint = {});
    void destination(const Node& n, const std::string& path, std::string& out);
    bool path_value(const Node& n, const std::string& path, std::filesystem::path& out);
    bool boolean(const Node& n, const std::string& path, bool& out);
    // A value that must be text (an env value, a label): a string, or a number or boolean as it is
    // written (0x1F, 1_000, 3.10): both loaders keep a scalar's source text, so a YAML spec and
    // its TOML twin give the same value.
    bool text(const Node& n, const std::string& path, std::string& out);
    // A string or a list of strings.
    bool strings(const Node& n, const std::string& path, std::vector<std::string>& out,
                 bool allow_single = true);

    SecretMount secret_mount(const Node& n, const std::string& path);
    std::vector<SecretMount> secret_mounts(const Node& n, const std::string& path);
    void url(const Node& n, const std::string& path, std::string& out);
    // Pip options from the option map (keys already checked).
    PipOptions pip_options(const Node& opts, const std::string& path);
    // `$NAME` in a pip option or package: only the variable of a secret this step exports
    // (mounted without a file), which the RUN's shell expands.
    void secret_refs(const Node& n, const std::string& path, const std::string& value,
                     const std::vector<SecretMount>& mounts);
    // A secret mount's file target: its own, else its definition's; empty: an env variable.
    std::string mount_target(const SecretMount& m) const;
    void extra_args(const Node& n, const std::string& path, std::string& out);
    InstallMode install_mode(const Node& opts, const std::string& path);

  private:
    // The parts of a spec (read_layer.cpp, read_spec.cpp, read_runtime.cpp).
    void layer(const Node& n, std::size_t index, std::vector<Layer>& out);
    Base base(const Node& n);
    void secrets(const Node& n, Spec& s);
    void check_secret_uses(const Spec& s);
    void runtime(const Node& root, Runtime& out);
    // cache_from / cache_to: buildx cache specs ("type=registry,ref=..."), one word each.
    void cache_refs(const Node& root, const std::string& key, std::vector<std::string>& out);
    void healthcheck(const Node& n, Runtime& out);
    std::optional<Command> command(const Node& n, const std::string& path);

    struct SecretUse {
        std::string key, group, path;
        Mark mark;
    };
    std::vector<SecretUse> m_secret_uses;
    // The `mount` of each secret definition, read ahead: a layer's secret is a file or a variable.
    std::map<std::string, std::string> m_def_mounts;
    std::string m_file;
    Diagnostics& m_diags;
};

} // namespace imgspec::spec::detail
