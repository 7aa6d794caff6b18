// Syntax errors said as the mistake and its fix. yaml-cpp and toml++ report what their grammar
// expected ("end of map not found"), which a user reads as noise; the common mistakes behind those
// words are few (a tab, a line indented one space off, an unclosed bracket, YAML written in a
// .toml file) and can be told from the text around the mark.

#include <imgspec/spec/syntax_errors.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace imgspec::spec {
namespace {

// Lines 1..last of the text (fewer if it has fewer), without line breaks or a byte order mark.
std::vector<std::string_view> lines_upto(std::string_view text, int last) {
    if (text.starts_with("\xEF\xBB\xBF")) {
        text.remove_prefix(3);
    }
    std::vector<std::string_view> out;
    std::size_t begin = 0;
    while (static_cast<int>(out.size()) < last && begin <= text.size()) {
        std::size_t end = text.find('\n', begin);
        std::string_view line =
            text.substr(begin, end == std::string_view::npos ? end : end - begin);
        if (line.ends_with('\r')) {
            line.remove_suffix(1);
        }
        out.push_back(line);
        if (end == std::string_view::npos) {
            break;
        }
        begin = end + 1;
    }
    return out;
}

struct Indent {
    std::size_t spaces = 0;                   // leading spaces before anything else
    std::size_t tab = std::string_view::npos; // a tab in the leading blanks: its offset
    bool blank = false;                       // nothing but blanks, or a comment
};

Indent indent_of(std::string_view line) {
    Indent in;
    std::size_t i = 0;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) {
        if (line[i] == '\t' && in.tab == std::string_view::npos) {
            in.tab = i;
        }
        ++i;
    }
    in.spaces = std::min(i, line.find('\t'));
    in.blank = i == line.size() || line[i] == '#';
    return in;
}

// The indentations at which a key or '- ' item may stand on the line after `lines`: those of the
// lines above that are still open (each line closes the deeper ones), and where the content after
// a '- ' starts. Approximate (block scalars and multi-line flow collections add levels), so it is
// only asked once the parser has already failed.
std::vector<std::size_t> open_levels(const std::vector<std::string_view>& lines) {
    std::vector<std::size_t> levels;
    for (std::string_view line : lines) {
        Indent in = indent_of(line);
        if (in.blank || in.tab != std::string_view::npos) {
            continue;
        }
        while (!levels.empty() && levels.back() > in.spaces) {
            levels.pop_back();
        }
        if (levels.empty() || levels.back() < in.spaces) {
            levels.push_back(in.spaces);
        }
        // "- - key: v": each item's content starts a level of its own.
        std::size_t j = in.spaces;
        while (j < line.size() && line[j] == '-' && (j + 1 == line.size() || line[j + 1] == ' ')) {
            ++j;
            while (j < line.size() && line[j] == ' ') {
                ++j;
            }
            if (j < line.size() && line[j] != '#') {
                levels.push_back(j);
            }
        }
    }
    return levels;
}

std::string spaces_list(const std::vector<std::size_t>& levels) {
    std::vector<std::string> words;
    for (std::size_t l : levels) {
        words.push_back(std::to_string(l));
    }
    if (words.size() > 1) {
        std::string last = words.back();
        words.pop_back();
        return util::join(words, ", ") + " or " + last;
    }
    return words.empty() ? "0" : words.front();
}

struct Reword {
    std::string_view parser;  // the parser's message starts with (YAML) or holds (TOML) this
    std::string_view message; // "{}": what the parser named, such as the escape or the key
    std::string_view hint;
};

