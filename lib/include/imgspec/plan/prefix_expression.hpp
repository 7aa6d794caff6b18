#pragma once
// For pruning a walk: from one of moby's .dockerignore expressions, an expression for the
// beginnings of the texts it matches.

#include <optional>
#include <string>
#include <string_view>

namespace imgspec::plan {

// An expression that matches exactly the texts P for which some text P+T matches `expr`, for the
// expressions moby's translation makes of globs: "^", then literals, escaped punctuation, Perl and
// bracketed classes, '.', '*', '+', '?' and "(.*/)?", then "$". nullopt for anything else (an
// alternation, a counted repetition, an assertion such as "\b", a letter escape such as "\x41"),
// for which the caller must assume that any text may begin a match.
std::optional<std::string> prefix_expression(std::string_view expr);

} // namespace imgspec::plan
