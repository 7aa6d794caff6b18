#include <imgspec/plan/dockerignore.hpp>

#include <imgspec/plan/prefix_expression.hpp>
#include <imgspec/util/glob.hpp>
#include <imgspec/util/go_regexp.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

// Two steps, each mirroring moby/patternmatcher so that Docker and imgspec agree on every path:
//   1. read_rules: ignorefile.ReadAll (comments, trimming, filepath.Clean, leading '/').
//   2. glob_syntax_error + compile_rule: New() rejects what Go's filepath.Match rejects, then
//      Pattern.compile turns the glob into a Go regular expression (or a plain string test),
//      which RE2 runs with Go's meaning (util::GoRegexp).

namespace imgspec::plan {

using util::decode_rune;
using util::go_clean;
using util::go_trim_space;

namespace {

enum class MatchType { exact, prefix, suffix, regexp, invalid };

// An expression compiled the first time a match needs it, by whichever thread asks first: RE2
// takes tens of microseconds a rule, and a run that matches few paths (a spec copying one file,
// head and tail tests that reject most paths) should not pay for every rule up front.
class LazyRegexp {
  public:
    // `expr` nullopt: no expression, and get() is nullptr.
    explicit LazyRegexp(std::optional<std::string> expr = std::nullopt) : m_expr(std::move(expr)) {}

    // Already compiled (by parse, to report an error up front).
    explicit LazyRegexp(util::GoRegexp compiled) : m_regexp(std::move(compiled)) {
        std::call_once(m_once, [] {});
    }

    const util::GoRegexp* get() const {
        std::call_once(m_once, [this] {
            if (m_expr) {
                m_regexp.emplace(*m_expr);
            }
        });
        return m_regexp ? &*m_regexp : nullptr;
    }

