// PEP 440 as the packaging library implements it: versions with epoch, release, pre-, post- and
// dev-release parts and local labels; the comparison key; the specifier operators.

#include <imgspec/spec/pep440.hpp>

#include <imgspec/core/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace imgspec::spec {
namespace {

struct Version {
    std::uint64_t epoch = 0;
    std::vector<std::uint64_t> release;
    int pre_kind = -1; // 0 a, 1 b, 2 rc; -1 none
    std::uint64_t pre = 0;
    bool has_post = false;
    std::uint64_t post = 0;
    bool has_dev = false;
    std::uint64_t dev = 0;
    bool has_local = false;
};

[[noreturn]] void bad_specifier(std::string_view what, std::string_view why) {
    throw Error(ErrorKind::invalid_spec,
                fmt::format("invalid version specifier '{}': {}", what, why),
                "use PEP 440 specifiers such as \">=3.10,<3.13\" or \"==3.12.*\"");
}

class VersionParser {
  public:
    VersionParser(std::string_view text, std::string_view context)
        : m_s(lower(text)), m_context(context) {}

    // A whole version; with `wildcard`, a trailing ".*" after the release is accepted and
    // reported.
    Version parse(bool* wildcard) {
        Version v;
        if (peek() == 'v') {
            ++m_i;
        }
        std::uint64_t first = number();
        if (peek() == '!') {
            ++m_i;
            v.epoch = first;
            first = number();
        }
        v.release.push_back(first);
        while (peek() == '.' && is_digit(peek(1))) {
            ++m_i;
            v.release.push_back(number());
        }
        if (wildcard != nullptr && m_s.substr(m_i) == ".*") {
            *wildcard = true;
            m_i = m_s.size();
            return v;
        }
        // pre-release: [-_.]? (alpha|a|beta|b|preview|pre|c|rc) [-_.]? N?
        {
            const std::size_t save = m_i;
            skip_separator();
            static const std::pair<std::string_view, int> labels[] = {
                {"alpha", 0}, {"beta", 1}, {"preview", 2}, {"pre", 2},
                {"rc", 2},    {"a", 0},    {"b", 1},       {"c", 2}};
            bool found = false;
            for (const auto& [label, kind] : labels) {
                if (m_s.compare(m_i, label.size(), label) == 0) {
                    m_i += label.size();
                    v.pre_kind = kind;
                    found = true;
                    break;
                }
            }
            if (found) {
                v.pre = optional_number();
            } else {
                m_i = save;
            }
        }
        // post-release: -N | [-_.]? (post|rev|r) [-_.]? N?
        if (peek() == '-' && is_digit(peek(1))) {
            ++m_i;
            v.has_post = true;
            v.post = number();
        } else {
            const std::size_t save = m_i;
            skip_separator();
            for (std::string_view label : {"post", "rev", "r"}) {
                if (m_s.compare(m_i, label.size(), label) == 0) {
                    m_i += label.size();
                    v.has_post = true;
                    v.post = optional_number();
                    break;
                }
            }
            if (!v.has_post) {
                m_i = save;
            }
        }
        // dev-release: [-_.]? dev [-_.]? N?
        {
            const std::size_t save = m_i;
            skip_separator();
            if (m_s.compare(m_i, 3, "dev") == 0) {
                m_i += 3;
                v.has_dev = true;
                v.dev = optional_number();
            } else {
                m_i = save;
            }
        }
        // local: +[a-z0-9]+([-_.][a-z0-9]+)*
        if (peek() == '+') {
            ++m_i;
            v.has_local = true;
            for (;;) {
                const std::size_t start = m_i;
                while (is_alnum(peek())) {
                    ++m_i;
                }
                if (m_i == start) {
                    fail("bad local version label");
                }
                if (!is_separator(peek())) {
                    break;
                }
                ++m_i;
            }
        }
        if (m_i != m_s.size()) {
            fail("not a PEP 440 version");
        }
        return v;
    }

