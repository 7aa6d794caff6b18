#include <imgspec/util/glob.hpp>

#include <algorithm>

namespace imgspec::util {

namespace {

constexpr char32_t max_rune = 0x10FFFF;

} // namespace

// Go's utf8.DecodeRuneInString: an invalid, truncated, overlong or surrogate sequence decodes as
// U+FFFD of width 1, which is how both text/scanner and regexp see such bytes.
Rune decode_rune(std::string_view s, std::size_t i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
        return {b0, 1};
    }
    auto cont = [&](std::size_t k) -> int {
        if (i + k >= s.size()) {
            return -1;
        }
        const auto b = static_cast<unsigned char>(s[i + k]);
        return (b & 0xC0) == 0x80 ? (b & 0x3F) : -1;
    };
    const Rune bad{rune_error, 1};
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        const int c1 = cont(1);
        if (c1 < 0) {
            return bad;
        }
        return {static_cast<char32_t>(((b0 & 0x1F) << 6) | c1), 2};
    }
    if (b0 >= 0xE0 && b0 <= 0xEF) {
        const int c1 = cont(1);
        const int c2 = c1 < 0 ? -1 : cont(2);
        if (c2 < 0) {
            return bad;
        }
        const auto r = static_cast<char32_t>(((b0 & 0x0F) << 12) | (c1 << 6) | c2);
        if (r < 0x800 || (r >= 0xD800 && r <= 0xDFFF)) {
            return bad;
        }
        return {r, 3};
    }
    if (b0 >= 0xF0 && b0 <= 0xF4) {
        const int c1 = cont(1);
        const int c2 = c1 < 0 ? -1 : cont(2);
        const int c3 = c2 < 0 ? -1 : cont(3);
        if (c3 < 0) {
            return bad;
        }
        const auto r = static_cast<char32_t>(((b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3);
        if (r < 0x10000 || r > max_rune) {
            return bad;
        }
        return {r, 4};
    }
    return bad;
}

std::string go_valid_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const Rune r = decode_rune(s, i);
        if (r.value == rune_error && r.size == 1) {
            out += "\xEF\xBF\xBD";
        } else {
            out.append(s.substr(i, r.size));
        }
        i += r.size;
    }
    return out;
}

bool is_valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        if (static_cast<unsigned char>(s[i]) < 0x80) {
            ++i;
            continue;
        }
        const Rune r = decode_rune(s, i);
        if (r.value == rune_error && r.size == 1) {
            return false;
        }
        i += r.size;
    }
    return true;
}

namespace {

// unicode.IsSpace, which strings.TrimSpace uses.
bool is_go_space(char32_t r) {
    switch (r) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
        return true;
    default:
        return r >= 0x2000 && r <= 0x200A;
    }
}

} // namespace

// strings.TrimSpace.
std::string_view go_trim_space(std::string_view s) {
    std::size_t begin = s.size();
    std::size_t end = 0;
    for (std::size_t i = 0; i < s.size();) {
        const Rune d = decode_rune(s, i);
        if (!is_go_space(d.value)) {
            begin = std::min(begin, i);
            end = i + d.size;
        }
        i += d.size;
    }
    return begin >= end ? std::string_view{} : s.substr(begin, end - begin);
}

// Go's path.Clean (filepath.Clean on Unix): the shortest equivalent path, "." when empty.
std::string go_clean(std::string_view path) {
    if (path.empty()) {
        return ".";
    }
    const bool rooted = path[0] == '/';
    const std::size_t n = path.size();
    std::string out;
    out.reserve(n);
    std::size_t r = 0;
    std::size_t dotdot = 0; // where ".." can no longer back up
    if (rooted) {
        out.push_back('/');
        r = 1;
        dotdot = 1;
    }
    while (r < n) {
        if (path[r] == '/' || (path[r] == '.' && (r + 1 == n || path[r + 1] == '/'))) {
            ++r; // an empty element, or "."
        } else if (path[r] == '.' && path[r + 1] == '.' && (r + 2 == n || path[r + 2] == '/')) {
            r += 2;
            if (out.size() > dotdot) {
                // Back up to the last '/', dropping it too.
                std::size_t w = out.size() - 1;
                while (w > dotdot && out[w] != '/') {
                    --w;
                }
                out.resize(w);
            } else if (!rooted) {
                if (!out.empty()) {
                    out.push_back('/');
                }
                out += "..";
                dotdot = out.size();
            }
        } else {
            if ((rooted && out.size() != 1) || (!rooted && !out.empty())) {
                out.push_back('/');
            }
            while (r < n && path[r] != '/') {
                out.push_back(path[r++]);
            }
        }
    }
    if (out.empty()) {
        return ".";
    }
    return out;
}

namespace {

// getEsc: one class member. Returns the error, or nullptr and advances `i`.
const char* class_member(std::string_view c, std::size_t& i) {
    if (i >= c.size()) {
        return "unterminated character class";
    }
    if (c[i] == '-' || c[i] == ']') {
        return "'-' or ']' where a character class member is expected";
    }
    if (c[i] == '\\') {
        ++i;
        if (i >= c.size()) {
            return "unterminated character class";
        }
    }
    const Rune d = decode_rune(c, i);
    if (d.value == rune_error && d.size == 1) {
        return "invalid UTF-8 in a character class";
    }
    i += d.size;
    if (i >= c.size()) {
        return "unterminated character class";
    }
    return nullptr;
}

// matchChunk's syntax checks on one chunk (the text between '*'s).
const char* check_chunk(std::string_view c) {
    std::size_t i = 0;
    while (i < c.size()) {
        switch (c[i]) {
        case '[': {
            ++i;
            if (i < c.size() && c[i] == '^') {
                ++i;
            }
            int nrange = 0;
            for (;;) {
                if (i < c.size() && c[i] == ']' && nrange > 0) {
                    ++i;
                    break;
                }
                if (const char* e = class_member(c, i)) {
                    return e;
                }
                if (c[i] == '-') {
                    ++i;
                    if (const char* e = class_member(c, i)) {
                        return e;
                    }
                }
                ++nrange;
            }
            break;
        }
        case '\\':
            ++i;
            if (i >= c.size()) {
                return "trailing backslash";
            }
            ++i; // Go skips one byte here, not one character
            break;
        default:
            ++i;
            break;
        }
    }
    return nullptr;
}

} // namespace

// Splits the pattern into chunks as filepath.Match's scanChunk does and checks each.
const char* glob_syntax_error(std::string_view p) {
    while (!p.empty()) {
        while (!p.empty() && p[0] == '*') {
            p.remove_prefix(1);
        }
        bool inrange = false;
        std::size_t i = 0;
        for (; i < p.size(); ++i) {
            const char ch = p[i];
            if (ch == '\\') {
                if (i + 1 < p.size()) {
                    ++i;
                }
            } else if (ch == '[') {
                inrange = true;
            } else if (ch == ']') {
                inrange = false;
            } else if (ch == '*' && !inrange) {
                break;
            }
        }
        if (const char* e = check_chunk(p.substr(0, i))) {
            return e;
        }
        p.remove_prefix(i);
    }
    return nullptr;
}

} // namespace imgspec::util