  private:
    std::optional<std::string> m_expr;
    mutable std::once_flag m_once;
    mutable std::optional<util::GoRegexp> m_regexp;
};

struct Rule {
    std::string cleaned; // the pattern without its '!'
    bool exclusion = false;
    MatchType type = MatchType::invalid;
    std::string head;                   // regexp only: what every match starts with (a quick test)
    std::string tail;                   // regexp only: what every match ends with
    std::unique_ptr<LazyRegexp> regexp; // regexp only: moby's expression
    // regexp exceptions only: may_include_below's question, the prefixes of the expression's
    // matches; most walks never ask it (no folder is excluded, or no exception could re-include
    // anything below one). No expression: any path may begin a match.
    std::unique_ptr<LazyRegexp> prefixes;
};

bool is_plain(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x80 && c != '*' && c != '?' && c != '[' && c != ']' && c != '{' && c != '}' &&
           c != '|' && c != '^' && c != '\\';
}

// The literal start and end of a regexp rule's matches: the runs of plain characters at both
// ends of the pattern, which moby copies into the expression as literals right after '^' and
// before '$'. Without '|' (alternatives would drop the anchors) and '\' (an escape may change
// what follows it, "\Q" all of it), a match must begin with the one and end with the other. A
// character before '{' may be repeated zero times ("b{0}"), so the head stops before it.
void set_literal_ends(Rule& rule) {
    const std::string& p = rule.cleaned;
    if (p.find_first_of("|\\") != std::string::npos) {
        return;
    }
    std::size_t h = 0;
    while (h < p.size() && is_plain(p[h])) {
        ++h;
    }
    if (h < p.size() && p[h] == '{' && h > 0) {
        --h;
    }
    std::size_t t = p.size();
    while (t > 0 && is_plain(p[t - 1])) {
        --t;
    }
    if (t > 0 && t < p.size() && p[t - 1] == '*' && p[t] == '/') {
        ++t; // "**/" takes its '/' into an optional group: "**/b" matches "b"
    }
    rule.head = p.substr(0, h);
    rule.tail = p.substr(t);
}

// moby means to escape ".+()|{}$", but through a bitmap in which the bits of '{', '|' and '}'
// fall off the end of their byte: only these five are escaped, so Go's regexp sees '|' as
// alternation and "{2}" as a repetition, in Docker as here.
bool should_escape(char32_t c) {
    return c == '.' || c == '+' || c == '(' || c == ')' || c == '$';
}

// Appends the character at s[i] as Go's text/scanner hands it to moby: an invalid byte as U+FFFD.
void append_char(std::string& out, std::string_view s, std::size_t i, const util::Rune& r) {
    if (r.value == util::rune_error && r.size == 1) {
        out += "\xEF\xBF\xBD";
    } else {
        out.append(s.substr(i, r.size));
    }
}

// Pattern.compile: decides how the rule matches and, for regexp rules, builds the expression
// exactly as moby writes it. Returns an error message for an expression Go would not compile.
std::optional<std::string> compile_rule(Rule& rule) {
    const std::string_view p = rule.cleaned;
    std::size_t k = 0;
    if (p.substr(0, 3) == "\xEF\xBB\xBF") {
        k = 3; // text/scanner drops a byte order mark at the start
    }
    auto at = [&](std::size_t i, char c) { return i < p.size() && p[i] == c; };
    std::string re = "^";
    MatchType type = MatchType::exact;
    for (int iteration = 0; k < p.size(); ++iteration) {
        const util::Rune ch = decode_rune(p, k);
        const std::size_t here = k;
        k += ch.size;
        if (ch.value == '*') {
            if (at(k, '*')) {
                ++k;
                if (at(k, '/')) {
                    ++k; // "**/" is "**"
                }
                if (k == p.size()) {
                    if (type == MatchType::exact) {
                        type = MatchType::prefix;
                    } else {
                        re += ".*";
                        type = MatchType::regexp;
                    }
                } else {
                    re += "(.*/)?";
                    type = MatchType::regexp;
                }
                if (iteration == 0) {
                    type = MatchType::suffix;
                }
            } else {
                re += "[^/]*";
                type = MatchType::regexp;
            }
        } else if (ch.value == '?') {
            re += "[^/]";
            type = MatchType::regexp;
        } else if (should_escape(ch.value)) {
            re += '\\';
            re += static_cast<char>(ch.value);
        } else if (ch.value == '\\') {
            re += '\\';
            if (k < p.size()) {
                const util::Rune next = decode_rune(p, k);
                append_char(re, p, k, next);
                k += next.size;
                type = MatchType::regexp;
            }
        } else if (ch.value == '[' || ch.value == ']') {
            re += static_cast<char>(ch.value);
            type = MatchType::regexp;
        } else {
            append_char(re, p, here, ch);
        }
    }
    rule.type = type;
    if (type != MatchType::regexp) {
        return std::nullopt;
    }
    re += '$';
    if (rule.exclusion) {
        rule.prefixes = std::make_unique<LazyRegexp>(prefix_expression(re));
    }
    set_literal_ends(rule);
    // Without these characters in the glob the expression holds only literals, escaped
    // punctuation, "[^/]", '*', "(.*/)?" and ".*": it always compiles, so it can wait.
    if (p.find_first_of("\\[]{}|^") == std::string_view::npos) {
        rule.regexp = std::make_unique<LazyRegexp>(std::move(re));
        return std::nullopt;
    }
    util::GoRegexp compiled(re);
    if (!compiled.ok()) {
        rule.type = MatchType::invalid;
        return compiled.error();
    }
    rule.regexp = std::make_unique<LazyRegexp>(std::move(compiled));
    return std::nullopt;
}

bool starts_with(std::string_view s, std::string_view p) {
    return s.substr(0, p.size()) == p;
}

bool ends_with(std::string_view s, std::string_view p) {
    return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

// Pattern.match for a rule that compiled; `text` is `path` as Go reads it (go_valid_utf8).
bool rule_matches(const Rule& r, std::string_view path, std::string_view text) {
    switch (r.type) {
    case MatchType::exact:
        return path == r.cleaned;
    case MatchType::prefix:
        return starts_with(path, std::string_view(r.cleaned).substr(0, r.cleaned.size() - 2));
    case MatchType::suffix: {
        const std::string_view suffix = std::string_view(r.cleaned).substr(2);
        if (ends_with(path, suffix)) {
            return true;
        }
        // "**/foo" matches "foo"
        return suffix[0] == '/' && path == suffix.substr(1);
    }
    case MatchType::regexp:
        if (!starts_with(path, r.head) || !ends_with(path, r.tail)) {
            return false;
        }
        return r.regexp->get()->matches(text);
    case MatchType::invalid:
        return false;
    }
    return false;
}

// Whether the rule can match some path that begins with `dir_slash` ("a/b/").
bool rule_may_match_below(const Rule& r, std::string_view dir_slash) {
    switch (r.type) {
    case MatchType::exact:
        return starts_with(r.cleaned, dir_slash);
    case MatchType::prefix: {
        const std::string_view p = std::string_view(r.cleaned).substr(0, r.cleaned.size() - 2);
        return starts_with(p, dir_slash) || starts_with(dir_slash, p);
    }
    case MatchType::suffix:
        return true; // any suffix can follow the folder
    case MatchType::regexp: {
        const util::GoRegexp* prefixes = r.prefixes ? r.prefixes->get() : nullptr;
        return prefixes == nullptr || !prefixes->ok() ||
               prefixes->matches(util::go_valid_utf8(dir_slash));
    }
    case MatchType::invalid:
        return false;
    }
    return false;
}

// The longest line bufio.Scanner (ignorefile.ReadAll) accepts; Docker fails on a longer one.
constexpr std::size_t max_line = 64 * 1024 - 1;

} // namespace

struct Dockerignore::Impl {
    std::vector<std::string> patterns;
    std::vector<std::string> errors;
    std::vector<Rule> rules;
};

Dockerignore::Dockerignore() {
    static const auto empty = std::make_shared<const Impl>();
    m_impl = empty;
}

Dockerignore Dockerignore::parse(std::string_view text) {
    auto impl = std::make_shared<Impl>();
    int line_no = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos) {
            nl = text.size();
        }
        std::string_view line = text.substr(pos, nl - pos);
        pos = nl + 1;
        ++line_no;
        if (line.size() > max_line) {
            impl->errors.push_back(fmt::format(
                "line {}: longer than {} bytes, which Docker cannot read", line_no, max_line));
            break;
        }
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (line_no == 1 && starts_with(line, "\xEF\xBB\xBF")) {
            line.remove_prefix(3);
        }
        // ignorefile.ReadAll: only a '#' in the first column starts a comment.
        if (!line.empty() && line[0] == '#') {
            continue;
        }
        std::string_view p = go_trim_space(line);
        if (p.empty()) {
            continue;
        }
        const bool invert = p[0] == '!';
        if (invert) {
            p = go_trim_space(p.substr(1));
        }
        std::string pattern = invert ? "!" : "";
        if (!p.empty()) {
            const std::string cleaned = go_clean(p);
            pattern += cleaned.size() > 1 && cleaned[0] == '/' ? cleaned.substr(1) : cleaned;
        }
        impl->patterns.push_back(pattern);

