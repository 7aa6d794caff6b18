#pragma once
// A regular expression with the meaning Go's regexp gives it, run by RE2 (whose syntax and
// semantics Go's package copies): UTF-8, '.' not matching '\n', '^' and '$' at the ends of the
// text only, leftmost-first, time linear in the text.

#include <memory>
#include <string>
#include <string_view>

namespace re2 {
class RE2;
}

namespace imgspec::util {

class GoRegexp {
  public:
    // Compiles `expr` (valid UTF-8) as regexp.Compile would. Never throws: an expression Go
    // rejects leaves ok() false and error() in Go's words, such as "missing closing ]: `[a`".
    explicit GoRegexp(std::string_view expr);
    GoRegexp(GoRegexp&& other) noexcept;
    GoRegexp& operator=(GoRegexp&& other) noexcept;
    ~GoRegexp();

    bool ok() const { return m_error.empty(); }
    const std::string& error() const { return m_error; }

    // regexp.MatchString: whether the expression matches somewhere in `text`. `text` must be
    // valid UTF-8 (go_valid_utf8 reads any string that way, as Go does). False when !ok().
    bool matches(std::string_view text) const;

  private:
    std::unique_ptr<re2::RE2> m_re;
    std::string m_error;
};

} // namespace imgspec::util