  private:
    static std::string lower(std::string_view s) {
        std::string out(s);
        for (char& c : out) {
            if (c >= 'A' && c <= 'Z') {
                c = static_cast<char>(c - 'A' + 'a');
            }
        }
        return out;
    }
    static bool is_digit(char c) { return c >= '0' && c <= '9'; }
    static bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z'); }
    static bool is_separator(char c) { return c == '-' || c == '_' || c == '.'; }

    char peek(std::size_t ahead = 0) const {
        return m_i + ahead < m_s.size() ? m_s[m_i + ahead] : '\0';
    }
    void skip_separator() {
        if (is_separator(peek())) {
            ++m_i;
        }
    }
    [[noreturn]] void fail(std::string_view why) const { bad_specifier(m_context, why); }

    std::uint64_t number() {
        if (!is_digit(peek())) {
            fail("a number was expected");
        }
        std::uint64_t n = 0;
        while (is_digit(peek())) {
            const auto d = static_cast<std::uint64_t>(m_s[m_i++] - '0');
            if (n > (std::numeric_limits<std::uint64_t>::max() - d) / 10) {
                fail("number too large");
            }
            n = n * 10 + d;
        }
        return n;
    }
    std::uint64_t optional_number() {
        const std::size_t save = m_i;
        skip_separator();
        if (is_digit(peek())) {
            return number();
        }
        m_i = save;
        return 0;
    }

