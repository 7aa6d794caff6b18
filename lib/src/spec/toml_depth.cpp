// The TOML pre-scan: dotted keys, table headers and values nested deeper than the loader may
// build, found from the text before toml++ recurses into them.

#include "depth_scan.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace imgspec::spec::detail {

namespace {

// toml++ builds the tables of a dotted key or [a.b.c] header recursively and overflows the stack
// on a key of ~100000 parts (a 200 KB file). This pass finds such nesting from the text first. It
// counts depth as the tree will (root 1, each table or array one more) but leaves out the levels
// that [[array]] headers add to later headers, so it errs low: whatever it refuses, conversion
// would refuse too. Input it does not follow it skips to the next line, where toml++ would have
// stopped anyway.
class DepthScan {
  public:
    DepthScan(std::string_view text, int max_depth) : m_text(text), m_max_depth(max_depth) {}

    // Where nesting first passes max_depth, as a byte offset.
    std::optional<std::size_t> run() {
        int table_depth = 1;
        while (!at_end()) {
            skip_blanks();
            if (at_end()) {
                break;
            }
            const char c = peek();
            if (c == '\n' || c == '\r') {
                ++m_pos;
                continue;
            }
            if (c == '#') {
                skip_line();
                continue;
            }
            const std::size_t start = m_pos;
            if (c == '[') {
                const bool array = m_text.substr(m_pos, 2) == "[[";
                m_pos += array ? 2 : 1;
                table_depth = 1 + key_parts() + (array ? 1 : 0);
                if (table_depth > m_max_depth) {
                    return start;
                }
                skip_line();
                continue;
            }
            const int parts = key_parts();
            // A dotted key's parts but the last are tables inside the current one.
            if (table_depth + parts - 1 > m_max_depth) {
                return start;
            }
            skip_blanks();
            if (parts > 0 && !at_end() && peek() == '=') {
                ++m_pos;
                if (std::optional<std::size_t> deep = value(table_depth + parts - 1)) {
                    return deep;
                }
            }
            skip_line();
        }
        return std::nullopt;
    }

  private:
    // An open array or inline table.
    struct Open {
        bool table;
        int depth;
    };
    enum class Want { value, key, separator };

    bool at_end() const { return m_pos >= m_text.size(); }
    char peek() const { return m_text[m_pos]; }

    void skip_blanks() {
        while (!at_end() && (peek() == ' ' || peek() == '\t')) {
            ++m_pos;
        }
    }

    void skip_line() {
        std::size_t end = m_text.find('\n', m_pos);
        m_pos = end == std::string_view::npos ? m_text.size() : end + 1;
    }

    // At a quote: moves past the string. False when it does not end where it should.
    bool skip_string() {
        const char quote = peek();
        const bool basic = quote == '"';
        if (m_text.substr(m_pos, 3) == std::string(3, quote)) {
            m_pos += 3;
            while (!at_end()) {
                if (basic && peek() == '\\') {
                    m_pos += 2;
                } else if (m_text.substr(m_pos, 3) == std::string(3, quote)) {
                    m_pos += 3;
                    // Up to two more quotes are the string's last characters.
                    for (int k = 0; k < 2 && !at_end() && peek() == quote; ++k) {
                        ++m_pos;
                    }
                    return true;
                } else {
                    ++m_pos;
                }
            }
            return false;
        }
        ++m_pos;
        while (!at_end() && peek() != '\n') {
            if (basic && peek() == '\\') {
                m_pos += 2;
            } else if (peek() == quote) {
                ++m_pos;
                return true;
            } else {
                ++m_pos;
            }
        }
        return false;
    }

    static bool is_key_char(char c) {
        return c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '.' && c != '=' &&
               c != '[' && c != ']' && c != '{' && c != '}' && c != ',' && c != '#' && c != '"' &&
               c != '\'';
    }

