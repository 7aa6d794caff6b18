// Syntax errors said as the mistake and its fix: one case per message, through the loaders, so the
// parser's own marks are what the translation starts from.

#include <imgspec/spec/node.hpp>
#include <imgspec/spec/syntax_errors.hpp>

#include <gtest/gtest.h>

#include <string>

using imgspec::Diagnostic;
using imgspec::SpecError;
namespace spec = imgspec::spec;

namespace {

struct Case {
    const char* name;
    const char* text;
    int line;
    int column;
    const char* message; // a substring of the message
    const char* hint;    // a substring of the hint
};

Diagnostic only_error(const Case& c, bool toml) {
    try {
        if (toml) {
            spec::load_toml(c.text, "spec.toml");
        } else {
            spec::load_yaml(c.text, "spec.yaml");
        }
    } catch (const SpecError& e) {
        EXPECT_EQ(e.diagnostics().size(), 1U) << c.name;
        return e.diagnostics().front();
    }
    ADD_FAILURE() << c.name << ": expected a SpecError";
    return {};
}

void expect_case(const Case& c, bool toml) {
    Diagnostic d = only_error(c, toml);
    EXPECT_EQ(d.mark.line, c.line) << c.name << ": " << d.message;
    EXPECT_EQ(d.mark.column, c.column) << c.name << ": " << d.message;
    EXPECT_NE(d.message.find(c.message), std::string::npos) << c.name << ": " << d.message;
    EXPECT_NE(d.hint.find(c.hint), std::string::npos) << c.name << ": " << d.hint;
}

const Case yaml_cases[] = {
    {"tab before a key", "name: app\nfrom:\n\tbase: busybox\n", 3, 1, "a tab in the indentation",
     "replace the tab with spaces"},
    {"tab before a list item", "layers:\n  - pip_packages:\n    \t- numpy\n", 3, 5,
     "a tab in the indentation", "replace the tab"},
    {"tab before an item yaml-cpp names", "layers:\n  - workdir: /app\n\t- commands: [ls]\n", 3, 1,
     "a tab in the indentation", "spaces"},
    {"key one space too deep", "name: app\nfrom:\n  base: busybox\n   registry: x\n", 4, 4,
     "indented 3 spaces, which lines up with no key", "0 or 2 spaces"},
    {"key one space too shallow", "name: app\nfrom:\n  base: busybox\n registry: x\n", 4, 2,
     "indented 1 space,", "0 or 2 spaces"},
    {"item one space off", "layers:\n  - workdir: /app\n   - commands: [ls]\n", 3, 4,
     "indented 3 spaces", "0, 2 or 4 spaces"},
    {"item where a key belongs", "layers:\n- workdir: /app\n  - commands: [ls]\n", 3, 3,
     "does not line up with the keys of its map", "like the other keys"},
    {"colon in a plain value", "name: app: x\n", 1, 10, "a plain value cannot contain ': '",
     "quote the value"},
    {"key without a colon above", "name app\nfrom: {base: busybox}\n", 2, 5,
     "a key cannot start here", "a key needs ': ' after it"},
    {"unclosed flow map", "name: app\nfrom: {base: busybox\nlayers: []\n", 3, 7,
     "a '{' is not closed", "add the missing '}'"},
    {"unclosed flow list", "layers:\n  - pip_packages: [numpy, pandas\n  - workdir: /app\n", 3, 12,
     "a '[' is not closed", "add the missing ']'"},
    {"stray closing brace", "name: app\nfrom: {base: busybox}}\n", 2, 22, "closes nothing",
     "remove it"},
    {"unknown escape", "layers:\n  - commands: [\"echo \\q\"]\n", 2, 24,
     "unknown escape sequence '\\q'", "single quotes"},
    {"reserved character", "layers:\n  - commands: [@x]\n", 2, 16,
     "a value cannot start with this character", "quote the value"},
    {"undefined alias", "layers:\n  - commands: [*nope]\n", 2, 16,
     "refers to an anchor (&name) that is not defined", "define the anchor"},
};

const Case toml_cases[] = {
    {"YAML written as TOML", "name: \"a\"\n", 1, 5, "TOML writes 'key = value'", "key = value"},
    {"no equals sign", "name \"a\"\n", 1, 6, "a key must be followed by '='", "key = value"},
    {"unclosed string", "name = \"broken\n", 1, 15, "a string is not closed on its line",
     "closing quote"},
    {"unknown escape", "name = \"a\\q\"\n", 1, 11, "unknown escape sequence '\\q'",
     "literal string"},
    {"bare word", "name = app\n", 1, 8, "not a quoted string, number", "key = \"value\""},
    {"key twice", "name = \"a\"\nname = \"b\"\n", 2, 8, "'name' is defined twice", "remove one"},
    {"table twice", "[from]\nbase = \"x\"\n[from]\nbase = \"y\"\n", 3, 1,
     "table [from] is defined twice", "[[name]]"},
    {"inline table over lines", "layers = [\n  {pip_packages = [\"x\"]\n]\n", 2, 24,
     "does not close on its line", "[table] section"},
    {"trailing comma in an inline table", "env = {A = \"b\", }\n", 1, 17, "a comma before '}'",
     "remove the trailing comma"},
    {"missing comma", "layers = [ \"a\" \"b\" ]\n", 1, 16, "separated by commas", "add ','"},
    {"unclosed list at the end", "pip_packages = [\"a\", \"b\"\n", 1, 26, "the file ends before",
     "add the missing ']'"},
    {"unclosed header", "[from\nbase = \"x\"\n", 1, 6, "a [table] header is not closed",
     "add the ']'"},
    {"version as a number", "python_version = 3.1.2\n", 1, 21, "not a valid number",
     "python_version = \"3.12\""},
};

TEST(SyntaxErrors, Yaml) {
    for (const Case& c : yaml_cases) {
        expect_case(c, false);
    }
}

TEST(SyntaxErrors, Toml) {
    for (const Case& c : toml_cases) {
        expect_case(c, true);
    }
}

TEST(SyntaxErrors, UnknownMessagesAreKept) {
    spec::SyntaxError e = spec::explain_yaml_error("a: b\n", {1, 1}, "some new yaml-cpp message");
    EXPECT_EQ(e.message, "some new yaml-cpp message");
    EXPECT_EQ(e.hint, "");
    e = spec::explain_toml_error("a = 1\n", {1, 1}, "Error while parsing thing: a new problem");
    EXPECT_EQ(e.message, "a new problem");
}

} // namespace
