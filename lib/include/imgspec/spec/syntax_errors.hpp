#pragma once
// A parser's words for a syntax error ("illegal map value", "Error while parsing key-value pair:
// expected '=', saw ':'") said as what is wrong and how to fix it. Pure: the loaders call these
// with the document's text and the parser's mark, and report what comes back.

#include <imgspec/core/error.hpp>

#include <string>
#include <string_view>

namespace imgspec::spec {

struct SyntaxError {
    Mark mark; // 1-based line and column (characters); may point elsewhere than the parser did
    std::string message;
    std::string hint; // "" when there is nothing better to say
};

// A yaml-cpp ParserException's message at `mark` (already 1-based). A tab in the indentation and a
// line that lines up with no key or item above it are recognised from the text, whatever yaml-cpp
// said; other messages are reworded, and unknown ones kept.
SyntaxError explain_yaml_error(std::string_view text, Mark mark, std::string_view message);

// A toml++ parse_error's description at `mark`, likewise.
SyntaxError explain_toml_error(std::string_view text, Mark mark, std::string_view message);

} // namespace imgspec::spec
