// The references of a pip requirements file, read as pip's req_file.py reads one: join_lines,
// ignore_comments, break_args_options, then the options optparse would see. Hand-written because
// no library in Debian's packages parses pip's format from C++; it is a few rules.

#include <imgspec/plan/requirements_file.hpp>

#include <array>
#include <optional>
#include <utility>

namespace imgspec::plan {

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\f' || c == '\v';
}

// One logical line: its text and, for each of its bytes, where that byte was in the file.
struct Logical {
    std::string text;
    std::vector<std::pair<int, int>> at; // (line, column), 1-based
};

// pip's COMMENT_RE, `(^|\s+)#.*$`, matched at the start of a line: a comment line.
bool is_comment_line(std::string_view line) {
    std::size_t i = 0;
    while (i < line.size() && is_space(line[i])) {
        ++i;
    }
    return i < line.size() && line[i] == '#';
}

// pip's join_lines: a line ending in a backslash continues on the next (a comment line does not
// continue); the backslashes at either end of a continued line are dropped.
std::vector<Logical> logical_lines(std::string_view text) {
    std::vector<Logical> out;
    Logical current;
    bool continuing = false;
    int number = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        std::string_view line =
            text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
        pos = end == std::string_view::npos ? text.size() : end + 1;
        ++number;
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        std::size_t first = 0;
        if (!line.empty() && line.back() == '\\' && !is_comment_line(line)) {
            // strip("\\"): both ends
            while (first < line.size() && line[first] == '\\') {
                ++first;
            }
            std::size_t last = line.size();
            while (last > first && line[last - 1] == '\\') {
                --last;
            }
            for (std::size_t i = first; i < last; ++i) {
                current.text += line[i];
                current.at.emplace_back(number, static_cast<int>(i) + 1);
            }
            continuing = true;
            continue;
        }
        if (continuing && is_comment_line(line)) {
            current.text += ' '; // pip: " " + line, so that the comment is still one
            current.at.emplace_back(number, 1);
        }
        for (std::size_t i = 0; i < line.size(); ++i) {
            current.text += line[i];
            current.at.emplace_back(number, static_cast<int>(i) + 1);
        }
        out.push_back(std::move(current));
        current = Logical{};
        continuing = false;
    }
    if (continuing) {
        out.push_back(std::move(current));
    }
    return out;
}

// pip's COMMENT_RE removed: from a `#` at the start or after whitespace to the end.
std::size_t comment_start(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '#' && (i == 0 || is_space(s[i - 1]))) {
            return i;
        }
    }
    return s.size();
}

struct Token {
    std::string_view text;
    std::size_t offset;
};

std::vector<Token> tokens(std::string_view s) {
    std::vector<Token> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && is_space(s[i])) {
            ++i;
        }
        std::size_t start = i;
        while (i < s.size() && !is_space(s[i])) {
            ++i;
        }
        if (i > start) {
            out.push_back({s.substr(start, i - start), start});
        }
    }
    return out;
}

bool starts_with(std::string_view s, std::string_view p) {
    return s.substr(0, p.size()) == p;
}

