#include "legacy_dockerignore.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <utility>

// Three steps, each mirroring moby/patternmatcher so that Docker and imgspec agree on every path:
//   1. read_rules: ignorefile.ReadAll (comments, trimming, filepath.Clean, leading '/').
//   2. check_glob_syntax + translate: New() rejects what Go's filepath.Match rejects, then
//      Pattern.compile turns the glob into a Go regular expression (or a plain string test).
//   3. A small RE2-compatible matcher runs that expression. It understands exactly the syntax the
//      translation can produce, in Go's meaning (Go's '.' skips '\n'; '\a' is BEL, '\d' a digit),
//      and runs in time linear in the path (Thompson NFA, no backtracking).

namespace imgspec::plan::legacy {
namespace {

// ---------------------------------------------------------------------------------------------
// UTF-8 and Go string helpers

constexpr char32_t rune_error = 0xFFFD;
constexpr char32_t max_rune = 0x10FFFF;

struct Decoded {
    char32_t rune;
    std::size_t size;
};

// Go's utf8.DecodeRuneInString: an invalid, truncated, overlong or surrogate sequence decodes as
// U+FFFD of width 1, which is how both text/scanner and regexp see such bytes.
Decoded decode_rune(std::string_view s, std::size_t i) {
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
    const Decoded bad{rune_error, 1};
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

std::u32string decode_all(std::string_view s) {
    std::u32string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const Decoded d = decode_rune(s, i);
        out.push_back(d.rune);
        i += d.size;
    }
    return out;
}

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

// strings.TrimSpace.
std::string_view trim_space(std::string_view s) {
    std::size_t begin = s.size();
    std::size_t end = 0;
    for (std::size_t i = 0; i < s.size();) {
        const Decoded d = decode_rune(s, i);
        if (!is_go_space(d.rune)) {
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
        if (path[r] == '/') {
            ++r;
        } else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
            ++r;
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

// ---------------------------------------------------------------------------------------------
// Go's filepath.Match syntax check (Go >= 1.20 reports a bad pattern wherever it is, even after a
// mismatch), which patternmatcher.New runs on every rule.

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
    const Decoded d = decode_rune(c, i);
    if (d.rune == rune_error && d.size == 1) {
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

// Splits the pattern into chunks as filepath.Match's scanChunk does and checks each.
const char* check_glob_syntax(std::string_view p) {
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

// ---------------------------------------------------------------------------------------------
// The regular expression engine: RE2 syntax as Go parses it with regexp.Compile's flags (Perl:
// '^'/'$' anchor the whole text, '.' does not match '\n', negated classes do), searched for
// anywhere in the path as MatchString does. \p classes are not supported (reported as errors).

struct CharClass {
    std::vector<std::pair<char32_t, char32_t>> ranges;
    bool negated = false;

    bool contains(char32_t r) const {
        bool in = false;
        for (const auto& [lo, hi] : ranges) {
            if (lo <= r && r <= hi) {
                in = true;
                break;
            }
        }
        return in != negated;
    }
};

enum class Op : std::uint8_t {
    literal,
    char_class,
    any_not_nl,
    split,
    jump,
    begin_text,
    end_text,
    word_boundary,
    not_word_boundary,
    match
};

struct Inst {
    Op op = Op::jump;
    int out = -1;
    int out1 = -1;
    char32_t rune = 0; // literal
    int cls = -1;      // char_class
};

struct Program {
    std::vector<Inst> insts;
    std::vector<CharClass> classes;
    int start = 0;
};

bool is_word(char32_t r) {
    return (r >= '0' && r <= '9') || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') || r == '_';
}

using Ranges = std::vector<std::pair<char32_t, char32_t>>;

void add_ranges(Ranges& to, const Ranges& from, bool negate) {
    if (!negate) {
        to.insert(to.end(), from.begin(), from.end());
        return;
    }
    // `from` is sorted and disjoint in every table below.
    char32_t next = 0;
    for (const auto& [lo, hi] : from) {
        if (lo > next) {
            to.emplace_back(next, lo - 1);
        }
        next = hi + 1;
    }
    if (next <= max_rune) {
        to.emplace_back(next, max_rune);
    }
}

// \d \s \w, as Go defines them (ASCII only; \s has no \v).
std::optional<Ranges> perl_class(char32_t c) {
    switch (c) {
    case 'd':
    case 'D':
        return Ranges{{'0', '9'}};
    case 's':
    case 'S':
        return Ranges{{'\t', '\n'}, {'\f', '\r'}, {' ', ' '}};
    case 'w':
    case 'W':
        return Ranges{{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
    default:
        return std::nullopt;
    }
}

std::optional<Ranges> posix_class(std::u32string_view name) {
    static const std::pair<std::u32string_view, Ranges> table[] = {
        {U"alnum", {{'0', '9'}, {'A', 'Z'}, {'a', 'z'}}},
        {U"alpha", {{'A', 'Z'}, {'a', 'z'}}},
        {U"ascii", {{0, 0x7F}}},
        {U"blank", {{'\t', '\t'}, {' ', ' '}}},
        {U"cntrl", {{0, 0x1F}, {0x7F, 0x7F}}},
        {U"digit", {{'0', '9'}}},
        {U"graph", {{'!', '~'}}},
        {U"lower", {{'a', 'z'}}},
        {U"print", {{' ', '~'}}},
        {U"punct", {{'!', '/'}, {':', '@'}, {'[', '`'}, {'{', '~'}}},
        {U"space", {{'\t', '\r'}, {' ', ' '}}},
        {U"upper", {{'A', 'Z'}}},
        {U"word", {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}}},
        {U"xdigit", {{'0', '9'}, {'A', 'F'}, {'a', 'f'}}},
    };
    for (const auto& [n, r] : table) {
        if (n == name) {
            return r;
        }
    }
    return std::nullopt;
}

int hex_value(char32_t c) {
    if (c >= '0' && c <= '9') {
        return static_cast<int>(c - '0');
    }
    if (c >= 'a' && c <= 'f') {
        return static_cast<int>(c - 'a') + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return static_cast<int>(c - 'A') + 10;
    }
    return -1;
}

// Go's limit on a compiled expression (regexp/syntax maxSize: 128 MiB of 40-byte instructions).
constexpr std::size_t max_program = (std::size_t{128} << 20) / 40;

class RegexCompiler {
  public:
    explicit RegexCompiler(std::u32string_view re) : m_re(re) {}

    // The program, or nullopt with error() set.
    std::optional<Program> compile() {
        std::vector<Frame> frames(1);
        while (m_pos < m_re.size() && m_error.empty()) {
            const char32_t c = m_re[m_pos];
            std::vector<Piece>& pieces = frames.back().pieces;
            switch (c) {
            case '(':
                ++m_pos;
                frames.push_back({m_prog.insts.size(), {}, {}});
                break;
            case ')': {
                ++m_pos;
                if (frames.size() == 1) {
                    m_error = "unexpected )";
                    break;
                }
                Frag f = close(frames.back());
                frames.pop_back();
                frames.back().pieces.push_back({std::move(f), false});
                break;
            }
            case '|':
                ++m_pos;
                frames.back().alternatives.push_back(concat(pieces));
                pieces.clear();
                break;
            case '*':
                ++m_pos;
                repeat(pieces, 0, -1);
                break;
            case '+':
                ++m_pos;
                repeat(pieces, 1, -1);
                break;
            case '?':
                ++m_pos;
                repeat(pieces, 0, 1);
                break;
            case '{':
                if (!parse_braces(pieces)) {
                    ++m_pos; // not a repetition: a literal '{'
                    pieces.push_back({literal(c), false});
                }
                break;
            case '^':
                ++m_pos;
                pieces.push_back({single(Op::begin_text), false});
                break;
            case '$':
                ++m_pos;
                pieces.push_back({single(Op::end_text), false});
                break;
            case '.':
                ++m_pos;
                pieces.push_back({single(Op::any_not_nl), false});
                break;
            case '[':
                parse_class(pieces);
                break;
            case '\\':
                parse_escape(pieces);
                break;
            default:
                ++m_pos;
                pieces.push_back({literal(c), false});
                break;
            }
        }
        if (m_error.empty() && frames.size() > 1) {
            m_error = "missing closing )";
        }
        if (m_error.empty()) {
            Frag all = close(frames.back());
            const int match = emit(Inst{Op::match});
            patch(all, match);
            m_prog.start = all.start;
        }
        if (!m_error.empty()) {
            return std::nullopt;
        }
        return std::move(m_prog);
    }

    const std::string& error() const { return m_error; }

  private:
    // A partly built piece of program: its entry, the exits still to be connected, and the
    // instructions [begin, end) it consists of. Those are contiguous (each construct emits its
    // own instructions after those of its parts) and link only among themselves, so a fragment
    // can be copied, which x{n,m} needs.
    struct Frag {
        int start = -1;
        std::vector<std::pair<int, bool>> outs; // (instruction, second exit?)
        std::size_t begin = 0;
        std::size_t end = 0;
    };
    struct Piece {
        Frag frag;
        bool repeated = false; // Go rejects a repetition of a repetition ("a**")
    };
    struct Frame { // one level of parentheses
        std::size_t begin;
        std::vector<Frag> alternatives; // before the last '|'
        std::vector<Piece> pieces;      // after it
    };

    int emit(Inst i) {
        if (m_prog.insts.size() >= max_program) {
            m_error = "expression too large";
        }
        m_prog.insts.push_back(i);
        return static_cast<int>(m_prog.insts.size()) - 1;
    }

    void patch(const Frag& f, int target) {
        for (const auto& [pc, second] : f.outs) {
            (second ? m_prog.insts[pc].out1 : m_prog.insts[pc].out) = target;
        }
    }

    static Frag one(int pc) {
        const auto at = static_cast<std::size_t>(pc);
        return {pc, {{pc, false}}, at, at + 1};
    }

    Frag single(Op op) { return one(emit(Inst{op})); }

    Frag literal(char32_t r) {
        Inst i{Op::literal};
        i.rune = r;
        return one(emit(i));
    }

    Frag char_class(CharClass c) {
        m_prog.classes.push_back(std::move(c));
        Inst i{Op::char_class};
        i.cls = static_cast<int>(m_prog.classes.size()) - 1;
        return one(emit(i));
    }

    Frag concat(std::vector<Piece>& pieces) {
        if (pieces.empty()) {
            return single(Op::jump); // matches the empty string
        }
        Frag f = std::move(pieces[0].frag);
        for (std::size_t k = 1; k < pieces.size(); ++k) {
            patch(f, pieces[k].frag.start);
            f.outs = std::move(pieces[k].frag.outs);
            f.end = pieces[k].frag.end;
        }
        return f;
    }

    // The frame's alternatives, tried in turn through a chain of splits.
    Frag close(Frame& frame) {
        Frag f = concat(frame.pieces);
        for (std::size_t k = frame.alternatives.size(); k-- > 0;) {
            Frag& a = frame.alternatives[k];
            Inst s{Op::split};
            s.out = a.start;
            s.out1 = f.start;
            const int pc = emit(s);
            a.outs.insert(a.outs.end(), f.outs.begin(), f.outs.end());
            f = {pc, std::move(a.outs), 0, 0};
        }
        f.begin = frame.begin;
        f.end = m_prog.insts.size();
        return f;
    }

    Frag copy(const Frag& f) {
        const std::size_t base = m_prog.insts.size();
        const int shift = static_cast<int>(base) - static_cast<int>(f.begin);
        for (std::size_t k = f.begin; k < f.end && m_error.empty(); ++k) {
            Inst i = m_prog.insts[k];
            if (i.out >= 0) {
                i.out += shift;
            }
            if (i.out1 >= 0) {
                i.out1 += shift;
            }
            emit(i);
        }
        Frag c{f.start + shift, f.outs, base, m_prog.insts.size()};
        for (auto& o : c.outs) {
            o.first += shift;
        }
        return c;
    }

    Frag star(Frag f) {
        Inst s{Op::split};
        s.out = f.start;
        const int pc = emit(s);
        patch(f, pc);
        return {pc, {{pc, true}}, f.begin, m_prog.insts.size()};
    }

    Frag plus(Frag f) {
        Inst s{Op::split};
        s.out = f.start;
        const int pc = emit(s);
        patch(f, pc);
        return {f.start, {{pc, true}}, f.begin, m_prog.insts.size()};
    }

    Frag quest(Frag f) {
        Inst s{Op::split};
        s.out = f.start;
        const int pc = emit(s);
        f.outs.emplace_back(pc, true);
        return {pc, std::move(f.outs), f.begin, m_prog.insts.size()};
    }

    // x{min,max} (max -1: no bound); '*' '+' '?' are {0,}, {1,} and {0,1}.
    void repeat(std::vector<Piece>& pieces, int min, int max) {
        if (m_pos < m_re.size() && m_re[m_pos] == '?') {
            ++m_pos; // laziness does not change whether a match exists
        }
        if (pieces.empty()) {
            m_error = "missing argument to repetition operator";
            return;
        }
        Piece& last = pieces.back();
        if (last.repeated) {
            m_error = "invalid nested repetition operator";
            return;
        }
        const Frag x = last.frag;
        std::vector<Piece> seq;
        if (max == 0) {
            seq.push_back({single(Op::jump), false}); // x{0}: the empty string
        } else if (min == 0 && max == -1) {
            seq.push_back({star(x), false});
        } else if (min == 0 && max == 1) {
            seq.push_back({quest(x), false});
        } else if (min == 1 && max == -1) {
            seq.push_back({plus(x), false});
        } else {
            // x{2,4} is x x x? x?; x{2,} is x x+. Copies come from the untouched original.
            const int copies = max == -1 ? min : max;
            for (int k = 0; k < copies && m_error.empty(); ++k) {
                Frag c = k == 0 ? x : copy(x);
                if (max == -1 && k == copies - 1) {
                    c = plus(std::move(c));
                } else if (k >= min) {
                    c = quest(std::move(c));
                }
                seq.push_back({std::move(c), false});
            }
        }
        if (!m_error.empty()) {
            return;
        }
        Frag f = concat(seq);
        f.begin = x.begin;
        f.end = m_prog.insts.size();
        last = {std::move(f), true};
    }

    // Go's parseInt: decimal without leading zeros; -1 when above 10^8.
    std::optional<int> repeat_count() {
        const std::size_t start = m_pos;
        if (m_pos >= m_re.size() || m_re[m_pos] < '0' || m_re[m_pos] > '9') {
            return std::nullopt;
        }
        if (m_pos + 1 < m_re.size() && m_re[m_pos] == '0' && m_re[m_pos + 1] >= '0' &&
            m_re[m_pos + 1] <= '9') {
            return std::nullopt;
        }
        while (m_pos < m_re.size() && m_re[m_pos] >= '0' && m_re[m_pos] <= '9') {
            ++m_pos;
        }
        if (m_pos - start > 8) {
            return -1;
        }
        int n = 0;
        for (std::size_t k = start; k < m_pos; ++k) {
            n = n * 10 + static_cast<int>(m_re[k] - '0');
        }
        return n;
    }

    // {n} {n,} {n,m}: applies the repetition and returns true; false (position unchanged) when
    // the brace does not start one, so it is a literal.
    bool parse_braces(std::vector<Piece>& pieces) {
        const std::size_t save = m_pos;
        ++m_pos;
        auto fail = [&] {
            m_pos = save;
            return false;
        };
        auto min = repeat_count();
        if (!min || m_pos >= m_re.size()) {
            return fail();
        }
        int max = *min;
        if (m_re[m_pos] == ',') {
            ++m_pos;
            if (m_pos >= m_re.size()) {
                return fail();
            }
            if (m_re[m_pos] == '}') {
                max = -1;
            } else {
                auto m = repeat_count();
                if (!m) {
                    return fail();
                }
                max = *m;
                if (max < 0) {
                    *min = -1;
                }
            }
        }
        if (m_pos >= m_re.size() || m_re[m_pos] != '}') {
            return fail();
        }
        ++m_pos;
        if (*min < 0 || *min > 1000 || max > 1000 || (max >= 0 && *min > max)) {
            m_error = "invalid repeat count";
            return true;
        }
        repeat(pieces, *min, max);
        return true;
    }

    // After a '\' outside or inside a class: one character (parseEscape).
    std::optional<char32_t> escaped_rune() {
        if (m_pos >= m_re.size()) {
            m_error = "trailing backslash at end of expression";
            return std::nullopt;
        }
        const char32_t c = m_re[m_pos++];
        if (c < 0x80 &&
            !((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
            return c;
        }
        auto is_octal = [&] {
            return m_pos < m_re.size() && m_re[m_pos] >= '0' && m_re[m_pos] <= '7';
        };
        if ((c >= '1' && c <= '7' && is_octal()) || c == '0') {
            char32_t r = c - '0';
            for (int k = 1; k < 3 && is_octal(); ++k) {
                r = r * 8 + (m_re[m_pos++] - '0');
            }
            return r;
        }
        switch (c) {
        case 'a':
            return 7;
        case 'f':
            return 12;
        case 'n':
            return 10;
        case 'r':
            return 13;
        case 't':
            return 9;
        case 'v':
            return 11;
        case 'x': {
            if (m_pos < m_re.size() && m_re[m_pos] == '{') {
                ++m_pos;
                char32_t r = 0;
                int digits = 0;
                while (m_pos < m_re.size() && hex_value(m_re[m_pos]) >= 0) {
                    r = r * 16 + static_cast<char32_t>(hex_value(m_re[m_pos++]));
                    if (r > max_rune) {
                        break;
                    }
                    ++digits;
                }
                if (digits == 0 || r > max_rune || m_pos >= m_re.size() || m_re[m_pos] != '}') {
                    break;
                }
                ++m_pos;
                return r;
            }
            if (m_pos + 1 < m_re.size() && hex_value(m_re[m_pos]) >= 0 &&
                hex_value(m_re[m_pos + 1]) >= 0) {
                const auto r =
                    static_cast<char32_t>(hex_value(m_re[m_pos]) * 16 + hex_value(m_re[m_pos + 1]));
                m_pos += 2;
                return r;
            }
            break;
        }
        default:
            break;
        }
        m_error = "invalid escape sequence";
        return std::nullopt;
    }

    void parse_escape(std::vector<Piece>& pieces) {
        ++m_pos; // the backslash
        if (m_pos >= m_re.size()) {
            m_error = "trailing backslash at end of expression";
            return;
        }
        const char32_t c = m_re[m_pos];
        switch (c) {
        case 'A':
            ++m_pos;
            pieces.push_back({single(Op::begin_text), false});
            return;
        case 'z':
            ++m_pos;
            pieces.push_back({single(Op::end_text), false});
            return;
        case 'b':
            ++m_pos;
            pieces.push_back({single(Op::word_boundary), false});
            return;
        case 'B':
            ++m_pos;
            pieces.push_back({single(Op::not_word_boundary), false});
            return;
        case 'Q': {
            // Everything up to \E is literal.
            ++m_pos;
            while (m_pos < m_re.size()) {
                if (m_re[m_pos] == '\\' && m_pos + 1 < m_re.size() && m_re[m_pos + 1] == 'E') {
                    m_pos += 2;
                    break;
                }
                pieces.push_back({literal(m_re[m_pos++]), false});
            }
            return;
        }
        case 'p':
        case 'P':
            m_error = "Unicode classes (\\p, \\P) are not supported";
            return;
        default:
            break;
        }
        if (auto r = perl_class(c)) {
            ++m_pos;
            CharClass cls;
            add_ranges(cls.ranges, *r, c >= 'A' && c <= 'Z');
            pieces.push_back({char_class(std::move(cls)), false});
            return;
        }
        if (auto r = escaped_rune()) {
            pieces.push_back({literal(*r), false});
        }
    }

    std::optional<char32_t> class_char() {
        if (m_pos >= m_re.size()) {
            m_error = "missing closing ]";
            return std::nullopt;
        }
        if (m_re[m_pos] == '\\') {
            ++m_pos;
            return escaped_rune();
        }
        return m_re[m_pos++];
    }

    void parse_class(std::vector<Piece>& pieces) {
        ++m_pos; // '['
        CharClass cls;
        if (m_pos < m_re.size() && m_re[m_pos] == '^') {
            cls.negated = true;
            ++m_pos;
        }
        bool first = true; // a ']' first in the class is a member
        while (m_pos >= m_re.size() || m_re[m_pos] != ']' || first) {
            first = false;
            if (m_pos >= m_re.size()) {
                m_error = "missing closing ]";
                return;
            }
            // [:alpha:] and [:^alpha:]; Go looks for the closing ":]" anywhere further on.
            if (m_pos + 1 < m_re.size() && m_re[m_pos] == '[' && m_re[m_pos + 1] == ':') {
                const std::size_t close = m_re.find(U":]", m_pos + 2);
                if (close != std::u32string_view::npos) {
                    std::u32string_view name = m_re.substr(m_pos + 2, close - m_pos - 2);
                    const bool negate = !name.empty() && name[0] == '^';
                    if (negate) {
                        name.remove_prefix(1);
                    }
                    auto r = posix_class(name);
                    if (!r) {
                        m_error = "invalid character class range";
                        return;
                    }
                    add_ranges(cls.ranges, *r, negate);
                    m_pos = close + 2;
                    continue;
                }
            }
            if (m_re[m_pos] == '\\' && m_pos + 1 < m_re.size()) {
                const char32_t e = m_re[m_pos + 1];
                if (e == 'p' || e == 'P') {
                    m_error = "Unicode classes (\\p, \\P) are not supported";
                    return;
                }
                if (auto r = perl_class(e)) {
                    add_ranges(cls.ranges, *r, e >= 'A' && e <= 'Z');
                    m_pos += 2;
                    continue;
                }
            }
            const auto lo = class_char();
            if (!lo) {
                return;
            }
            char32_t hi = *lo;
            if (m_pos + 1 < m_re.size() && m_re[m_pos] == '-' && m_re[m_pos + 1] != ']') {
                ++m_pos;
                const auto h = class_char();
                if (!h) {
                    return;
                }
                if (*h < *lo) {
                    m_error = "invalid character class range";
                    return;
                }
                hi = *h;
            }
            cls.ranges.emplace_back(*lo, hi);
        }
        ++m_pos; // ']'
        pieces.push_back({char_class(std::move(cls)), false});
    }

    std::u32string_view m_re;
    std::size_t m_pos = 0;
    Program m_prog;
    std::string m_error;
};

// Pike VM without captures: every thread advances in lockstep over the input, so the time is
// (input length) x (program size) whatever the pattern.
class Runner {
  public:
    // The work lists live in per-thread scratch, reused from call to call: matching runs for
    // every rule on every path, and a LegacyDockerignore may be shared by threads.
    explicit Runner(const Program& p) : m_prog(p), m_scratch(scratch()) {
        if (m_scratch.seen.size() < p.insts.size()) {
            m_scratch.seen.resize(p.insts.size(), 0);
        }
    }

    // Whether the program matches somewhere in `in`, as Go's MatchString (moby's expressions
    // are anchored with '^' and '$', but an alternative may drop either anchor).
    bool matches(std::u32string_view in) { return run(in, false); }

    // Whether some string beginning with `in` could match (conservatively: true when any thread
    // survives `in`; assertions about what follows are assumed to hold).
    bool may_match_extension_of(std::u32string_view in) { return run(in, true); }

  private:
    bool run(std::u32string_view in, bool prefix) {
        m_clist.clear();
        ++m_generation;
        // A program that starts with '^' (all of moby's, unless '|' splits them) can only match
        // from the start; otherwise a match may start anywhere.
        const bool anchored = m_prog.insts[m_prog.start].op == Op::begin_text;
        for (std::size_t pos = 0;; ++pos) {
            if (pos == 0 || !anchored) {
                add_closure(m_clist, m_prog.start, in, pos, prefix);
            } else if (m_clist.empty()) {
                return false;
            }
            for (int pc : m_clist) {
                if (m_prog.insts[pc].op == Op::match) {
                    return true;
                }
            }
            if (pos == in.size()) {
                break;
            }
            const char32_t r = in[pos];
            m_nlist.clear();
            ++m_generation;
            for (int pc : m_clist) {
                const Inst& i = m_prog.insts[pc];
                bool ok = false;
                switch (i.op) {
                case Op::literal:
                    ok = i.rune == r;
                    break;
                case Op::char_class:
                    ok = m_prog.classes[i.cls].contains(r);
                    break;
                case Op::any_not_nl:
                    ok = r != '\n';
                    break;
                default:
                    break;
                }
                if (ok) {
                    add_closure(m_nlist, i.out, in, pos + 1, prefix);
                }
            }
            std::swap(m_clist, m_nlist);
        }
        return prefix && !m_clist.empty();
    }

    bool assertion_holds(Op op, std::u32string_view in, std::size_t pos, bool prefix) const {
        const bool at_end = pos == in.size();
        switch (op) {
        case Op::begin_text:
            return pos == 0;
        case Op::end_text:
            return at_end; // in prefix mode too: the text may end right there
        case Op::word_boundary:
        case Op::not_word_boundary: {
            if (prefix && at_end) {
                return true; // depends on what would follow
            }
            const bool before = pos > 0 && is_word(in[pos - 1]);
            const bool after = !at_end && is_word(in[pos]);
            return (before != after) == (op == Op::word_boundary);
        }
        default:
            return true;
        }
    }

    // Follows jumps, splits and assertions from `pc` at `pos`, queueing the instructions that
    // consume a character (or match). Iterative: the program may be as long as the pattern.
    void add_closure(std::vector<int>& list, int pc, std::u32string_view in, std::size_t pos,
                     bool prefix) {
        m_stack.clear();
        m_stack.push_back(pc);
        while (!m_stack.empty()) {
            const int cur = m_stack.back();
            m_stack.pop_back();
            if (cur < 0 || m_seen[cur] == m_generation) {
                continue;
            }
            m_seen[cur] = m_generation;
            const Inst& i = m_prog.insts[cur];
            switch (i.op) {
            case Op::jump:
                m_stack.push_back(i.out);
                break;
            case Op::split:
                m_stack.push_back(i.out1);
                m_stack.push_back(i.out);
                break;
            case Op::begin_text:
            case Op::end_text:
            case Op::word_boundary:
            case Op::not_word_boundary:
                if (assertion_holds(i.op, in, pos, prefix)) {
                    m_stack.push_back(i.out);
                }
                break;
            default:
                list.push_back(cur);
                break;
            }
        }
    }

    struct Scratch {
        std::vector<std::uint64_t> seen; // generation in which each instruction was queued
        std::uint64_t generation = 0;
        std::vector<int> stack;
        std::vector<int> clist;
        std::vector<int> nlist;
    };
    static Scratch& scratch() {
        thread_local Scratch s;
        return s;
    }

    const Program& m_prog;
    Scratch& m_scratch;
    std::vector<std::uint64_t>& m_seen = m_scratch.seen;
    std::uint64_t& m_generation = m_scratch.generation;
    std::vector<int>& m_stack = m_scratch.stack;
    std::vector<int>& m_clist = m_scratch.clist;
    std::vector<int>& m_nlist = m_scratch.nlist;
};

// ---------------------------------------------------------------------------------------------
// Rules

enum class MatchType { exact, prefix, suffix, regexp, invalid };

struct Rule {
    std::string cleaned; // the pattern without its '!'
    bool exclusion = false;
    MatchType type = MatchType::invalid;
    Program program;  // regexp only
    std::string head; // regexp only: what every match starts with (a quick test)
    std::string tail; // regexp only: what every match ends with
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

// Pattern.compile: decides how the rule matches and, for regexp rules, builds the expression
// exactly as moby writes it. Returns an error message for an expression Go would not compile.
std::optional<std::string> compile_rule(Rule& rule) {
    std::u32string runes = decode_all(rule.cleaned);
    std::size_t k = 0;
    if (!runes.empty() && runes[0] == 0xFEFF) {
        k = 1; // text/scanner drops a byte order mark at the start
    }
    std::u32string re = U"^";
    MatchType type = MatchType::exact;
    for (int iteration = 0; k < runes.size(); ++iteration) {
        const char32_t ch = runes[k++];
        if (ch == '*') {
            if (k < runes.size() && runes[k] == '*') {
                ++k;
                if (k < runes.size() && runes[k] == '/') {
                    ++k; // "**/" is "**"
                }
                if (k == runes.size()) {
                    if (type == MatchType::exact) {
                        type = MatchType::prefix;
                    } else {
                        re += U".*";
                        type = MatchType::regexp;
                    }
                } else {
                    re += U"(.*/)?";
                    type = MatchType::regexp;
                }
                if (iteration == 0) {
                    type = MatchType::suffix;
                }
            } else {
                re += U"[^/]*";
                type = MatchType::regexp;
            }
        } else if (ch == '?') {
            re += U"[^/]";
            type = MatchType::regexp;
        } else if (should_escape(ch)) {
            re += U'\\';
            re += ch;
        } else if (ch == '\\') {
            if (k < runes.size()) {
                re += U'\\';
                re += runes[k++];
                type = MatchType::regexp;
            } else {
                re += U'\\';
            }
        } else if (ch == '[' || ch == ']') {
            re += ch;
            type = MatchType::regexp;
        } else {
            re += ch;
        }
    }
    rule.type = type;
    if (type == MatchType::regexp) {
        re += U'$';
        RegexCompiler compiler(re);
        auto prog = compiler.compile();
        if (!prog) {
            rule.type = MatchType::invalid;
            return compiler.error();
        }
        rule.program = std::move(*prog);
        set_literal_ends(rule);
    }
    return std::nullopt;
}

bool starts_with(std::string_view s, std::string_view p) {
    return s.substr(0, p.size()) == p;
}

bool ends_with(std::string_view s, std::string_view p) {
    return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

// Pattern.match for a rule that compiled; `runes` is `path` decoded.
bool rule_matches(const Rule& r, std::string_view path, std::u32string_view runes) {
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
        return Runner(r.program).matches(runes);
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
    case MatchType::regexp:
        return Runner(r.program).may_match_extension_of(decode_all(dir_slash));
    case MatchType::invalid:
        return false;
    }
    return false;
}

// The longest line bufio.Scanner (ignorefile.ReadAll) accepts; Docker fails on a longer one.
constexpr std::size_t max_line = 64 * 1024 - 1;

} // namespace

struct LegacyDockerignore::Impl {
    std::vector<std::string> patterns;
    std::vector<std::string> errors;
    std::vector<Rule> rules;
};

LegacyDockerignore::LegacyDockerignore() {
    static const auto empty = std::make_shared<const Impl>();
    m_impl = empty;
}

LegacyDockerignore LegacyDockerignore::parse(std::string_view text) {
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
        std::string_view p = trim_space(line);
        if (p.empty()) {
            continue;
        }
        const bool invert = p[0] == '!';
        if (invert) {
            p = trim_space(p.substr(1));
        }
        std::string pattern;
        if (!p.empty()) {
            pattern = go_clean(p);
            if (pattern.size() > 1 && pattern[0] == '/') {
                pattern.erase(0, 1);
            }
        }
        if (invert) {
            pattern.insert(0, "!");
        }
        impl->patterns.push_back(pattern);

        // patternmatcher.New
        Rule rule;
        rule.cleaned = go_clean(trim_space(pattern));
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
        if (const char* why = check_glob_syntax(rule.cleaned)) {
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
    return LegacyDockerignore(std::move(impl));
}

std::vector<std::string> LegacyDockerignore::errors() const {
    return m_impl->errors;
}

const std::vector<std::string>& LegacyDockerignore::patterns() const {
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
    // Each parent folder is a prefix of the path, in bytes and in characters alike ('/' is one
    // byte and one character, and never part of an invalid sequence), so decode once.
    const std::u32string runes = decode_all(file);
    std::vector<std::pair<std::size_t, std::size_t>> parents; // (bytes, characters)
    for (std::size_t k = 0, c = 0; k < file.size(); k += decode_rune(file, k).size, ++c) {
        if (file[k] == '/') {
            parents.emplace_back(k, c);
        }
    }
    const std::u32string_view all(runes);
    bool matched = false;
    for (const Rule& r : rules) {
        // An inclusion cannot change a match, nor an exception a non-match.
        if (r.exclusion != matched) {
            continue;
        }
        bool m = rule_matches(r, file, all);
        for (std::size_t k = 0; !m && k < parents.size(); ++k) {
            m = rule_matches(r, file.substr(0, parents[k].first), all.substr(0, parents[k].second));
        }
        if (m) {
            matched = !r.exclusion;
        }
    }
    return matched;
}

} // namespace

bool LegacyDockerignore::excluded(std::string_view rel_path) const {
    if (m_impl->rules.empty()) {
        return false; // most contexts: no rules, and the walk asks for every file
    }
    const std::string file = clean_rel(rel_path);
    if (file.empty()) {
        return false; // Docker does not let the rules exclude the whole context
    }
    return matches_or_parent_matches(m_impl->rules, file);
}

bool LegacyDockerignore::may_include_below(std::string_view rel_dir) const {
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
    for (const Rule& r : m_impl->rules) {
        if (r.exclusion && rule_may_match_below(r, dir_slash)) {
            return true;
        }
    }
    return false;
}

} // namespace imgspec::plan::legacy
