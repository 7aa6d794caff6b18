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

    // Where value() is: the arrays and inline tables open around it, the depth of whatever holds
    // the next value, and what may come next.
    struct ValueState {
        std::vector<Open> open;
        int value_base;
        Want want = Want::value;
    };
    // What one step of value() decided: go on, or stop with value()'s answer.
    struct Step {
        bool done = false;
        std::optional<std::size_t> deep;
    };
    static Step go_on() { return {}; }
    static Step stop(std::optional<std::size_t> deep = std::nullopt) { return {true, deep}; }

    // The value after '='; base is the depth of the table it goes in.
    std::optional<std::size_t> value(int base) {
        ValueState v{{}, base};
        while (true) {
            skip_blanks();
            if (at_end()) {
                return std::nullopt;
            }
            const char c = peek();
            Step step;
            if (c == '\n' || c == '\r' || c == '#') {
                step = line_end(v, c);
            } else if (v.want == Want::key) {
                step = key_step(v, c);
            } else if (v.want == Want::value) {
                step = value_step(v, c);
            } else {
                step = separator_step(v, c);
            }
            if (step.done) {
                return step.deep;
            }
        }
    }

    // Only an array may go on past the end of a line.
    Step line_end(const ValueState& v, char c) {
        if (v.open.empty() || v.open.back().table) {
            return stop();
        }
        if (c == '#') {
            m_pos = std::min(m_text.find('\n', m_pos), m_text.size());
        } else {
            ++m_pos;
        }
        return go_on();
    }

    // In an inline table: a key and its '=', or the table's end.
    Step key_step(ValueState& v, char c) {
        if (c == '}') {
            ++m_pos;
            v.open.pop_back();
            v.want = Want::separator;
            return go_on();
        }
        const std::size_t start = m_pos;
        const int parts = key_parts();
        v.value_base = v.open.back().depth + parts - 1;
        if (v.value_base > m_max_depth) {
            return stop(start);
        }
        skip_blanks();
        if (parts == 0 || at_end() || peek() != '=') {
            return stop();
        }
        ++m_pos;
        v.want = Want::value;
        return go_on();
    }

    // A value: an array or inline table opens (one level deeper), a string or bare value is
    // skipped.
    Step value_step(ValueState& v, char c) {
        if (c == '[' || c == '{') {
            const int depth = v.value_base + 1;
            if (depth > m_max_depth) {
                return stop(m_pos);
            }
            v.open.push_back({c == '{', depth});
            ++m_pos;
            v.want = c == '{' ? Want::key : Want::value;
            v.value_base = depth;
        } else if (c == ']' && !v.open.empty() && !v.open.back().table) {
            ++m_pos; // an empty array, or a trailing comma
            v.open.pop_back();
            v.want = Want::separator;
        } else if (c == '"' || c == '\'') {
            if (!skip_string()) {
                return stop();
            }
            v.want = Want::separator;
        } else if (skip_bare_value()) {
            v.want = Want::separator;
        } else {
            return stop();
        }
        return go_on();
    }

    // After a value: a comma, or the end of what holds it.
    Step separator_step(ValueState& v, char c) {
        if (v.open.empty()) {
            return stop();
        }
        if (c == ',') {
            ++m_pos;
            v.want = v.open.back().table ? Want::key : Want::value;
            v.value_base = v.open.back().depth;
        } else if (c == (v.open.back().table ? '}' : ']')) {
            ++m_pos;
            v.open.pop_back();
        } else {
            return stop();
        }
        return go_on();
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
