#pragma once
// .dockerignore rules with the semantics Docker and BuildKit apply: moby/patternmatcher's
// ignorefile.ReadAll for reading the file, patternmatcher.New for validating the rules, and
// PatternMatcher.MatchesOrParentMatches for deciding what is left out of the build context.
//
// Patterns are Go filepath.Match globs ('*', '?', '[...]' with '^' negation, '\' escapes) plus '**'
// for any number of folders, translated to a regular expression exactly as moby does, so even its
// corner cases agree: "**file" also matches "myfile"; "[!x]" is a class holding '!' and 'x', not a
// negation; and in a pattern with a wildcard '|' separates alternatives and "{2}" repeats, since
// moby leaves '|', '{' and '}' unescaped. Checked against moby's code on millions of random rules
// and paths.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace imgspec::plan {

class Dockerignore {
  public:
    // No rules: nothing is excluded.
    Dockerignore();

    // Reads the text of a .dockerignore file. Never throws: a rule Docker would reject is listed
    // by errors() and left out (it matches nothing).
    static Dockerignore parse(std::string_view text);

    // One message per rejected rule, such as "line 3: bad pattern "[a": unterminated character
    // class". Docker fails the build on such a file, so callers should too.
    std::vector<std::string> errors() const;

    // Whether the path is left out of the context: the last rule that matches the path or one of
    // its parent folders decides, and "!" rules re-include. `rel_path` is '/'-separated and
    // relative to the context root; it is cleaned first ("./a//b/" is "a/b"), a leading '/' is
    // ignored, and the root itself is never excluded.
    bool excluded(std::string_view rel_path) const;

    // False when nothing below the folder `rel_dir` can be included: the folder is excluded and no
    // "!" rule can match a path below it, so a walker may skip it entirely. True otherwise
    // (conservatively: a true answer does not promise that something below is included).
    bool may_include_below(std::string_view rel_dir) const;

    // The rules as Docker reads them: comments and blank lines dropped, whitespace trimmed, paths
    // cleaned, a leading '/' removed, "!" kept in front of exceptions. Rejected rules included.
    const std::vector<std::string>& patterns() const;

    struct Impl;

  private:
    explicit Dockerignore(std::shared_ptr<const Impl> impl) : m_impl(std::move(impl)) {}
    std::shared_ptr<const Impl> m_impl; // immutable once parsed, so copies share it
};

} // namespace imgspec::plan
