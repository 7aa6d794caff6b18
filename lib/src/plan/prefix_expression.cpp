#include <imgspec/plan/prefix_expression.hpp>

#include <fmt/format.h>

#include <vector>

// The prefixes of the matches of u1 u2 ... un are those of u1's matches that stop inside u1, and
// u1's matches followed by prefixes of the matches of u2 ... un. Every unit here matches a single
// character, a repetition of one, or "(.*/)?", so what stops inside it is simple: nothing for one
// character or an optional one, a shorter repetition for '*' and '+', ".*" for "(.*/)?".

namespace imgspec::plan {

namespace {

struct Unit {
    std::string text;    // as written
    std::string partial; // the proper prefixes of its matches ("" is just the empty text)
    bool quantified = false;
};

// '\' then this is one character or one Perl class: Go reads '\' before ASCII punctuation as
// the character itself, and \d \s \w (and their negations) as classes.
bool simple_escape(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
        return false;
    }
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    return !alnum || c == 'd' || c == 'D' || c == 's' || c == 'S' || c == 'w' || c == 'W';
}

// The length of the bracketed class at e[i] == '[' as Go's parser delimits it (a ']' right after
// "[" or "[^" is a member; "[:name:]" is a named class), or 0 outside the subset.
std::size_t class_length(std::string_view e, std::size_t i) {
    std::size_t k = i + 1;
    if (k < e.size() && e[k] == '^') {
        ++k;
    }
    bool first = true;
    while (k < e.size()) {
        const char c = e[k];
        if (c == ']' && !first) {
            return k + 1 - i;
        }
        first = false;
        if (c == '[' && k + 1 < e.size() && e[k + 1] == ':') {
            const std::size_t close = e.find(":]", k + 2);
            if (close != std::string_view::npos) {
                k = close + 2;
                continue;
            }
        }
        if (c == '\\') {
            if (k + 1 >= e.size() || !simple_escape(e[k + 1])) {
                return 0;
            }
            k += 2;
            continue;
        }
        ++k;
    }
    return 0;
}

// The bytes of the UTF-8 character at e[i].
std::size_t char_length(std::string_view e, std::size_t i) {
    std::size_t k = i + 1;
    if (static_cast<unsigned char>(e[i]) >= 0xC0) {
        while (k < e.size() && (static_cast<unsigned char>(e[k]) & 0xC0) == 0x80) {
            ++k;
        }
    }
    return k - i;
}

std::optional<std::vector<Unit>> units_of(std::string_view e) {
    constexpr std::string_view any_folders = "(.*/)?";
    if (e.size() < 2 || e.front() != '^' || e.back() != '$') {
        return std::nullopt;
    }
    e = e.substr(1, e.size() - 2);
    std::vector<Unit> units;
    for (std::size_t i = 0; i < e.size();) {
        const char c = e[i];
        std::size_t n = 0;
        switch (c) {
        case '*':
        case '+':
        case '?': {
            if (units.empty() || units.back().quantified) {
                return std::nullopt;
            }
            Unit& u = units.back();
            u.partial = c == '?' ? "" : u.text + "*";
            u.text += c;
            u.quantified = true;
            ++i;
            if (i < e.size() && e[i] == '?') {
                ++i; // non-greedy: the same texts
            }
            continue;
        }
        case '(':
            if (e.substr(i, any_folders.size()) != any_folders) {
                return std::nullopt;
            }
            units.push_back({std::string(any_folders), ".*", true});
            i += any_folders.size();
            continue;
        case '\\':
            if (i + 1 >= e.size() || !simple_escape(e[i + 1])) {
                return std::nullopt;
            }
            n = 2;
            break;
        case '[':
            n = class_length(e, i);
            if (n == 0) {
                return std::nullopt;
            }
            break;
        case '^':
        case '$':
        case '|':
        case '{':
        case '}':
        case ')':
            return std::nullopt;
        default:
            n = char_length(e, i);
            break;
        }
        units.push_back({std::string(e.substr(i, n)), "", false});
        i += n;
    }
    return units;
}

} // namespace

std::optional<std::string> prefix_expression(std::string_view expr) {
    // Each unit nests one group deeper; keep well inside what a parser handles comfortably.
    constexpr std::size_t max_units = 1000;
    auto units = units_of(expr);
    if (!units || units->size() > max_units) {
        return std::nullopt;
    }
    std::string rest; // the prefixes of the matches of the units after this one
    for (std::size_t k = units->size(); k-- > 0;) {
        rest = fmt::format("(?:{}|{}{})", (*units)[k].partial, (*units)[k].text, rest);
    }
    return "^" + rest + "$";
}

} // namespace imgspec::plan
