#pragma once
// PEP 723 inline script metadata: the "# /// script" block at the top of a uv-style script. Its
// requires-python is checked against the image's Python version with pep440.hpp.

#include <imgspec/spec/pep440.hpp>

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

} // namespace imgspec::spec