// pip's SCHEME_RE, `^(http|https|file):`, case-insensitively.
bool is_url(std::string_view v) {
    std::string lower;
    for (char c : v.substr(0, 6)) {
        lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    return starts_with(lower, "http:") || starts_with(lower, "https:") ||
           starts_with(lower, "file:");
}

// A path relative to somewhere on the build machine: ".", "./x", "../x", "file:x", "file:./x".
bool is_relative_local(std::string_view v) {
    if (starts_with(v, "file:")) {
        return !starts_with(v, "file://") && !starts_with(v, "file:/");
    }
    return v == "." || v == ".." || starts_with(v, "./") || starts_with(v, "../");
}

struct OptionName {
    std::string_view shortname; // "-r"
    std::string_view longname;  // "--requirement"
    RequirementsRef::Kind kind;
};

constexpr std::array<OptionName, 4> path_options{{
    {"-r", "--requirement", RequirementsRef::Kind::include},
    {"-c", "--constraint", RequirementsRef::Kind::constraint},
    {"-e", "--editable", RequirementsRef::Kind::local},
    {"-f", "--find-links", RequirementsRef::Kind::local},
}};

// The option a token starts, with its value when the token holds it ("-rx", "--requirement=x").
struct Match {
    const OptionName* name = nullptr;
    std::string option;
    std::optional<std::string_view> value;
};

Match match_option(std::string_view t) {
    for (const auto& o : path_options) {
        if (t == o.shortname || t == o.longname) {
            return {&o, std::string(t), std::nullopt};
        }
        if (starts_with(t, o.longname) && t.size() > o.longname.size() &&
            t[o.longname.size()] == '=') {
            return {&o, std::string(o.longname), t.substr(o.longname.size() + 1)};
        }
        if (!starts_with(t, "--") && starts_with(t, o.shortname) && t.size() > 2) {
            return {&o, std::string(o.shortname), t.substr(2)};
        }
    }
    return {};
}

void add_ref(std::vector<RequirementsRef>& out, RequirementsRef::Kind kind, std::string option,
             std::string_view value, const Logical& l, std::size_t offset) {
    if (value.empty()) {
        return;
    }
    const bool file = kind != RequirementsRef::Kind::local;
    if (file ? (is_url(value) || value.front() == '/') : !is_relative_local(value)) {
        return;
    }
    RequirementsRef r;
    r.kind = kind;
    r.option = std::move(option);
    r.value = std::string(value);
    if (offset < l.at.size()) {
        r.line = l.at[offset].first;
        r.column = l.at[offset].second;
    }
    out.push_back(std::move(r));
}

// A PEP 508 direct reference to a file, `name @ file:///path` (what `pip freeze` writes in a
// conda environment): a path on the machine that wrote it, whatever its form.
void direct_file_reference(std::vector<RequirementsRef>& out, std::string_view requirement,
                           const Logical& l) {
    std::size_t at = requirement.find('@');
    if (at == std::string_view::npos) {
        return;
    }
    std::size_t from = at + 1;
    while (from < requirement.size() && is_space(requirement[from])) {
        ++from;
    }
    std::size_t end = from;
    while (end < requirement.size() && !is_space(requirement[end]) && requirement[end] != ';') {
        ++end;
    }
    std::string_view url = requirement.substr(from, end - from);
    if (starts_with(url, "file:")) {
        RequirementsRef r;
        r.kind = RequirementsRef::Kind::local;
        r.value = std::string(url);
        r.line = l.at[from].first;
        r.column = l.at[from].second;
        out.push_back(std::move(r));
    }
}

// pip's ENV_VAR_RE, `\$\{([A-Z0-9_]+)\}`: the variables it expands (after comments are gone).
void variables(std::vector<RequirementsRef>& out, std::string_view s, const Logical& l) {
    for (std::size_t at = s.find("${"); at != std::string_view::npos; at = s.find("${", at + 1)) {
        std::size_t end = at + 2;
        while (end < s.size() && ((s[end] >= 'A' && s[end] <= 'Z') ||
                                  (s[end] >= '0' && s[end] <= '9') || s[end] == '_')) {
            ++end;
        }
        if (end == at + 2 || end == s.size() || s[end] != '}') {
            continue;
        }
        RequirementsRef r;
        r.kind = RequirementsRef::Kind::variable;
        r.value = std::string(s.substr(at + 2, end - at - 2));
        r.line = l.at[at].first;
        r.column = l.at[at].second;
        out.push_back(std::move(r));
    }
}

} // namespace

std::vector<RequirementsRef> requirements_references(std::string_view text) {
    std::vector<RequirementsRef> out;
    for (const Logical& l : logical_lines(text)) {
        std::string_view s(l.text);
        s = s.substr(0, comment_start(s));
        variables(out, s, l);
        std::vector<Token> ts = tokens(s);
        std::size_t i = 0;
        // pip's break_args_options: a requirement comes before the first option.
        if (!ts.empty() && ts[0].text.front() != '-') {
            add_ref(out, RequirementsRef::Kind::local, "", ts[0].text, l, ts[0].offset);
            while (i < ts.size() && ts[i].text.front() != '-') {
                ++i;
            }
            direct_file_reference(out, s.substr(0, i < ts.size() ? ts[i].offset : s.size()), l);
        }
        for (; i < ts.size(); ++i) {
            Match m = match_option(ts[i].text);
            if (m.name == nullptr) {
                continue;
            }
            if (m.value) {
                add_ref(out, m.name->kind, m.option, *m.value, l, ts[i].offset);
            } else if (i + 1 < ts.size()) {
                add_ref(out, m.name->kind, m.option, ts[i + 1].text, l, ts[i].offset);
                ++i;
            }
        }
    }
    return out;
}

} // namespace imgspec::plan