// yaml-cpp's messages (yaml-cpp/exceptions.h, ErrorMsg) for the mistakes people make.
constexpr Reword yaml_rewords[] = {
    {"end of map not found", "a key or '- ' item here does not line up with the keys of its map",
     "indent a key exactly like the other keys of its map, and a '- ' item like the other items "
     "of its list, with spaces"},
    {"end of sequence not found", "a '- ' item here does not line up with the items of its list",
     "start every item of a list at the same column, with spaces"},
    {"illegal block entry", "a '- ' list item cannot start here",
     "put a list under a key that ends with ':', each '- ' item on its own line and all at the "
     "same column"},
    {"end of map flow not found", "a '{' is not closed by a matching '}'",
     "add the missing '}' before the next key, or quote a value that contains '{'"},
    {"end of sequence flow not found", "a '[' is not closed by a matching ']'",
     "add the missing ']' before the next key, or quote a value that contains '['"},
    {"illegal flow end", "a '}' or ']' here closes nothing",
     "remove it, or quote the value that contains it"},
    {"unknown escape character: ", "unknown escape sequence '\\{}' in a double-quoted string",
     "double the backslash (\\\\), or use single quotes, in which a backslash is just a "
     "character"},
    {"illegal EOF in scalar", "a quoted value is not closed before the end of the file",
     "add the closing quote"},
    {"unknown token", "a value cannot start with this character",
     "quote the value: characters such as @ and ` are reserved at the start of a plain value"},
    {"the referenced anchor is not defined",
     "an alias (*name) refers to an anchor (&name) that is not defined",
     "define the anchor with &name earlier in the file, or quote a value that starts with '*'"},
};

// toml++'s descriptions ("Error while parsing <what>: <detail>") for the common mistakes.
constexpr Reword toml_rewords[] = {
    {"expected '=', saw ':'", "TOML writes 'key = value', not 'key: value'",
     "write key = value (this file is read as TOML because its name ends in .toml; a YAML spec "
     "is named .yaml)"},
    {"expected '='", "a key must be followed by '='", "write key = value"},
    {"unescaped control characters", "a string is not closed on its line",
     "add the closing quote; text over several lines goes between \"\"\" and \"\"\""},
    {"unknown escape sequence", "unknown escape sequence '{}' in a \"...\" string",
     "double the backslash (\\\\), or use a literal string in single quotes, in which a "
     "backslash is just a character"},
    {"could not determine value type",
     "this value is not a quoted string, number, boolean, date, "
     "[list] or {table}",
     "quote text: key = \"value\""},
    {"cannot redefine existing table", "table [{}] is defined twice",
     "merge the two [table] sections into one; a list of tables is written [[name]]"},
    {"cannot redefine existing", "'{}' is defined twice in the same table",
     "remove one of the two, or rename it"},
    {"expected key or closing '}', saw '\\n'", "an inline table { ... } does not close on its line",
     "close it with '}' on the same line, or write it as a [table] section"},
    {"(dangling comma)", "a comma before '}' in an inline table",
     "remove the trailing comma: TOML allows it in [lists] but not in {inline tables}"},
    {"expected comma or closing ']'", "the items of a list must be separated by commas",
     "add ',' between the items"},
    {"encountered end-of-file", "the file ends before a bracket or string is closed",
     "add the missing ']', '}' or closing quote"},
    {"expected ']'", "a [table] header is not closed", "add the ']' at the end of the header"},
    {"expected decimal digit", "this is not a valid number",
     "quote it if it is text, e.g. a version: python_version = \"3.12\""},
};

template <std::size_t N>
const Reword* find_reword(const Reword (&table)[N], std::string_view message, bool anywhere) {
    for (const Reword& r : table) {
        if (anywhere ? message.find(r.parser) != std::string_view::npos
                     : message.starts_with(r.parser)) {
            return &r;
        }
    }
    return nullptr;
}

// The reworded error; "{}" in its message becomes what the parser named: the last '...' of its
// message, else what follows the matched words ("unknown escape character: q" -> "q").
SyntaxError reworded(const Reword& r, Mark mark, std::string_view message) {
    std::string_view named = message.substr(message.find(r.parser) + r.parser.size());
    std::size_t close = message.rfind('\'');
    std::size_t open = close == std::string_view::npos || close == 0
                           ? std::string_view::npos
                           : message.rfind('\'', close - 1);
    if (open != std::string_view::npos) {
        named = message.substr(open + 1, close - open - 1);
    }
    std::string text(r.message);
    if (std::size_t at = text.find("{}"); at != std::string::npos) {
        text.replace(at, 2, named);
    }
    return {mark, std::move(text), std::string(r.hint)};
}

