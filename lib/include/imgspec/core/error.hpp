#pragma once
// One error family. Every failure that reaches main() is an imgspec::Error whose kind maps to the
// documented exit code (README "Exit codes").

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace imgspec {

enum class ErrorKind {
    other = 1,        // anything else
    usage = 2,        // bad command line
    invalid_spec = 3, // the spec (or a file it names) is wrong
    build_failed = 4, // buildx ran and the build failed
    unavailable = 5,  // docker, buildx or the registry cannot be reached
    interrupted = 130 // SIGINT / SIGTERM
};

int exit_code(ErrorKind kind);

class Error : public std::runtime_error {
  public:
    Error(ErrorKind kind, const std::string& message, std::string hint = {})
        : std::runtime_error(message), m_kind(kind), m_hint(std::move(hint)) {}
    ErrorKind kind() const { return m_kind; }
    const std::string& hint() const { return m_hint; }

  private:
    ErrorKind m_kind;
    std::string m_hint;
};

// Text from a spec or the file system (a file name, key or value) as a message may print it, so
// one message stays one line and cannot forge another: \n, \r and \t as those escapes, other C0
// and C1 control characters, DEL and bytes that are not valid UTF-8 as \xNN (each byte);
// invisible and bidi characters (U+200B..U+200F, U+202A..U+202E, U+2066..U+2069, U+FEFF, ...)
// as \u{XXXX}, so a line cannot read differently from what it says; all else as is. Already escaped
// text is unchanged: a backslash is not escaped.
std::string printable(std::string_view text);

// Where in a spec file something is. line and column are 1-based; 0 means unknown.
struct Mark {
    int line = 0;
    int column = 0;
};

enum class Severity {
    error,   // the spec cannot be built
    warning, // advice: the spec builds, but probably not as meant (Plan::warnings)
};

// "error", "warning".
const char* severity_name(Severity s);

// One problem in a spec, printed like a compiler: "file:line:col: error: key.path: message",
// "warning:" for a warning. The fields hold text as it is; format() makes it printable().
struct Diagnostic {
    std::string file;
    Mark mark;
    std::string path;    // key path such as "layers[3].pip_packages"; may be empty
    std::string message; // what is wrong
    std::string hint;    // what to do about it; may be empty
    Severity severity = Severity::error;

    std::string format() const;
};

// Every problem found in one or more specs, reported at once. Kind: invalid_spec.
class SpecError : public Error {
  public:
    explicit SpecError(std::vector<Diagnostic> diagnostics);
    const std::vector<Diagnostic>& diagnostics() const { return m_diagnostics; }

  private:
    std::vector<Diagnostic> m_diagnostics;
};

// Collects diagnostics while a spec is read; throws them all at once.
class Diagnostics {
  public:
    void error(std::string file, Mark mark, std::string path, std::string message,
               std::string hint = {});
    void add(Diagnostic d) { m_list.push_back(std::move(d)); }
    bool empty() const { return m_list.empty(); }
    const std::vector<Diagnostic>& list() const { return m_list; }
    // Throws SpecError when any diagnostic was collected.
    void throw_if_any() const;

  private:
    std::vector<Diagnostic> m_list;
};

} // namespace imgspec
