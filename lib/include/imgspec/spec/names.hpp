#pragma once
// Syntax checks for the values a spec names. Each returns "" when the value is valid, else a
// message saying what is wrong. Pure functions.

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
std::string check_env_name(std::string_view name);
// A PEP 508 requirement: name, extras, version specifiers or "@ url", and an environment marker.
std::string check_pip_requirement(std::string_view req);
// A Debian package: name[:arch][=version] or name/release.
std::string check_apt_package(std::string_view pkg);
// "M.m" with M and m numbers.
std::string check_python_version(std::string_view v);
// A secret id: [A-Za-z0-9_.-]+
std::string check_secret_name(std::string_view name);

} // namespace imgspec::spec
