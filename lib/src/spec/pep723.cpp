#include <imgspec/spec/pep723.hpp>

#include <imgspec/core/error.hpp>

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <set>
#include <utility>

namespace imgspec::spec {
namespace {

// ---------------------------------------------------------------------------------------------
// The block

struct Line {
    std::string_view text; // without its line ending
    bool ended = false;    // followed by a line ending (the regex's "$\s")
};

// Lines as Python's text mode reads them: "\n", "\r\n" and "\r" all end a line.
std::vector<Line> split_lines(std::string_view s) {
    std::vector<Line> lines;
    std::size_t start = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\n' || s[i] == '\r') {
            lines.push_back({s.substr(start, i - start), true});
            if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') {
                ++i;
            }
            start = i + 1;
        }
    }
    if (start < s.size()) {
        lines.push_back({s.substr(start), false});
    }
    return lines;
}

// "# /// TYPE": the type, or empty.
std::string_view opening_type(std::string_view line) {
    constexpr std::string_view lead = "# /// ";
    if (line.substr(0, lead.size()) != lead || line.size() == lead.size()) {
        return {};
    }
    const std::string_view type = line.substr(lead.size());
    for (char c : type) {
        const bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
        if (!ok) {
            return {};
        }
    }
    return type;
}

// "#" or "# ...".
bool is_content(std::string_view line) {
    return line == "#" || line.substr(0, 2) == "# ";
}

constexpr std::string_view closing = "# ///";

struct Block {
    std::string_view type;
    std::size_t open = 0;  // line index of "# /// TYPE"
    std::size_t close = 0; // line index of "# ///"
};

// re.finditer over the reference regex, line by line. The content group is greedy, so a block
// ends at the last "# ///" of the unbroken run of comment lines after its opening line.
std::vector<Block> find_blocks(const std::vector<Line>& lines) {
    std::vector<Block> blocks;
    std::size_t i = 0;
    while (i < lines.size()) {
        const std::string_view type = opening_type(lines[i].text);
        if (type.empty() || !lines[i].ended) {
            ++i;
            continue;
        }
        std::size_t run_end = i + 1;
        while (run_end < lines.size() && lines[run_end].ended && is_content(lines[run_end].text)) {
            ++run_end;
        }
        std::size_t close = 0;
        if (run_end < lines.size() && lines[run_end].text == closing) {
            close = run_end; // the last line of the file, with no line ending
        } else {
            for (std::size_t j = run_end; j > i + 2; --j) {
                if (lines[j - 1].text == closing) {
                    close = j - 1;
                    break;
                }
            }
        }
        if (close >= i + 2) { // at least one content line
            blocks.push_back({type, i, close});
            i = close + 1;
        } else {
            ++i;
        }
    }
    return blocks;
}

int line_no(std::size_t index) {
    return static_cast<int>(index) + 1;
}

// Maps a TOML position in the block's content back into the script.
Mark script_mark(const std::vector<Line>& lines, const Block& b, toml::source_position pos) {
    const std::size_t first = b.open + 1;
    const std::size_t count = b.close - first;
    std::size_t k = pos.line == 0 ? 0 : std::min<std::size_t>(pos.line - 1, count);
    if (k == count) {
        return {line_no(b.close), 1}; // past the content: the closing line
    }
    const int prefix = lines[first + k].text == "#" ? 1 : 2;
    return {line_no(first + k), pos.column == 0 ? 0 : static_cast<int>(pos.column) + prefix};
}

} // namespace

ScriptMetadata read_script_metadata(std::string_view script_text, const std::string& file) {
    const std::vector<Line> lines = split_lines(script_text);
    const std::vector<Block> blocks = find_blocks(lines);

    Diagnostics diags;
    const Block* script = nullptr;
    for (const Block& b : blocks) {
        if (b.type != "script") {
            continue;
        }
        if (script == nullptr) {
            script = &b;
        } else {
            diags.error(file, {line_no(b.open), 1}, "",
                        fmt::format("a second '# /// script' block (the first is on line {})",
                                    line_no(script->open)),
                        "PEP 723 allows one script metadata block; merge them");
        }
    }
    // A "# /// script" line that starts no block is a block that never closes, or one that
    // another block's content swallowed (a block ends at the last "# ///" of its comment run).
    const Block* covering = nullptr;
    std::size_t next_block = 0;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (next_block < blocks.size() && i == blocks[next_block].open) {
            covering = &blocks[next_block];
            ++next_block;
            continue;
        }
        if (covering != nullptr && i > covering->close) {
            covering = nullptr;
        }
        if (opening_type(lines[i].text) != "script") {
            continue;
        }
        if (covering != nullptr) {
            if (covering->type != "script") {
                diags.error(file, {line_no(i), 1}, "",
                            fmt::format("this '# /// script' line is inside the '# /// {}' block "
                                        "of lines {} to {}",
                                        covering->type, line_no(covering->open),
                                        line_no(covering->close)),
                            "a block ends at the last '# ///' of its run of comment lines: put a "
                            "line that is not a comment between the blocks");
            }
            continue; // inside a script block: its TOML is invalid and reported as such
        }
        std::size_t stop = i + 1;
        while (stop < lines.size() && is_content(lines[stop].text)) {
            ++stop;
        }
        std::string where = "the file ends";
        if (stop < lines.size()) {
            where = lines[stop].text.substr(0, 1) == "#"
                        ? fmt::format("line {} starts with '#' but not '# '", line_no(stop))
                        : fmt::format("line {} is not a comment", line_no(stop));
        }
        diags.error(file, {line_no(i), 1}, "",
                    fmt::format("the '# /// script' block is not closed: {} before a '# ///' line "
                                "that follows at least one content line",
                                where),
                    "every line of the block starts with '#' (an empty one is just '#'), and the "
                    "block ends with a line '# ///'");
    }
    diags.throw_if_any();

    ScriptMetadata meta;
    if (script == nullptr) {
        return meta;
    }
    meta.found = true;
    meta.block_line = line_no(script->open);

    std::string content;
    for (std::size_t k = script->open + 1; k < script->close; ++k) {
        const std::string_view l = lines[k].text;
        content += l.substr(l.substr(0, 2) == "# " ? 2 : 1);
        content += '\n';
    }

    toml::table table;
    try {
        table = toml::parse(content, file);
    } catch (const toml::parse_error& e) {
        diags.error(file, script_mark(lines, *script, e.source().begin), "",
                    fmt::format("invalid TOML in the '# /// script' block: {}", e.description()));
        diags.throw_if_any();
    }

    if (const toml::node* deps = table.get("dependencies")) {
        if (const toml::array* arr = deps->as_array()) {
            for (const toml::node& item : *arr) {
                if (const auto* s = item.as_string()) {
                    meta.dependencies.push_back(s->get());
                } else {
                    diags.error(file, script_mark(lines, *script, item.source().begin),
                                "dependencies", "every dependency must be a string",
                                "dependencies = [\"requests<3\", \"rich\"]");
                }
            }
        } else {
            diags.error(file, script_mark(lines, *script, deps->source().begin), "dependencies",
                        "must be an array of strings", "dependencies = [\"requests<3\", \"rich\"]");
        }
    }
    if (const toml::node* rp = table.get("requires-python")) {
        if (const auto* s = rp->as_string()) {
            meta.requires_python = s->get();
        } else {
            diags.error(file, script_mark(lines, *script, rp->source().begin), "requires-python",
                        "must be a string", "requires-python = \">=3.11\"");
        }
    }
    diags.throw_if_any();
    return meta;
}

} // namespace imgspec::spec