SyntaxError tab_error(int line, std::size_t tab) {
    return {{line, static_cast<int>(tab) + 1},
            "a tab in the indentation: YAML indents with spaces only",
            "replace the tab with spaces, as many as the lines around it use"};
}

} // namespace

SyntaxError explain_yaml_error(std::string_view text, Mark mark, std::string_view message) {
    if (mark.line < 1) {
        return {mark, std::string(message), {}};
    }
    const std::vector<std::string_view> lines = lines_upto(text, mark.line);
    if (static_cast<int>(lines.size()) < mark.line) {
        return {mark, std::string(message), {}};
    }
    // A tab on the failing line, or on the last non-blank line before it (yaml-cpp sometimes only
    // fails on the next line).
    const Indent here = indent_of(lines.back());
    if (here.tab != std::string_view::npos && !here.blank) {
        return tab_error(mark.line, here.tab);
    }
    for (int l = mark.line - 1; l >= 1; --l) {
        Indent in = indent_of(lines[static_cast<std::size_t>(l - 1)]);
        if (in.blank) {
            continue;
        }
        if (in.tab != std::string_view::npos) {
            return tab_error(l, in.tab);
        }
        break;
    }
    if (message.starts_with("illegal tab")) {
        return tab_error(mark.line, here.tab == std::string_view::npos ? 0 : here.tab);
    }
    const bool layout = message.starts_with("end of map not found") ||
                        message.starts_with("end of sequence not found") ||
                        message.starts_with("illegal map value") ||
                        message.starts_with("illegal block entry");
    if (layout && !here.blank && mark.line > 1) {
        std::vector<std::size_t> levels(
            open_levels(std::vector<std::string_view>(lines.begin(), lines.end() - 1)));
        if (!levels.empty() &&
            std::find(levels.begin(), levels.end(), here.spaces) == levels.end()) {
            return {{mark.line, static_cast<int>(here.spaces) + 1},
                    fmt::format("this line is indented {} space{}, which lines up with no key or "
                                "'- ' item above it",
                                here.spaces, here.spaces == 1 ? "" : "s"),
                    fmt::format("indent it exactly like the key or item it belongs beside: {} "
                                "spaces",
                                spaces_list(levels))};
        }
    }
    if (message.starts_with("illegal map value")) {
        // "key: a: b": a second ': ' on a line whose key already had one.
        std::string_view line = lines.back();
        std::size_t first = line.find(": ");
        if (first != std::string_view::npos && static_cast<std::size_t>(mark.column) > first + 2) {
            return {mark, "a plain value cannot contain ': '",
                    "quote the value, e.g. key: \"a: b\""};
        }
        return {mark, "a key cannot start here",
                "check the line above: a key needs ': ' after it, and a key under another one "
                "must be indented further than it"};
    }
    if (const Reword* r = find_reword(yaml_rewords, message, false)) {
        return reworded(*r, mark, message);
    }
    return {mark, std::string(message), {}};
}

SyntaxError explain_toml_error(std::string_view /*text*/, Mark mark, std::string_view message) {
    // "Error while parsing key-value pair: expected '=', saw ':'" -> the detail after the colon.
    std::string_view detail = message;
    if (detail.starts_with("Error while parsing ")) {
        if (std::size_t colon = detail.find(": "); colon != std::string_view::npos) {
            detail.remove_prefix(colon + 2);
        }
    }
    if (const Reword* r = find_reword(toml_rewords, detail, true)) {
        return reworded(*r, mark, detail);
    }
    return {mark, std::string(detail), {}};
}

} // namespace imgspec::spec
