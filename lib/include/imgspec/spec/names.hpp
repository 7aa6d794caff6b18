#pragma once
// Syntax checks for the values a spec names. Each returns "" when the value is valid, else a
// message saying what is wrong. Pure functions.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imgspec::spec {

// Repository path of an image: lowercase components of [a-z0-9] joined by '.', '_', '__', '-',
// separated by '/' (the distribution reference grammar).
std::string check_image_name(std::string_view name);
// host[:port][/path] as in "registry.example.com/ml" or "127.0.0.1:5000".
std::string check_registry(std::string_view registry);
// [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
std::string check_tag(std::string_view tag);
// A full image reference: [registry/]name[:tag][@sha256:...].
std::string check_image_ref(std::string_view ref);
// An image reference's repository ("host/name", without tag and digest) and its tag ("" when it
// has none); the reference is not checked.
struct ImageRefParts {
    std::string repository;
    std::string tag;
};
ImageRefParts split_image_ref(std::string_view ref);
std::string check_env_name(std::string_view name);
// A PEP 508 requirement: name, extras, version specifiers or "@ url", and an environment marker.
std::string check_pip_requirement(std::string_view req);
// A Debian package: name[:arch][=version] or name/release.
std::string check_apt_package(std::string_view pkg);
// "M.m" with M and m numbers.
std::string check_python_version(std::string_view v);
// The Python versions a spec may ask for: 3.<min> to 3.<max>, as the Flyte SDK supports them.
inline constexpr int min_python_minor = 10;
inline constexpr int max_python_minor = 14;
// A secret's mount point: absolute, and nothing that could add a mount option or an instruction.
std::string check_mount_path(std::string_view path);
// Runtime settings: USER, HEALTHCHECK durations, EXPOSE ports, STOPSIGNAL, LABEL keys.
std::string check_user(std::string_view user);
std::string check_duration(std::string_view d);
std::string check_port(std::string_view port);
std::string check_signal(std::string_view sig);
std::string check_label_key(std::string_view key);
// The variables that `$NAME` and `${NAME}` in s refer to, in order; nullopt when a '$' starts
// neither (pip options and packages: only a secret exported in the same step may be referred to).
std::optional<std::vector<std::string>> variable_refs(std::string_view s);
// s with each $NAME and ${NAME} replaced by `with` (to check the rest of a URL or a requirement);
// nullopt when a '$' starts neither.
std::optional<std::string> replace_variable_refs(std::string_view s, std::string_view with);
// An env_vars value: $NAME, ${NAME}, ${NAME:-word} and ${NAME:+word} expand as in a Dockerfile,
// \$ is a dollar; another ${...} form is an error.
std::string check_env_value(std::string_view v);
// A secret id: [A-Za-z0-9_.-]+
std::string check_secret_name(std::string_view name);

} // namespace imgspec::spec
