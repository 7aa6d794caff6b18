// The YAML pre-scan: flow collections nested deeper than the loader may build, found from the
// text before yaml-cpp's scanner queues them.

#include "depth_scan.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace imgspec::spec::detail {

namespace {

bool is_break_or_space(std::string_view text, std::size_t i) {
    return i >= text.size() || text[i] == ' ' || text[i] == '\t' || text[i] == '\r' ||
           text[i] == '\n';
}

bool is_flow_indicator(char c) {
    return c == '[' || c == ']' || c == '{' || c == '}' || c == ',';
}

std::size_t skip_quoted(std::string_view text, std::size_t i) {
    const char quote = text[i++];
    while (i < text.size()) {
        if (quote == '"' && text[i] == '\\') {
            i += 2;
        } else if (text[i] != quote) {
            ++i;
        } else if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
            i += 2; // '' is an escaped quote
        } else {
            return i + 1;
        }
    }
    return text.size();
}

// Skips a block scalar's header line and every following line that is blank or indented past
// parent_indent; returns the offset of the first line after it.
std::size_t skip_block_scalar(std::string_view text, std::size_t i, int parent_indent) {
    std::size_t line = text.find('\n', i);
    while (line != std::string_view::npos) {
        std::size_t begin = line + 1;
        std::size_t j = begin;
        while (j < text.size() && text[j] == ' ') {
            ++j;
        }
        bool blank = j >= text.size() || text[j] == '\n' || text[j] == '\r';
        bool marker = j == begin && (text.substr(j, 3) == "---" || text.substr(j, 3) == "...") &&
                      is_break_or_space(text, j + 3);
        if (!blank && (marker || static_cast<int>(j - begin) <= parent_indent)) {
            return begin;
        }
        line = text.find('\n', begin);
    }
    return text.size();
}

} // namespace

// yaml-cpp's scanner queues a flow collection's tokens until it has seen the whole line, so one
// line of a million '[' costs hundreds of MB before the parser's depth guard can refuse it. This
// cheap pass finds flow nesting past max_depth first. It counts a bracket only where a node may
// start and skips quoted text, comments and block scalars, so it errs low: whatever it refuses,
// the loader would have refused anyway.
std::optional<std::size_t> find_deep_flow(std::string_view text, int max_depth) {
    const std::size_t n = text.size();
    int depth = 0;          // open flow collections
    bool node_start = true; // a node may start here
    bool line_start = true;
    bool document_line = false; // the line starts with '---'
    int indent = 0;
    std::size_t i = 0;
    while (i < n) {
        if (line_start) {
            line_start = false;
            std::size_t begin = i;
            while (i < n && text[i] == ' ') {
                ++i;
            }
            indent = static_cast<int>(i - begin);
            document_line = false;
            if (depth == 0) {
                node_start = true;
                if (indent == 0 && text.substr(i, 3) == "---" && is_break_or_space(text, i + 3)) {
                    document_line = true;
                    i += 3;
                }
            }
            continue;
        }
        const char c = text[i];
        if (c == '\n') {
            line_start = true;
            ++i;
        } else if (c == ' ' || c == '\t' || c == '\r') {
            ++i;
        } else if (c == '#' && (i == 0 || is_break_or_space(text, i - 1))) {
            i = std::min(text.find('\n', i), n);
        } else if (node_start && (c == '\'' || c == '"')) {
            i = skip_quoted(text, i);
            node_start = false;
        } else if (node_start && (c == '&' || c == '!')) {
            // An anchor or tag: the node itself comes next.
            while (i < n && !is_break_or_space(text, i) &&
                   !(depth > 0 && is_flow_indicator(text[i]))) {
                ++i;
            }
        } else if (c == '[' || c == '{') {
            // Outside flow context, a bracket where no node may start is part of a plain scalar,
            // as in "a[0]".
            if (depth > 0 || node_start) {
                if (++depth > max_depth) {
                    return i;
                }
                node_start = true;
            }
            ++i;
        } else if (depth > 0) {
            if (c == ']' || c == '}') {
                --depth;
            }
            node_start = c == ',' || c == ':' || c == '?';
            ++i;
        } else if (node_start && (c == '|' || c == '>')) {
            i = skip_block_scalar(text, i, document_line ? -1 : indent);
            line_start = true;
        } else if ((c == '-' || c == '?' || c == ':') && is_break_or_space(text, i + 1)) {
            // "- " and "? " keep node_start as it was: they only begin a node where one may start.
            node_start = node_start || c == ':';
            ++i;
        } else {
            node_start = false;
            ++i;
        }
    }
    return std::nullopt;
}

} // namespace imgspec::spec::detail