    std::string m_s;
    std::string_view m_context;
    std::size_t m_i = 0;
};

// packaging's _cmpkey: trailing zeros do not count; a dev-only release sorts before its
// pre-releases, which sort before the release, which sorts before its post-releases.
struct Key {
    std::uint64_t epoch;
    std::vector<std::uint64_t> release;
    std::pair<int, std::uint64_t> pre;
    std::pair<int, std::uint64_t> post;
    std::pair<int, std::uint64_t> dev;
    auto operator<=>(const Key&) const = default;
};

Key key_of(const Version& v) {
    Key k{v.epoch, v.release, {}, {}, {}};
    while (!k.release.empty() && k.release.back() == 0) {
        k.release.pop_back();
    }
    if (v.pre_kind < 0 && !v.has_post && v.has_dev) {
        k.pre = {-1, 0};
    } else if (v.pre_kind < 0) {
        k.pre = {3, 0};
    } else {
        k.pre = {v.pre_kind, v.pre};
    }
    k.post =
        v.has_post ? std::pair<int, std::uint64_t>{1, v.post} : std::pair<int, std::uint64_t>{0, 0};
    k.dev =
        v.has_dev ? std::pair<int, std::uint64_t>{0, v.dev} : std::pair<int, std::uint64_t>{1, 0};
    return k;
}

enum class Operator {
    compatible,
    equal,
    not_equal,
    less_equal,
    greater_equal,
    less,
    greater,
    arbitrary
};

struct Specifier {
    Operator op;
    Version version;
    bool wildcard = false;
    std::string text; // "===" only: the string compared
};

std::string_view trim(std::string_view s) {
    const auto ws = [](char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    };
    while (!s.empty() && ws(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && ws(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

Specifier parse_specifier(std::string_view spec) {
    static const std::pair<std::string_view, Operator> ops[] = {
        {"===", Operator::arbitrary}, {"~=", Operator::compatible}, {"==", Operator::equal},
        {"!=", Operator::not_equal},  {"<=", Operator::less_equal}, {">=", Operator::greater_equal},
        {"<", Operator::less},        {">", Operator::greater},
    };
    for (const auto& [text, op] : ops) {
        if (spec.substr(0, text.size()) != text) {
            continue;
        }
        const std::string_view rest = trim(spec.substr(text.size()));
        Specifier s{op, {}, false, {}};
        if (rest.empty()) {
            bad_specifier(spec, "a version must follow the operator");
        }
        if (op == Operator::arbitrary) {
            s.text = rest;
            return s;
        }
        const bool may_wildcard = op == Operator::equal || op == Operator::not_equal;
        s.version = VersionParser(rest, spec).parse(may_wildcard ? &s.wildcard : nullptr);
        if (s.version.has_local && op != Operator::equal && op != Operator::not_equal) {
            bad_specifier(spec, "a local version label is only allowed with == and !=");
        }
        if (op == Operator::compatible && s.version.release.size() < 2) {
            bad_specifier(spec, "~= needs a version with at least two parts, such as ~=3.11");
        }
        return s;
    }
    bad_specifier(spec, "unknown operator (use one of ~= == != <= >= < > ===)");
}

// ==V.* : the candidate's release, padded with zeros, starts with V's release.
bool prefix_equal(const Version& candidate, const Version& prefix) {
    if (candidate.epoch != prefix.epoch) {
        return false;
    }
    for (std::size_t k = 0; k < prefix.release.size(); ++k) {
        const std::uint64_t c = k < candidate.release.size() ? candidate.release[k] : 0;
        if (c != prefix.release[k]) {
            return false;
        }
    }
    return true;
}

// Whether a final release without local label satisfies one specifier (packaging's Specifier).
bool satisfies(const Version& candidate, std::string_view candidate_text, const Specifier& s) {
    const Key c = key_of(candidate);
    const Key v = key_of(s.version);
    switch (s.op) {
    case Operator::arbitrary: {
        std::string a(trim(candidate_text));
        std::string b(s.text);
        for (auto* str : {&a, &b}) {
            for (char& ch : *str) {
                if (ch >= 'A' && ch <= 'Z') {
                    ch = static_cast<char>(ch - 'A' + 'a');
                }
            }
        }
        return a == b;
    }
    case Operator::equal:
    case Operator::not_equal: {
        bool eq = false;
        if (s.wildcard) {
            eq = prefix_equal(candidate, s.version);
        } else {
            eq = !s.version.has_local && c == v;
        }
        return eq == (s.op == Operator::equal);
    }
    case Operator::compatible: {
        Version prefix;
        prefix.epoch = s.version.epoch;
        prefix.release.assign(s.version.release.begin(), s.version.release.end() - 1);
        return c >= v && prefix_equal(candidate, prefix);
    }
    case Operator::less_equal:
        return c <= v;
    case Operator::greater_equal:
        return c >= v;
    case Operator::less:
        return c < v; // the candidate is never a pre-release of V
    case Operator::greater:
        return c > v; // nor a post-release or local version of V
    }
    return false;
}

} // namespace

bool python_satisfies(std::string_view version_mm, std::string_view specifier_set) {
    const std::string_view text = trim(version_mm);
    if (text.empty()) {
        bad_specifier(version_mm, "no Python version");
    }
    const Version version = VersionParser(text, version_mm).parse(nullptr);
    if (version.has_local) {
        bad_specifier(version_mm, "a Python version has no local label");
    }
    std::vector<Specifier> specs;
    std::size_t start = 0;
    for (;;) {
        const std::size_t comma = specifier_set.find(',', start);
        const std::string_view one = trim(specifier_set.substr(
            start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
        if (!one.empty()) {
            specs.push_back(parse_specifier(one));
        }
        if (comma == std::string_view::npos) {
            break;
        }
        start = comma + 1;
    }

    auto all = [&](const Version& v) {
        return std::all_of(specs.begin(), specs.end(),
                           [&](const Specifier& s) { return satisfies(v, text, s); });
    };
    const bool series = version.release.size() == 2 && version.epoch == 0 && version.pre_kind < 0 &&
                        !version.has_post && !version.has_dev;
    if (!series) {
        return all(version);
    }
    // "M.m" is every M.m.p. Each specifier's answer changes only around the patch number it
    // names, so trying 0, 1, each named patch and its neighbours, and a huge one decides.
    std::set<std::uint64_t> patches = {0, 1, std::uint64_t{1} << 40};
    for (const Specifier& s : specs) {
        const auto& r = s.version.release;
        if (r.size() >= 3 && r[0] == version.release[0] && r[1] == version.release[1]) {
            patches.insert(r[2]);
            patches.insert(r[2] + 1);
            if (r[2] > 0) {
                patches.insert(r[2] - 1);
            }
        }
    }
    Version candidate = version;
    candidate.release.push_back(0);
    for (std::uint64_t p : patches) {
        candidate.release[2] = p;
        if (all(candidate)) {
            return true;
        }
    }
    return false;
}

} // namespace imgspec::spec
