#include <imgspec/plan/python_imports.hpp>

#include <imgspec/core/error.hpp>

#include <fmt/format.h>

#include <deque>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <system_error>

namespace fs = std::filesystem;

namespace imgspec::plan {
namespace {

// ---------------------------------------------------------------------------------------------
// Lexer: just enough of Python's tokenizer to find statement starts. Strings (including
// f-strings and their nested replacement fields) and comments are skipped whole; brackets are
// counted because a newline inside them does not end the statement.

enum class Tok { name, op, newline, other, end };

struct Token {
    Tok kind = Tok::end;
    std::string_view text; // names
    char op = 0;           // single-character operators
    int line = 0;
};

bool is_name_start(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

bool is_name_char(unsigned char c) {
    return is_name_start(c) || (c >= '0' && c <= '9');
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

class Lexer {
  public:
    explicit Lexer(std::string_view s) : m_s(s) {
        if (m_s.substr(0, 3) == "\xEF\xBB\xBF") {
            m_i = 3; // a UTF-8 byte order mark, which Python skips
        }
    }

    int depth() const { return m_depth; }

    Token next() {
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
                if (m_i < m_s.size() && (m_s[m_i] == '\n' || m_s[m_i] == '\r')) {
                    newline(); // continuation: the logical line goes on
                } else {
                    return {Tok::other, {}, 0, m_line};
                }
            } else if (c == '#') {
                while (m_i < m_s.size() && m_s[m_i] != '\n' && m_s[m_i] != '\r') {
                    ++m_i;
                }
            } else if (is_name_start(c)) {
                const std::size_t start = m_i;
                while (m_i < m_s.size() && is_name_char(static_cast<unsigned char>(m_s[m_i]))) {
                    ++m_i;
                }
                const std::string_view word = m_s.substr(start, m_i - start);
                bool formatted = false;
                bool raw = false;
                if (m_i < m_s.size() && (m_s[m_i] == '"' || m_s[m_i] == '\'') &&
                    is_string_prefix(word, formatted, raw)) {
                    const int line = m_line;
                    skip_string(formatted, raw);
                    return {Tok::other, {}, 0, line};
                }
                return {Tok::name, word, 0, m_line};
            } else if (c >= '0' && c <= '9') {
                while (m_i < m_s.size() &&
                       (is_name_char(static_cast<unsigned char>(m_s[m_i])) || m_s[m_i] == '.')) {
                    ++m_i;
                }
                return {Tok::other, {}, 0, m_line};
            } else if (c == '"' || c == '\'') {
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

  private:
    // Consumes "\n", "\r\n" or "\r" at m_i.
    void newline() {
        if (m_s[m_i] == '\r' && m_i + 1 < m_s.size() && m_s[m_i + 1] == '\n') {
            ++m_i;
        }
        ++m_i;
        ++m_line;
    }

    bool at_newline() const { return m_s[m_i] == '\n' || m_s[m_i] == '\r'; }

    // A string literal starting at the quote at m_i. F-strings nest (replacement fields hold
    // expressions, which hold strings, which may be f-strings), so the nesting is an explicit
    // stack rather than recursion: any depth costs heap, not call stack.
    void skip_string(bool formatted, bool raw) {
        struct Frame {
            bool expr = false;      // inside {...} of an f-string
            bool spec = false;      // the format spec after ':' (a literal part)
            char quote = '"';       // of the string this frame belongs to
            bool triple = false;    // of the string this frame belongs to
            bool formatted = false; // literal frames
            bool raw = false;       // literal frames
            int depth = 0;          // expression frames: brackets open
        };
        std::vector<Frame> stack;
        auto open_string = [&](bool f, bool r) {
            Frame fr;
            fr.quote = m_s[m_i];
            fr.triple =
                m_i + 2 < m_s.size() && m_s[m_i + 1] == fr.quote && m_s[m_i + 2] == fr.quote;
            fr.formatted = f;
            fr.raw = r;
            m_i += fr.triple ? 3 : 1;
            stack.push_back(fr);
        };
        open_string(formatted, raw);

        while (!stack.empty() && m_i < m_s.size()) {
            Frame& f = stack.back();
            const char c = m_s[m_i];
            if (!f.expr) {
                if (c == '\\') {
                    ++m_i;
                    if (m_i >= m_s.size()) {
                        break;
                    }
                    if (f.formatted && !f.raw && m_s[m_i] == 'N' && m_i + 1 < m_s.size() &&
                        m_s[m_i + 1] == '{') {
                        // \N{NAME} is a character, not a replacement field
                        while (m_i < m_s.size() && m_s[m_i] != '}' && !at_newline() &&
                               m_s[m_i] != f.quote) {
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
                } else if (c == '\n' || c == '\r') {
                    if (!f.triple) {
                        // Unterminated: Python stops the string at the line's end; so do we,
                        // leaving the newline to end the statement.
                        return;
                    }
                    newline();
                } else if (c == f.quote &&
                           (!f.triple ||
                            (m_i + 2 < m_s.size() && m_s[m_i + 1] == c && m_s[m_i + 2] == c))) {
                    m_i += f.triple ? 3 : 1;
                    // The closing quote ends this string even from inside its format spec.
                    const bool was_spec = f.spec;
                    stack.pop_back();
                    if (was_spec) {
                        while (!stack.empty() && stack.back().expr) {
                            stack.pop_back();
                        }
                        if (!stack.empty()) {
                            stack.pop_back();
                        }
                    }
                } else if (f.formatted && c == '{') {
                    if (!f.spec && m_i + 1 < m_s.size() && m_s[m_i + 1] == '{') {
                        m_i += 2; // "{{" is a brace
                    } else {
                        ++m_i;
                        Frame e;
                        e.expr = true;
                        e.quote = f.quote;
                        e.triple = f.triple;
                        stack.push_back(e);
                    }
                } else if (f.formatted && c == '}') {
                    if (f.spec) {
                        ++m_i; // ends the replacement field the spec belongs to
                        stack.pop_back();
                        if (!stack.empty() && stack.back().expr) {
                            stack.pop_back();
                        }
                    } else {
                        m_i += (m_i + 1 < m_s.size() && m_s[m_i + 1] == '}') ? 2 : 1;
                    }
                } else {
                    ++m_i;
                }
                continue;
            }

            // Expression inside a replacement field.
            if (c == '\n' || c == '\r') {
                if (f.depth == 0 && !f.triple) {
                    // A single-quoted f-string cannot continue here: give up on it.
                    return;
                }
                newline();
            } else if (c == '#') {
                while (m_i < m_s.size() && !at_newline()) {
                    ++m_i;
                }
            } else if (c == '\\') {
                ++m_i;
                if (m_i < m_s.size()) {
                    if (at_newline()) {
                        newline();
                    } else {
                        ++m_i;
                    }
                }
            } else if (c == '(' || c == '[' || c == '{') {
                ++f.depth;
                ++m_i;
            } else if (c == ')' || c == ']' || c == '}') {
                ++m_i;
                if (f.depth > 0) {
                    --f.depth;
                } else if (c == '}') {
                    stack.pop_back(); // end of the replacement field
                }
            } else if (c == ':' && f.depth == 0) {
                ++m_i;
                Frame s;
                s.spec = true;
                s.formatted = true;
                s.quote = f.quote;
                s.triple = f.triple;
                stack.push_back(s);
            } else if (c == '"' || c == '\'') {
                open_string(false, false);
            } else if (is_name_start(static_cast<unsigned char>(c))) {
                const std::size_t start = m_i;
                while (m_i < m_s.size() && is_name_char(static_cast<unsigned char>(m_s[m_i]))) {
                    ++m_i;
                }
                bool sf = false;
                bool sr = false;
                if (m_i < m_s.size() && (m_s[m_i] == '"' || m_s[m_i] == '\'') &&
                    is_string_prefix(m_s.substr(start, m_i - start), sf, sr)) {
                    open_string(sf, sr);
                }
            } else {
                ++m_i;
            }
        }
    }

    std::string_view m_s;
    std::size_t m_i = 0;
    int m_line = 1;
    int m_depth = 0;
};

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

    // import a.b [as c] {, d [as e]}
    Token parse_import(int line) {
        Token t = m_lex.next();
        while (t.kind == Tok::name) {
            PythonImport imp;
            imp.line = line;
            t = dotted_name(t, imp.module);
            m_out.push_back(std::move(imp));
            if (is_name(t, "as")) {
                t = m_lex.next();
                if (t.kind == Tok::name) {
                    t = m_lex.next();
                }
            }
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
                t = m_lex.next();
                if (is_name(t, "as")) {
                    t = m_lex.next();
                    if (t.kind == Tok::name) {
                        t = m_lex.next();
                    }
                }
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

// ---------------------------------------------------------------------------------------------
// Resolution against the files under a root.

std::vector<std::string> split_dots(const std::string& module) {
    std::vector<std::string> parts;
    if (module.empty()) {
        return parts;
    }
    std::size_t start = 0;
    for (;;) {
        const std::size_t dot = module.find('.', start);
        parts.push_back(module.substr(start, dot - start));
        if (dot == std::string::npos) {
            break;
        }
        start = dot + 1;
    }
    return parts;
}

std::string join(const std::string& dir, const std::string& name) {
    return dir.empty() ? name : dir + "/" + name;
}

std::string parent_of(const std::string& rel) {
    const std::size_t slash = rel.rfind('/');
    return slash == std::string::npos ? std::string() : rel.substr(0, slash);
}

class Resolver {
  public:
    Resolver(fs::path root, fs::path real_root)
        : m_root(std::move(root)), m_real_root(std::move(real_root)) {
        m_real_prefix = m_real_root.string();
        if (m_real_prefix.empty() || m_real_prefix.back() != '/') {
            m_real_prefix += '/';
        }
    }

    bool is_file(const std::string& rel) { return check(rel, false); }
    bool is_dir(const std::string& rel) { return check(rel, true); }

    // Records a file to load, with the __init__.py of every folder above it.
    void add(const std::string& rel) {
        if (m_found.insert(rel).second) {
            m_queue.push_back(rel);
        }
        for (std::string dir = parent_of(rel); !dir.empty(); dir = parent_of(dir)) {
            const std::string init = dir + "/__init__.py";
            if (init != rel && is_file(init) && m_found.insert(init).second) {
                m_queue.push_back(init);
            }
        }
    }

    std::vector<std::string> run() {
        while (!m_queue.empty()) {
            const std::string rel = m_queue.front();
            m_queue.pop_front();
            const std::string source = read(rel);
            for (const PythonImport& imp : scan_imports(source)) {
                resolve(rel, imp);
            }
        }
        return {m_found.begin(), m_found.end()};
    }

  private:
    // Whether root/rel is a regular file (or folder) whose real path stays under the root.
    bool check(const std::string& rel, bool dir) {
        auto& cache = dir ? m_dir_cache : m_file_cache;
        if (auto it = cache.find(rel); it != cache.end()) {
            return it->second;
        }
        std::error_code ec;
        const fs::path p = m_root / rel;
        const auto st = fs::status(p, ec);
        bool ok = !ec && (dir ? fs::is_directory(st) : fs::is_regular_file(st));
        if (ok) {
            const fs::path real = fs::canonical(p, ec);
            ok = !ec && real.string().rfind(m_real_prefix, 0) == 0;
        }
        cache.emplace(rel, ok);
        return ok;
    }

    std::string read(const std::string& rel) {
        std::ifstream in(m_root / rel, std::ios::binary);
        std::ostringstream ss;
        ss << in.rdbuf();
        if (!in && !in.eof()) {
            throw Error(ErrorKind::other, fmt::format("cannot read '{}'", (m_root / rel).string()));
        }
        return ss.str();
    }

    void resolve(const std::string& importer, const PythonImport& imp) {
        const std::vector<std::string> parts = split_dots(imp.module);
        for (const auto& p : parts) {
            if (p.empty()) {
                return;
            }
        }
        std::string base;
        if (imp.level == 0) {
            if (parts.empty() || parts[0] == "__future__") {
                return;
            }
        } else {
            // The importer's package is its folder; each extra dot goes one folder up.
            base = parent_of(importer);
            for (int k = 1; k < imp.level; ++k) {
                if (base.empty()) {
                    return; // beyond the top-level package
                }
                base = parent_of(base);
            }
        }
        load_chain(base, parts, imp.names);
    }

    // Imports parts[0], parts[0].parts[1], ... from the folder `dir`, then the names that are
    // submodules of the last package.
    void load_chain(std::string dir, const std::vector<std::string>& parts,
                    const std::vector<std::string>& names) {
        for (const std::string& part : parts) {
            const std::string sub = join(dir, part);
            if (is_file(sub + "/__init__.py")) {
                add(sub + "/__init__.py");
                dir = sub;
            } else if (is_file(sub + ".py")) {
                add(sub + ".py");
                return; // a module: no submodules, and imported names are its attributes
            } else if (is_dir(sub)) {
                dir = sub; // namespace package
            } else {
                return; // not under the root
            }
        }
        for (const std::string& name : names) {
            if (name == "*") {
                continue;
            }
            const std::string sub = join(dir, name);
            if (is_file(sub + "/__init__.py")) {
                add(sub + "/__init__.py");
            } else if (is_file(sub + ".py")) {
                add(sub + ".py");
            }
        }
    }

    fs::path m_root;
    fs::path m_real_root;
    std::string m_real_prefix;
    std::set<std::string> m_found;
    std::deque<std::string> m_queue;
    std::map<std::string, bool> m_file_cache;
    std::map<std::string, bool> m_dir_cache;
};

} // namespace

std::vector<PythonImport> scan_imports(std::string_view source) {
    return ImportParser(source).run();
}

std::vector<std::string> reachable_modules(const fs::path& root,
                                           const std::vector<std::string>& entries) {
    std::error_code ec;
    if (!fs::is_directory(root, ec)) {
        throw Error(ErrorKind::invalid_spec,
                    fmt::format("code bundle root '{}' is not a folder", root.string()));
    }
    fs::path real_root = fs::canonical(root, ec);
    if (ec) {
        throw Error(ErrorKind::invalid_spec,
                    fmt::format("code bundle root '{}': {}", root.string(), ec.message()));
    }
    Resolver resolver(root, real_root);
    for (const std::string& e : entries) {
        const fs::path rel = fs::path(e).lexically_normal();
        if (e.empty() || rel.is_absolute() || rel.empty() || *rel.begin() == "..") {
            throw Error(ErrorKind::invalid_spec,
                        fmt::format("entry '{}' must be a path relative to '{}' inside it", e,
                                    root.string()));
        }
        std::string r = rel.generic_string();
        if (!r.empty() && r.back() == '/') {
            r.pop_back();
        }
        if (r.empty() || r == "." || !resolver.is_file(r)) {
            throw Error(ErrorKind::invalid_spec,
                        fmt::format("entry '{}' is not a file under '{}'", e, root.string()),
                        "entries name Python files relative to the code bundle's root");
        }
        resolver.add(r);
    }
    return resolver.run();
}

} // namespace imgspec::plan