    // Counts the parts of a dotted key, stopping at the first thing that is not one: toml++ reads
    // a whole key before it complains, so a broken key still counts.
    int key_parts() {
        int parts = 0;
        while (true) {
            skip_blanks();
            if (at_end()) {
                return parts;
            }
            if (peek() == '"' || peek() == '\'') {
                if (!skip_string()) {
                    return parts;
                }
            } else {
                const std::size_t start = m_pos;
                while (!at_end() && is_key_char(peek())) {
                    ++m_pos;
                }
                if (m_pos == start) {
                    return parts;
                }
            }
            ++parts;
            skip_blanks();
            if (at_end() || peek() != '.') {
                return parts;
            }
            ++m_pos;
        }
    }

    // A number, boolean or date: up to the next delimiter.
    bool skip_bare_value() {
        const std::size_t start = m_pos;
        auto is_value_char = [](char c) { return is_key_char(c) || c == '.'; };
        while (!at_end() && is_value_char(peek())) {
            ++m_pos;
        }
        // "1979-05-27 07:32:00": TOML allows a space between a date and its time.
        std::string_view word = m_text.substr(start, m_pos - start);
        if (word.size() == 10 && word[4] == '-' && word[7] == '-' && m_pos + 1 < m_text.size() &&
            peek() == ' ' && m_text[m_pos + 1] >= '0' && m_text[m_pos + 1] <= '9') {
            ++m_pos;
            while (!at_end() && is_value_char(peek())) {
                ++m_pos;
            }
        }
        return m_pos > start;
    }

    // The value after '='; base is the depth of the table it goes in.
    std::optional<std::size_t> value(int base) {
        std::vector<Open> open;
        int value_base = base; // depth of whatever holds the next value
        Want want = Want::value;
        while (true) {
            skip_blanks();
            if (at_end()) {
                return std::nullopt;
            }
            const char c = peek();
            if (c == '\n' || c == '\r' || c == '#') {
                // Only an array may go on past the end of a line.
                if (open.empty() || open.back().table) {
                    return std::nullopt;
                }
                if (c == '#') {
                    m_pos = std::min(m_text.find('\n', m_pos), m_text.size());
                } else {
                    ++m_pos;
                }
                continue;
            }
            switch (want) {
            case Want::key: {
                if (c == '}') {
                    ++m_pos;
                    open.pop_back();
                    want = Want::separator;
                    continue;
                }
                const std::size_t start = m_pos;
                const int parts = key_parts();
                value_base = open.back().depth + parts - 1;
                if (value_base > m_max_depth) {
                    return start;
                }
                skip_blanks();
                if (parts == 0 || at_end() || peek() != '=') {
                    return std::nullopt;
                }
                ++m_pos;
                want = Want::value;
                continue;
            }
            case Want::value:
                if (c == '[' || c == '{') {
                    const int depth = value_base + 1;
                    if (depth > m_max_depth) {
                        return m_pos;
                    }
                    open.push_back({c == '{', depth});
                    ++m_pos;
                    want = c == '{' ? Want::key : Want::value;
                    value_base = depth;
                } else if (c == ']' && !open.empty() && !open.back().table) {
                    ++m_pos; // an empty array, or a trailing comma
                    open.pop_back();
                    want = Want::separator;
                } else if (c == '"' || c == '\'') {
                    if (!skip_string()) {
                        return std::nullopt;
                    }
                    want = Want::separator;
                } else if (skip_bare_value()) {
                    want = Want::separator;
                } else {
                    return std::nullopt;
                }
                continue;
            case Want::separator:
                if (open.empty()) {
                    return std::nullopt;
                }
                if (c == ',') {
                    ++m_pos;
                    want = open.back().table ? Want::key : Want::value;
                    value_base = open.back().depth;
                } else if (c == (open.back().table ? '}' : ']')) {
                    ++m_pos;
                    open.pop_back();
                } else {
                    return std::nullopt;
                }
                continue;
            }
        }
    }

    std::string_view m_text;
    int m_max_depth;
    std::size_t m_pos = 0;
};

} // namespace

std::optional<std::size_t> find_deep_toml(std::string_view text, int max_depth) {
    return DepthScan(text, max_depth).run();
}

} // namespace imgspec::spec::detail
