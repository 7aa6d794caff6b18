#include <imgspec/util/go_regexp.hpp>

#include <re2/re2.h>

#include <fmt/format.h>

namespace imgspec::util {

namespace {

// RE2 in Go's regexp.Compile mode (syntax.Perl): Perl classes and \b, non-greedy operators,
// negated classes matching '\n', '.' not, '^' and '$' only at the ends of the text. Go's limit on a
// program is about 3.3 million instructions (128 MiB of 40-byte ones); RE2's budget is in bytes of
// its own, smaller instructions, so 64 MiB holds at least as much.
RE2::Options go_options() {
    RE2::Options o;
    o.set_encoding(RE2::Options::EncodingUTF8);
    o.set_posix_syntax(false);
    o.set_longest_match(false);
    o.set_dot_nl(false);
    o.set_never_nl(false);
    o.set_case_sensitive(true);
    o.set_log_errors(false);
    o.set_max_mem(std::int64_t{64} << 20);
    return o;
}

// Go's wording for RE2's error codes (regexp/syntax ErrorCode).
const char* go_error_text(RE2::ErrorCode code) {
    switch (code) {
    case RE2::ErrorBadEscape:
        return "invalid escape sequence";
    case RE2::ErrorBadCharClass:
        return "invalid character class";
    case RE2::ErrorBadCharRange:
        return "invalid character class range";
    case RE2::ErrorMissingBracket:
        return "missing closing ]";
    case RE2::ErrorMissingParen:
        return "missing closing )";
    case RE2::ErrorUnexpectedParen:
        return "unexpected )";
    case RE2::ErrorTrailingBackslash:
        return "trailing backslash at end of expression";
    case RE2::ErrorRepeatArgument:
        return "missing argument to repetition operator";
    case RE2::ErrorRepeatSize:
        return "invalid repeat count";
    case RE2::ErrorRepeatOp:
        return "invalid nested repetition operator";
    case RE2::ErrorBadPerlOp:
        return "invalid or unsupported Perl syntax";
    case RE2::ErrorBadUTF8:
        return "invalid UTF-8";
    case RE2::ErrorBadNamedCapture:
        return "invalid named capture";
    case RE2::ErrorPatternTooLarge:
        return "expression too large";
    default:
        return "invalid expression";
    }
}

// RE2 reads "\C" as any byte; Go has no such escape and rejects it. (Inside a class RE2 rejects it
// too, and inside \Q...\E it is literal.)
bool has_byte_escape(std::string_view expr) {
    for (std::size_t i = 0; i + 1 < expr.size(); ++i) {
        if (expr[i] != '\\') {
            continue;
        }
        ++i;
        if (expr[i] == 'C') {
            return true;
        }
        if (expr[i] == 'Q') {
            const std::size_t end = expr.find("\\E", i + 1);
            if (end == std::string_view::npos) {
                return false;
            }
            i = end + 1;
        }
    }
    return false;
}

} // namespace

GoRegexp::GoRegexp(std::string_view expr) {
    if (has_byte_escape(expr)) {
        m_error = "invalid escape sequence: `\\C`";
        return;
    }
    m_re = std::make_unique<RE2>(re2::StringPiece(expr.data(), expr.size()), go_options());
    if (!m_re->ok()) {
        m_error = fmt::format("{}: `{}`", go_error_text(m_re->error_code()), m_re->error_arg());
        m_re.reset();
    }
}

GoRegexp::GoRegexp(GoRegexp&&) noexcept = default;
GoRegexp& GoRegexp::operator=(GoRegexp&&) noexcept = default;
GoRegexp::~GoRegexp() = default;

bool GoRegexp::matches(std::string_view text) const {
    return m_re && RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *m_re);
}

} // namespace imgspec::util
