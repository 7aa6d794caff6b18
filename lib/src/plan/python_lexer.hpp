#pragma once
// Just enough of Python's tokenizer to find statement starts, for python_imports.cpp. Strings
// (including f-strings and their nested replacement fields) and comments are skipped whole;
// brackets are counted because a newline inside them does not end the statement. Internal to
// lib/src/plan.

#include <cstddef>
#include <string_view>
#include <vector>

namespace imgspec::plan::detail {

enum class Tok { name, op, newline, other, end };

struct Token {
    Tok kind = Tok::end;
    std::string_view text; // names
    char op = 0;           // single-character operators
    int line = 0;
};

class Lexer {
  public:
    explicit Lexer(std::string_view s);

    // Bracket depth after the last token.
    int depth() const { return m_depth; }

    // The next token; Tok::end at the end of the input, and on every call after it.
    Token next();

  private:
    // Where skip_string is inside a string literal. F-strings nest (replacement fields hold
    // expressions, which hold strings, which may be f-strings), so the nesting is an explicit
    // stack of these rather than recursion: any depth costs heap, not call stack.
    struct Frame {
        bool expr = false;      // inside {...} of an f-string
        bool spec = false;      // the format spec after ':' (a literal part)
        char quote = '"';       // of the string this frame belongs to
        bool triple = false;    // of the string this frame belongs to
        bool formatted = false; // literal frames
        bool raw = false;       // literal frames
        int depth = 0;          // expression frames: brackets open
    };
    using Frames = std::vector<Frame>;

    // Consumes "\n", "\r\n" or "\r" at m_i.
    void newline();
    bool at_newline() const { return m_s[m_i] == '\n' || m_s[m_i] == '\r'; }
    // Up to the end of the line (a comment).
    void skip_to_line_end();
    // A name, or a string with the name as its prefix, starting at m_i.
    Token name_or_string();

    // A string literal starting at the quote at m_i.
    void skip_string(bool formatted, bool raw);
    void open_string(Frames& stack, bool formatted, bool raw);
    // One step in a literal part (or a format spec) of the innermost string, or in an expression
    // of a replacement field; false where the string ends unterminated (Python stops it there).
    bool literal_step(Frames& stack);
    bool expression_step(Frames& stack);
    // The backslash at m_i in a literal part; false at the end of the input.
    bool literal_escape(const Frame& f);
    // The closing quote at m_i: the string ends, even from inside its format spec.
    void close_string(Frames& stack);
    // '{' and '}' in a literal part of an f-string.
    void literal_open_brace(Frames& stack);
    void literal_close_brace(Frames& stack);
    // A bracket in an expression of a replacement field: '}' at depth 0 ends the field.
    void expression_bracket(Frames& stack, char c);
    // A name in an expression, or the prefix of a string that starts after it.
    void expression_name(Frames& stack);

    std::string_view m_s;
    std::size_t m_i = 0;
    int m_line = 1;
    int m_depth = 0;
};

} // namespace imgspec::plan::detail
