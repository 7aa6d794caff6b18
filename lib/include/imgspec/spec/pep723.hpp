#pragma once
// PEP 723 inline script metadata: the "# /// script" block at the top of a uv-style script, and
// the check of its requires-python against the image's Python version.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imgspec::spec {

struct ScriptMetadata {
    std::vector<std::string> dependencies;
    std::optional<std::string> requires_python;
    int block_line = 0; // 1-based line of "# /// script"; 0 when not found
    bool found = false;
};

// Reads the script's "# /// script" block as PEP 723's reference implementation does: the block
// is what the regex (?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$
// matches (so it ends at the last "# ///" of its run of comment lines), each content line loses
// its '#' and one following space, and the rest is TOML. Line endings may be "\n", "\r\n" or
// "\r". Blocks of other types are skipped. No block: found is false.
//
// Throws imgspec::SpecError, one Diagnostic in `file` at the line of the problem, when there is
// more than one script block, a "# /// script" line starts a block that never closes, the TOML is
// invalid (its line and column mapped back into the script), `dependencies` is not an array of
// strings, or `requires-python` is not a string.
ScriptMetadata read_script_metadata(std::string_view script_text, const std::string& file);

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
