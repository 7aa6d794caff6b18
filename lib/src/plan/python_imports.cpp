// The import statements of a Python source (python_imports.hpp's scan_imports), found with the
// tokenizer of python_lexer.hpp.

#include <imgspec/plan/python_imports.hpp>

#include "python_lexer.hpp"

#include <utility>

namespace imgspec::plan {
namespace {

using detail::Lexer;
using detail::Tok;
using detail::Token;

bool is_op(const Token& t, char op) {
    return t.kind == Tok::op && t.op == op;
}

bool is_name(const Token& t, std::string_view word) {
    return t.kind == Tok::name && t.text == word;
}

// The statement parser. Every step consumes at least one token, so it ends on any input.
class ImportParser {
  public:
    explicit ImportParser(std::string_view source) : m_lex(source) {}

    std::vector<PythonImport> run() {
        bool statement_start = true;
        Token t = m_lex.next();
        while (t.kind != Tok::end) {
            if (t.kind == Tok::newline || is_op(t, ';')) {
                statement_start = true;
                t = m_lex.next();
            } else if (is_op(t, ':') && m_lex.depth() == 0) {
                // "if x: import y", "try: import y": a simple statement may follow the colon. At
                // bracket depth 0 a colon is nothing else that could precede "import" or "from".
                statement_start = true;
                t = m_lex.next();
            } else if (statement_start && is_name(t, "import")) {
                t = parse_import(t.line);
                statement_start = false;
            } else if (statement_start && is_name(t, "from")) {
                t = parse_from(t.line);
                statement_start = false;
            } else {
                statement_start = false;
                t = m_lex.next();
            }
        }
        return std::move(m_out);
    }

  private:
    // A dotted name starting at `t`; returns the token after it.
    Token dotted_name(Token t, std::string& out) {
        out.assign(t.text);
        t = m_lex.next();
        while (is_op(t, '.')) {
            t = m_lex.next();
            if (t.kind != Tok::name || t.text == "import") {
                break;
            }
            out += '.';
            out += t.text;
            t = m_lex.next();
        }
        return t;
    }

    // "as name" when `t` is "as"; returns the token after it.
    Token skip_alias(Token t) {
        if (is_name(t, "as")) {
            t = m_lex.next();
            if (t.kind == Tok::name) {
                t = m_lex.next();
            }
        }
        return t;
    }

    // import a.b [as c] {, d [as e]}
    Token parse_import(int line) {
        Token t = m_lex.next();
        while (t.kind == Tok::name) {
            PythonImport imp;
            imp.line = line;
            t = dotted_name(t, imp.module);
            m_out.push_back(std::move(imp));
            t = skip_alias(t);
            if (!is_op(t, ',')) {
                break;
            }
            t = m_lex.next();
        }
        return t;
    }

    // from {.} [a.b] import (x [as y] {, ...} [,]) | x [as y] {, ...} | *
    Token parse_from(int line) {
        PythonImport imp;
        imp.line = line;
        Token t = m_lex.next();
        while (is_op(t, '.')) {
            ++imp.level;
            t = m_lex.next();
        }
        if (t.kind == Tok::name && t.text != "import") {
            t = dotted_name(t, imp.module);
        }
        if (!is_name(t, "import") || (imp.level == 0 && imp.module.empty())) {
            return t; // not an import statement after all
        }
        t = m_lex.next();
        const bool parenthesised = is_op(t, '(');
        if (parenthesised) {
            t = m_lex.next();
        }
        if (is_op(t, '*')) {
            imp.names.emplace_back("*");
            t = m_lex.next();
        } else {
            while (t.kind == Tok::name) {
                imp.names.emplace_back(t.text);
                t = skip_alias(m_lex.next());
                if (!is_op(t, ',')) {
                    break;
                }
                t = m_lex.next();
            }
        }
        if (parenthesised && is_op(t, ')')) {
            t = m_lex.next();
        }
        m_out.push_back(std::move(imp));
        return t;
    }

    Lexer m_lex;
    std::vector<PythonImport> m_out;
};

} // namespace

std::vector<PythonImport> scan_imports(std::string_view source) {
    return ImportParser(source).run();
}

} // namespace imgspec::plan
