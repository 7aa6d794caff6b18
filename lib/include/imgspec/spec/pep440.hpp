#pragma once
// PEP 440 versions and specifier sets, as far as a Python version check needs them.

#include <string_view>

namespace imgspec::spec {

// Whether the Python version `version_mm` satisfies a PEP 440 specifier set such as
// ">=3.10,<3.13", "==3.12.*", "~=3.11" or "!=3.9.*" (empty: anything). All operators are
// supported (~= == != <= >= < > ===), with pre-, post- and dev-release versions in specifiers.
// A "M.m" version stands for the release series, since images ship its latest patch release: it
// satisfies the set when some M.m.p does ("3.12" satisfies ">=3.12.1" and "==3.12.4", and also
// "!=3.12", because 3.12.1 != 3.12 in PEP 440; write "!=3.12.*" to exclude the series). A
// version with a patch number ("3.12.4") is checked as it is.
//
// Throws imgspec::Error(ErrorKind::invalid_spec) on an unknown operator or a malformed version or
// specifier.
bool python_satisfies(std::string_view version_mm, std::string_view specifier_set);

} // namespace imgspec::spec