        // patternmatcher.New
        Rule rule;
        rule.cleaned = go_clean(go_trim_space(pattern));
        if (rule.cleaned[0] == '!') {
            if (rule.cleaned.size() == 1) {
                impl->errors.push_back(fmt::format(
                    "line {}: illegal exclusion pattern \"!\": an exception needs a path",
                    line_no));
                continue;
            }
            rule.exclusion = true;
            rule.cleaned.erase(0, 1);
        }
        if (const char* why = util::glob_syntax_error(rule.cleaned)) {
            impl->errors.push_back(
                fmt::format("line {}: bad pattern \"{}\": {}", line_no, pattern, why));
            continue;
        }
        if (auto why = compile_rule(rule)) {
            impl->errors.push_back(fmt::format(
                "line {}: bad pattern \"{}\": Docker turns it into a regular expression that does "
                "not compile: {}",
                line_no, pattern, *why));
            continue;
        }
        impl->rules.push_back(std::move(rule));
    }
    return Dockerignore(std::move(impl));
}

std::vector<std::string> Dockerignore::errors() const {
    return m_impl->errors;
}

const std::vector<std::string>& Dockerignore::patterns() const {
    return m_impl->patterns;
}

namespace {

// Cleans a caller's path like patternmatcher.MatchesOrParentMatches does, and drops a leading
// '/'. Empty for the context root.
std::string clean_rel(std::string_view p) {
    std::string c = go_clean(p);
    std::size_t k = 0;
    while (k < c.size() && c[k] == '/') {
        ++k;
    }
    c.erase(0, k);
    if (c == ".") {
        c.clear();
    }
    return c;
}

// PatternMatcher.MatchesOrParentMatches on a cleaned, non-empty path.
bool matches_or_parent_matches(const std::vector<Rule>& rules, std::string_view file) {
    // Expressions read the path as Go does, invalid bytes as U+FFFD (three bytes in UTF-8); plain
    // tests read its bytes. Each parent folder ends before a '/', in both.
    std::string valid;
    std::vector<std::pair<std::size_t, std::size_t>> parents; // (path bytes, text bytes)
    for (std::size_t k = 0; k < file.size();) {
        const util::Rune r = decode_rune(file, k);
        if (file[k] == '/') {
            parents.emplace_back(k, valid.size());
        }
        append_char(valid, file, k, r);
        k += r.size;
    }
    const std::string_view text(valid);
    bool matched = false;
    for (const Rule& r : rules) {
        // An inclusion cannot change a match, nor an exception a non-match.
        if (r.exclusion != matched) {
            continue;
        }
        bool m = rule_matches(r, file, text);
        for (std::size_t k = 0; !m && k < parents.size(); ++k) {
            m = rule_matches(r, file.substr(0, parents[k].first),
                             text.substr(0, parents[k].second));
        }
        if (m) {
            matched = !r.exclusion;
        }
    }
    return matched;
}

} // namespace

bool Dockerignore::excluded(std::string_view rel_path) const {
    if (m_impl->rules.empty()) {
        return false; // most contexts: no rules, and the walk asks for every file
    }
    const std::string file = clean_rel(rel_path);
    if (file.empty()) {
        return false; // Docker does not let the rules exclude the whole context
    }
    return matches_or_parent_matches(m_impl->rules, file);
}

bool Dockerignore::may_include_below(std::string_view rel_dir) const {
    if (m_impl->rules.empty()) {
        return true;
    }
    const std::string dir = clean_rel(rel_dir);
    if (dir.empty() || !matches_or_parent_matches(m_impl->rules, dir)) {
        return true;
    }
    // A path below `dir` is matched by every rule that matches `dir` or its parents, and maybe by
    // more inclusions; so only an exception that matches something below can re-include it.
    const std::string dir_slash = dir + "/";
    return std::any_of(m_impl->rules.begin(), m_impl->rules.end(), [&](const Rule& r) {
        return r.exclusion && rule_may_match_below(r, dir_slash);
    });
}

} // namespace imgspec::plan
