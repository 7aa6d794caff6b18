#include "python_lexer.hpp"

namespace imgspec::plan::detail {

namespace {

bool is_name_start(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

bool is_name_char(unsigned char c) {
    return is_name_start(c) || (c >= '0' && c <= '9');
}

bool is_quote(char c) {
    return c == '"' || c == '\'';
}

// String prefixes, any case: r u b br rb f fr rf, and 3.14's t tr rt.
bool is_string_prefix(std::string_view p, bool& formatted, bool& raw) {
    if (p.empty() || p.size() > 2) {
        return false;
    }
    bool r = false;
    bool f = false;
    bool other = false; // u or b
    for (char ch : p) {
        switch (ch) {
        case 'r':
        case 'R':
            if (r) {
                return false;
            }
            r = true;
            break;
        case 'f':
        case 'F':
        case 't':
        case 'T':
            if (f) {
                return false;
            }
            f = true;
            break;
        case 'b':
        case 'B':
        case 'u':
        case 'U':
            if (other || (p.size() == 2 && (ch == 'u' || ch == 'U'))) {
                return false;
            }
            other = true;
            break;
        default:
            return false;
        }
    }
    if (f && other) {
        return false;
    }
    formatted = f;
    raw = r;
    return true;
}

} // namespace

Lexer::Lexer(std::string_view s) : m_s(s) {
    if (m_s.substr(0, 3) == "\xEF\xBB\xBF") {
        m_i = 3; // a UTF-8 byte order mark, which Python skips
    }
}

Token Lexer::next() {
    while (m_i < m_s.size()) {
        const auto c = static_cast<unsigned char>(m_s[m_i]);
        if (c == ' ' || c == '\t' || c == '\f') {
            ++m_i;
        } else if (c == '\n' || c == '\r') {
            const int line = m_line;
            newline();
            if (m_depth == 0) {
                return {Tok::newline, {}, 0, line};
            }
        } else if (c == '\\') {
            ++m_i;
            if (m_i >= m_s.size() || !at_newline()) {
                return {Tok::other, {}, 0, m_line};
            }
            newline(); // continuation: the logical line goes on
        } else if (c == '#') {
            skip_to_line_end();
        } else if (is_name_start(c)) {
            return name_or_string();
        } else if (c >= '0' && c <= '9') {
            while (m_i < m_s.size() &&
                   (is_name_char(static_cast<unsigned char>(m_s[m_i])) || m_s[m_i] == '.')) {
                ++m_i;
            }
            return {Tok::other, {}, 0, m_line};
        } else if (is_quote(static_cast<char>(c))) {
            const int line = m_line;
            skip_string(false, false);
            return {Tok::other, {}, 0, line};
        } else {
            ++m_i;
            if (c == '(' || c == '[' || c == '{') {
                ++m_depth;
            } else if ((c == ')' || c == ']' || c == '}') && m_depth > 0) {
                --m_depth;
            }
            return {Tok::op, {}, static_cast<char>(c), m_line};
        }
    }
    return {Tok::end, {}, 0, m_line};
}

void Lexer::newline() {
    if (m_s[m_i] == '\r' && m_i + 1 < m_s.size() && m_s[m_i + 1] == '\n') {
        ++m_i;
    }
    ++m_i;
    ++m_line;
}

void Lexer::skip_to_line_end() {
    while (m_i < m_s.size() && !at_newline()) {
        ++m_i;
    }
}

Token Lexer::name_or_string() {
    const std::size_t start = m_i;
    while (m_i < m_s.size() && is_name_char(static_cast<unsigned char>(m_s[m_i]))) {
        ++m_i;
    }
    const std::string_view word = m_s.substr(start, m_i - start);
    bool formatted = false;
    bool raw = false;
    if (m_i < m_s.size() && is_quote(m_s[m_i]) && is_string_prefix(word, formatted, raw)) {
        const int line = m_line;
        skip_string(formatted, raw);
        return {Tok::other, {}, 0, line};
    }
    return {Tok::name, word, 0, m_line};
}

void Lexer::skip_string(bool formatted, bool raw) {
    Frames stack;
    open_string(stack, formatted, raw);
    while (!stack.empty() && m_i < m_s.size()) {
        const bool more = stack.back().expr ? expression_step(stack) : literal_step(stack);
        if (!more) {
            return;
        }
    }
}

void Lexer::open_string(Frames& stack, bool formatted, bool raw) {
    Frame fr;
    fr.quote = m_s[m_i];
    fr.triple = m_i + 2 < m_s.size() && m_s[m_i + 1] == fr.quote && m_s[m_i + 2] == fr.quote;
    fr.formatted = formatted;
    fr.raw = raw;
    m_i += fr.triple ? 3 : 1;
    stack.push_back(fr);
}

bool Lexer::literal_step(Frames& stack) {
    const Frame& f = stack.back();
    const char c = m_s[m_i];
    if (c == '\\') {
        return literal_escape(f);
    }
    if (c == '\n' || c == '\r') {
        if (!f.triple) {
            // Unterminated: Python stops the string at the line's end; so do we, leaving the
            // newline to end the statement.
            return false;
        }
        newline();
    } else if (c == f.quote &&
               (!f.triple || (m_i + 2 < m_s.size() && m_s[m_i + 1] == c && m_s[m_i + 2] == c))) {
        close_string(stack);
    } else if (f.formatted && c == '{') {
        literal_open_brace(stack);
    } else if (f.formatted && c == '}') {
        literal_close_brace(stack);
    } else {
        ++m_i;
    }
    return true;
}

bool Lexer::literal_escape(const Frame& f) {
    ++m_i;
    if (m_i >= m_s.size()) {
        return false;
    }
    if (f.formatted && !f.raw && m_s[m_i] == 'N' && m_i + 1 < m_s.size() && m_s[m_i + 1] == '{') {
        // \N{NAME} is a character, not a replacement field
        while (m_i < m_s.size() && m_s[m_i] != '}' && !at_newline() && m_s[m_i] != f.quote) {
            ++m_i;
        }
        if (m_i < m_s.size() && m_s[m_i] == '}') {
            ++m_i;
        }
    } else if (f.formatted && (m_s[m_i] == '{' || m_s[m_i] == '}')) {
        // the brace keeps its meaning
    } else if (at_newline()) {
        newline();
    } else {
        ++m_i;
    }
    return true;
}

void Lexer::close_string(Frames& stack) {
    m_i += stack.back().triple ? 3 : 1;
    // The closing quote ends this string even from inside its format spec.
    const bool was_spec = stack.back().spec;
    stack.pop_back();
    if (was_spec) {
        while (!stack.empty() && stack.back().expr) {
            stack.pop_back();
        }
        if (!stack.empty()) {
            stack.pop_back();
        }
    }
}

void Lexer::literal_open_brace(Frames& stack) {
    const Frame& f = stack.back();
    if (!f.spec && m_i + 1 < m_s.size() && m_s[m_i + 1] == '{') {
        m_i += 2; // "{{" is a brace
        return;
    }
    ++m_i;
    Frame e;
    e.expr = true;
    e.quote = f.quote;
    e.triple = f.triple;
    stack.push_back(e);
}

void Lexer::literal_close_brace(Frames& stack) {
    if (!stack.back().spec) {
        m_i += (m_i + 1 < m_s.size() && m_s[m_i + 1] == '}') ? 2 : 1;
        return;
    }
    ++m_i; // ends the replacement field the spec belongs to
    stack.pop_back();
    if (!stack.empty() && stack.back().expr) {
        stack.pop_back();
    }
}

bool Lexer::expression_step(Frames& stack) {
    Frame& f = stack.back();
    const char c = m_s[m_i];
    if (c == '\n' || c == '\r') {
        if (f.depth == 0 && !f.triple) {
            // A single-quoted f-string cannot continue here: give up on it.
            return false;
        }
        newline();
    } else if (c == '#') {
        skip_to_line_end();
    } else if (c == '\\') {
        ++m_i;
        if (m_i < m_s.size()) {
            if (at_newline()) {
                newline();
            } else {
                ++m_i;
            }
        }
    } else if (c == '(' || c == '[' || c == '{' || c == ')' || c == ']' || c == '}') {
        expression_bracket(stack, c);
    } else if (c == ':' && f.depth == 0) {
        ++m_i;
        Frame s;
        s.spec = true;
        s.formatted = true;
        s.quote = f.quote;
        s.triple = f.triple;
        stack.push_back(s);
    } else if (is_quote(c)) {
        open_string(stack, false, false);
    } else if (is_name_start(static_cast<unsigned char>(c))) {
        expression_name(stack);
    } else {
        ++m_i;
    }
    return true;
}

void Lexer::expression_bracket(Frames& stack, char c) {
    Frame& f = stack.back();
    ++m_i;
    if (c == '(' || c == '[' || c == '{') {
        ++f.depth;
    } else if (f.depth > 0) {
        --f.depth;
    } else if (c == '}') {
        stack.pop_back(); // end of the replacement field
    }
}

void Lexer::expression_name(Frames& stack) {
    const std::size_t start = m_i;
    while (m_i < m_s.size() && is_name_char(static_cast<unsigned char>(m_s[m_i]))) {
        ++m_i;
    }
    bool formatted = false;
    bool raw = false;
    if (m_i < m_s.size() && is_quote(m_s[m_i]) &&
        is_string_prefix(m_s.substr(start, m_i - start), formatted, raw)) {
        open_string(stack, formatted, raw);
    }
}

} // namespace imgspec::plan::detail
