#include "unit/test_util.hpp"

#include <imgspec/spec/node.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

using imgspec::Diagnostic;
using imgspec::SpecError;
using imgspec::spec::LoadLimits;
using imgspec::spec::Node;
using Kind = imgspec::spec::Node::Kind;
namespace spec = imgspec::spec;
namespace fs = std::filesystem;

namespace {

// The diagnostics a load throws; fails the test when it does not throw.
template <typename Load> std::vector<Diagnostic> diagnostics_of(Load&& load) {
    try {
        load();
    } catch (const SpecError& e) {
        EXPECT_FALSE(e.diagnostics().empty());
        return e.diagnostics();
    }
    ADD_FAILURE() << "expected a SpecError";
    return {};
}

std::vector<Diagnostic> yaml_errors(std::string_view text, const LoadLimits& limits = {}) {
    return diagnostics_of([&] { spec::load_yaml(text, "spec.yaml", limits); });
}

std::vector<Diagnostic> toml_errors(std::string_view text, const LoadLimits& limits = {}) {
    return diagnostics_of([&] { spec::load_toml(text, "spec.toml", limits); });
}

// Compares two trees ignoring marks, naming the first difference.
::testing::AssertionResult same_tree(const Node& a, const Node& b, const std::string& at = "$") {
    if (a.kind != b.kind) {
        return ::testing::AssertionFailure()
               << at << ": " << spec::describe(a.kind) << " vs " << spec::describe(b.kind);
    }
    if (a.scalar != b.scalar) {
        return ::testing::AssertionFailure()
               << at << ": '" << a.scalar << "' vs '" << b.scalar << "'";
    }
    if (a.items.size() != b.items.size() || a.entries.size() != b.entries.size()) {
        return ::testing::AssertionFailure() << at << ": different sizes";
    }
    for (std::size_t i = 0; i < a.items.size(); ++i) {
        auto result = same_tree(a.items[i], b.items[i], at + "[" + std::to_string(i) + "]");
        if (!result) {
            return result;
        }
    }
    for (std::size_t i = 0; i < a.entries.size(); ++i) {
        if (a.entries[i].first != b.entries[i].first) {
            return ::testing::AssertionFailure() << at << ": key '" << a.entries[i].first
                                                 << "' vs '" << b.entries[i].first << "'";
        }
        auto result =
            same_tree(a.entries[i].second, b.entries[i].second, at + "." + a.entries[i].first);
        if (!result) {
            return result;
        }
    }
    return ::testing::AssertionSuccess();
}

const Node& at(const Node& map, std::string_view key) {
    const Node* node = map.find(key);
    if (node == nullptr) {
        throw std::runtime_error("no key " + std::string(key));
    }
    return *node;
}

void expect_mark(imgspec::Mark mark, int line, int column) {
    EXPECT_EQ(mark.line, line);
    EXPECT_EQ(mark.column, column);
}

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// ---------------------------------------------------------------------------------------------
// YAML scalars

TEST(LoadYamlScalars, UnquotedVersionIsAFloatKeptAsWritten) {
    Node root = spec::load_yaml("python: 3.10\n", "spec.yaml");
    const Node& python = at(root, "python");
    EXPECT_EQ(python.kind, Kind::floating);
    EXPECT_EQ(python.scalar, "3.10");
}

TEST(LoadYamlScalars, QuotedScalarsAreStrings) {
    Node root = spec::load_yaml("a: \"3.10\"\nb: '42'\nc: \"true\"\nd: ''\n", "spec.yaml");
    for (const char* key : {"a", "b", "c", "d"}) {
        EXPECT_EQ(at(root, key).kind, Kind::string) << key;
    }
    EXPECT_EQ(at(root, "a").scalar, "3.10");
    EXPECT_EQ(at(root, "d").scalar, "");
}

TEST(LoadYamlScalars, Yaml11BooleansStayStrings) {
    Node root = spec::load_yaml("a: yes\nb: no\nc: on\nd: off\ne: y\n", "spec.yaml");
    for (const auto& [key, value] : root.entries) {
        EXPECT_EQ(value.kind, Kind::string) << key;
    }
    EXPECT_EQ(at(root, "a").scalar, "yes");
}

TEST(LoadYamlScalars, CoreSchemaTyping) {
    const std::vector<std::pair<std::string, Kind>> cases = {
        {"~", Kind::null},        {"null", Kind::null},
        {"Null", Kind::null},     {"NULL", Kind::null},
        {"", Kind::null},         {"true", Kind::boolean},
        {"True", Kind::boolean},  {"FALSE", Kind::boolean},
        {"0", Kind::integer},     {"42", Kind::integer},
        {"-7", Kind::integer},    {"+3", Kind::integer},
        {"010", Kind::integer},   {"0x1F", Kind::integer},
        {"0o17", Kind::integer},  {"1.5", Kind::floating},
        {"-.5", Kind::floating},  {"1.", Kind::floating},
        {"1e3", Kind::floating},  {"+1.5E-3", Kind::floating},
        {".inf", Kind::floating}, {"-.Inf", Kind::floating},
        {".NAN", Kind::floating}, {"0x", Kind::string},
        {"0o8", Kind::string},    {"0b101", Kind::string},
        {"1_000", Kind::string},  {"1.2.3", Kind::string},
        {"inf", Kind::string},    {"nan", Kind::string},
        {"1e", Kind::string},     {".", Kind::string},
        {"TRue", Kind::string},   {"nULL", Kind::string},
        {"12:30", Kind::string},  {"3.10-slim", Kind::string},
    };
    for (const auto& [text, kind] : cases) {
        Node root = spec::load_yaml("v: " + text + "\n", "spec.yaml");
        const Node& v = at(root, "v");
        EXPECT_EQ(v.kind, kind) << "'" << text << "' is " << spec::describe(v.kind);
        if (kind != Kind::null) {
            EXPECT_EQ(v.scalar, text);
        }
    }
}

TEST(LoadYamlScalars, BlockScalarsAreStrings) {
    Node root = spec::load_yaml("a: |\n  42\nb: >-\n  true\n", "spec.yaml");
    EXPECT_EQ(at(root, "a").kind, Kind::string);
    EXPECT_EQ(at(root, "a").scalar, "42\n");
    EXPECT_EQ(at(root, "b").kind, Kind::string);
    EXPECT_EQ(at(root, "b").scalar, "true");
}

TEST(LoadYamlScalars, StandardTags) {
    Node root = spec::load_yaml("a: !!str 42\nb: !!int 42\nc: !!float 1.5\n", "spec.yaml");
    EXPECT_EQ(at(root, "a").kind, Kind::string);
    EXPECT_EQ(at(root, "b").kind, Kind::integer);
    EXPECT_EQ(at(root, "c").kind, Kind::floating);

    auto errors = yaml_errors("a: !!int abc\nb: !python/object x\n");
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(errors[0].message, "'abc' is not a valid !!int");
    EXPECT_EQ(errors[1].message, "unsupported tag '!python/object'");
    expect_mark(errors[1].mark, 2, 4);
}

TEST(LoadYamlScalars, DescribeNamesEveryKind) {
    EXPECT_EQ(spec::describe(Kind::null), "null");
    EXPECT_EQ(spec::describe(Kind::boolean), "a boolean");
    EXPECT_EQ(spec::describe(Kind::integer), "an integer");
    EXPECT_EQ(spec::describe(Kind::floating), "a number");
    EXPECT_EQ(spec::describe(Kind::string), "a string");
    EXPECT_EQ(spec::describe(Kind::list), "a list");
    EXPECT_EQ(spec::describe(Kind::map), "a map");
}

// ---------------------------------------------------------------------------------------------
// YAML structure and marks

TEST(LoadYamlMarks, ValuesAndKeys) {
    Node root = spec::load_yaml("name: web\n"
                                "layers:\n"
                                "  - pip: [a, b]\n"
                                "    env: {X: 1}\n",
                                "spec.yaml");
    ASSERT_EQ(root.kind, Kind::map);
    expect_mark(root.mark, 1, 1);
    ASSERT_EQ(root.key_marks.size(), 2u);
    expect_mark(root.key_marks[0], 1, 1);
    expect_mark(root.key_marks[1], 2, 1);
    expect_mark(at(root, "name").mark, 1, 7);

    const Node& layers = at(root, "layers");
    ASSERT_EQ(layers.kind, Kind::list);
    expect_mark(layers.mark, 3, 3);
    const Node& layer = layers.items.at(0);
    ASSERT_EQ(layer.kind, Kind::map);
    expect_mark(layer.key_marks.at(0), 3, 5);
    expect_mark(layer.key_marks.at(1), 4, 5);
    const Node& pip = at(layer, "pip");
    expect_mark(pip.mark, 3, 10);
    expect_mark(pip.items.at(1).mark, 3, 14);
    expect_mark(at(at(layer, "env"), "X").mark, 4, 14);
}

TEST(LoadYamlMarks, EntriesKeepSourceOrder) {
    Node root = spec::load_yaml("zeta: 1\nalpha: 2\nmid: 3\n", "spec.yaml");
    ASSERT_EQ(root.entries.size(), 3u);
    EXPECT_EQ(root.entries[0].first, "zeta");
    EXPECT_EQ(root.entries[1].first, "alpha");
    EXPECT_EQ(root.entries[2].first, "mid");
    EXPECT_EQ(root.find("nope"), nullptr);
}

TEST(LoadYamlMarks, ColumnsCountCharactersNotBytes) {
    Node root = spec::load_yaml("\"é\": x\n", "spec.yaml");
    expect_mark(at(root, "é").mark, 1, 6);
}

TEST(LoadYamlMarks, ByteOrderMarkIsNotAColumn) {
    Node root = spec::load_yaml("\xEF\xBB\xBF"
                                "a: 1\n",
                                "spec.yaml");
    expect_mark(root.key_marks.at(0), 1, 1);
    expect_mark(at(root, "a").mark, 1, 4);
}

// Each value's column used to be counted from its line's start: quadratic in the line's length
// (10 s for 100k values on a line). Now each mark costs at most a block of bytes.
TEST(LoadYamlMarks, ManyValuesOnOneLineInLinearTime) {
    constexpr int n = 50'000;
    std::string text = "\"\xC3\xA9\": [";
    for (int i = 0; i < n; ++i) {
        text += (i == 0 ? "\"" : ", \"") + std::string(30, 'a') + "\"";
    }
    text += "]\nm: {";
    for (int i = 0; i < n; ++i) {
        text += (i == 0 ? "k" : ", k") + std::to_string(i) + ": 1";
    }
    text += "}\n";
    auto start = Clock::now();
    Node root = spec::load_yaml(text, "spec.yaml");
    EXPECT_LT(seconds_since(start), imgspec::test::time_limit(5.0));
    const Node& list = at(root, "\xC3\xA9");
    ASSERT_EQ(list.items.size(), static_cast<std::size_t>(n));
    // "é": [ is 6 characters; then each item is 32 characters and ", " 2.
    expect_mark(list.items.back().mark, 1, 7 + (n - 1) * 34);
    const Node& map = at(root, "m");
    ASSERT_EQ(map.entries.size(), static_cast<std::size_t>(n));
    // Line 2 is ASCII: a column is the byte offset from the line's start, plus 1.
    std::string last = ", k" + std::to_string(n - 1) + ": ";
    std::size_t line_start = text.find("\nm:") + 1;
    std::size_t key_at = text.rfind(last) + 2;
    std::size_t value_at = text.rfind(last) + last.size();
    expect_mark(map.key_marks.back(), 2, static_cast<int>(key_at - line_start + 1));
    expect_mark(map.entries.back().second.mark, 2, static_cast<int>(value_at - line_start + 1));
}

TEST(LoadYamlMarks, AliasesExpandAndPointAtTheAlias) {
    Node root = spec::load_yaml("base: &b {x: 1, y: [2]}\nuse: *b\n", "spec.yaml");
    EXPECT_TRUE(same_tree(at(root, "use"), at(root, "base")));
    expect_mark(at(root, "use").mark, 2, 6);
}

// ---------------------------------------------------------------------------------------------
// YAML errors

TEST(LoadYamlErrors, DuplicateKeyIsReportedAtTheSecond) {
    auto errors = yaml_errors("a: 1\nb: 2\na: 3\n");
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].file, "spec.yaml");
    EXPECT_EQ(errors[0].message, "duplicate key 'a' (first at line 1)");
    expect_mark(errors[0].mark, 3, 1);
}

TEST(LoadYamlErrors, EveryDuplicateKeyIsReportedWithItsPath) {
    auto errors = yaml_errors("layers:\n  - name: x\n    name: y\nb: 1\nb: 2\n");
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(errors[0].path, "layers[0]");
    expect_mark(errors[0].mark, 3, 5);
    EXPECT_EQ(errors[1].path, "");
    expect_mark(errors[1].mark, 5, 1);
    // Quoting does not make a key different.
    EXPECT_EQ(yaml_errors("a: 1\n\"a\": 2\n").size(), 1u);
}

TEST(LoadYamlErrors, KeysMustBeScalars) {
    auto errors = yaml_errors("? [a, b]\n: c\n~: d\n");
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(errors[0].message, "a map key must be a string, number or boolean, not a list");
    expect_mark(errors[0].mark, 1, 3);
    EXPECT_EQ(errors[1].message, "a map key must be a string, number or boolean, not null");
}

TEST(LoadYamlErrors, SyntaxErrorHasItsLine) {
    auto errors = yaml_errors("a: 1\n  b: 2\n");
    ASSERT_EQ(errors.size(), 1u);
    // yaml-cpp's "illegal map value" at 2:4, said as the mistake: "b" is indented under a scalar.
    expect_mark(errors[0].mark, 2, 3);
    EXPECT_EQ(errors[0].format(), "spec.yaml:2:3: error: this line is indented 2 spaces, which "
                                  "lines up with no key or '- ' item above it\n  hint: indent it "
                                  "exactly like the key or item it belongs beside: 0 spaces");
}

TEST(LoadYamlErrors, UndefinedAliasIsASyntaxError) {
    auto errors = yaml_errors("a: *nowhere\n");
    ASSERT_EQ(errors.size(), 1u);
    expect_mark(errors[0].mark, 1, 4);
}

TEST(LoadYamlErrors, MoreThanOneDocument) {
    auto errors = yaml_errors("a: 1\n---\nb: 2\n");
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].mark.line, 2);
    EXPECT_NE(errors[0].message.find("second"), std::string::npos);
    // One document with explicit markers is fine.
    EXPECT_EQ(spec::load_yaml("---\na: 1\n...\n", "spec.yaml").kind, Kind::map);
}

TEST(LoadYamlErrors, EmptyDocumentIsNull) {
    EXPECT_EQ(spec::load_yaml("", "spec.yaml").kind, Kind::null);
    EXPECT_EQ(spec::load_yaml("# nothing here\n\n", "spec.yaml").kind, Kind::null);
    EXPECT_EQ(spec::load_yaml("---\n", "spec.yaml").kind, Kind::null);
}

TEST(LoadYamlErrors, AliasBombIsRefusedQuickly) {
    const std::string lol =
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
        "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
        "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
        "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
        "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
    auto start = Clock::now();
    auto errors = yaml_errors(lol);
    EXPECT_LT(seconds_since(start), 1.0);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].message, "the document has more than 1000000 values once aliases are "
                                 "expanded");
    EXPECT_EQ(errors[0].mark.line, 7); // g is the first to pass a million
}

TEST(LoadYamlErrors, NodeLimitCountsPlainValuesToo) {
    LoadLimits limits;
    limits.max_nodes = 5;
    EXPECT_EQ(spec::load_yaml("[1, 2, 3, 4]", "spec.yaml", limits).items.size(), 4u);
    EXPECT_EQ(yaml_errors("[1, 2, 3, 4, 5]", limits).size(), 1u);
}

TEST(LoadYamlErrors, RecursiveAliasIsRefused) {
    auto errors = yaml_errors("a: &x [1, *x]\n");
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].message, "alias '*x' is inside the node it refers to");
    expect_mark(errors[0].mark, 1, 11);
}

TEST(LoadYamlErrors, DepthLimitIsExact) {
    LoadLimits limits;
    limits.max_depth = 4;
    EXPECT_EQ(spec::load_yaml("[[[[1]]]]", "spec.yaml", limits).kind, Kind::list);
    EXPECT_EQ(spec::load_yaml("a:\n b:\n  c:\n   - 1\n", "spec.yaml", limits).kind, Kind::map);

    auto flow = yaml_errors("[[[[[1]]]]]", limits);
    ASSERT_EQ(flow.size(), 1u);
    EXPECT_EQ(flow[0].message, "nested deeper than 4 levels");
    expect_mark(flow[0].mark, 1, 5);

    auto block = yaml_errors("a:\n b:\n  c:\n   - - 1\n", limits);
    ASSERT_EQ(block.size(), 1u);
    EXPECT_EQ(block[0].message, "nested deeper than 4 levels");
    EXPECT_EQ(block[0].path, "a.b.c");
    expect_mark(block[0].mark, 4, 6);

    // An alias can deepen a tree past the limit without deep text.
    auto alias = yaml_errors("x: &x [[1]]\ny: [[*x]]\n", limits);
    ASSERT_EQ(alias.size(), 1u);
    expect_mark(alias[0].mark, 2, 6);
}

TEST(LoadYamlErrors, DeepFlowNestingIsRefusedBeforeParsing) {
    for (std::size_t depth : {10'000u, 1'000'000u}) {
        auto start = Clock::now();
        auto errors = yaml_errors("a: " + std::string(depth, '[') + std::string(depth, ']'));
        EXPECT_LT(seconds_since(start), 1.0) << depth;
        ASSERT_EQ(errors.size(), 1u);
        EXPECT_EQ(errors[0].message, "nested deeper than 64 levels");
        expect_mark(errors[0].mark, 1, 68);
    }
    // Unclosed, mixed with maps, and after an anchor.
    EXPECT_EQ(yaml_errors(std::string(100'000, '[')).size(), 1u);
    std::string maps;
    for (int i = 0; i < 10'000; ++i) {
        maps += "{a: ";
    }
    EXPECT_EQ(yaml_errors(maps).size(), 1u);
    EXPECT_EQ(yaml_errors("- &x !!seq " + std::string(10'000, '[')).size(), 1u);
}

TEST(LoadYamlErrors, DeepBlockNestingIsRefused) {
    std::string dashes;
    for (int i = 0; i < 10'000; ++i) {
        dashes += "- ";
    }
    dashes += "x\n";
    EXPECT_EQ(yaml_errors(dashes).at(0).message, "nested deeper than 64 levels");

    std::string indents;
    for (int i = 0; i < 1'000; ++i) {
        indents += std::string(static_cast<std::size_t>(i), ' ') + "a:\n";
    }
    EXPECT_EQ(yaml_errors(indents).at(0).message, "nested deeper than 64 levels");
}

TEST(LoadYamlErrors, BracketsInTextAreNotNesting) {
    const std::string many(100, '[');
    const std::string text = "a: \"" + many + "\"\n" +                   //
                             "b: '" + many + "''" + many + "'\n" +       //
                             "c: x" + many + "\n" +                      //
                             "d: |\n  " + many + "\n  " + many + "\n" +  //
                             "e: 1 # " + many + "\n" +                   //
                             "f: [\"" + many + "\", '" + many + "']\n" + //
                             "g: >\n\n   " + many + "\n";
    Node root = spec::load_yaml(text, "spec.yaml");
    EXPECT_EQ(at(root, "a").scalar, many);
    EXPECT_EQ(at(root, "c").scalar, "x" + many);
    EXPECT_EQ(at(root, "d").scalar, many + "\n" + many + "\n");
    EXPECT_EQ(at(root, "f").items.at(1).scalar, many);
    EXPECT_EQ(root.entries.size(), 7u);
}

TEST(LoadYamlErrors, BinaryJunkDoesNotCrash) {
    std::string junk;
    unsigned state = 12345;
    for (int i = 0; i < 4096; ++i) {
        state = state * 1103515245u + 12345u;
        junk += static_cast<char>((state >> 16) & 0xFF);
    }
    try {
        spec::load_yaml(junk, "junk.yaml");
    } catch (const SpecError&) {
    }
    try {
        spec::load_toml(junk, "junk.toml");
    } catch (const SpecError&) {
    }
}

// ---------------------------------------------------------------------------------------------
// TOML

TEST(LoadTomlScalars, Types) {
    Node root = spec::load_toml("python = 3.10\n"
                                "quoted = \"3.10\"\n"
                                "e = 3.1e2\n"
                                "big = 1_000.5\n"
                                "pinf = +inf\n"
                                "count = 42\n"
                                "hex = 0x1F\n"
                                "sep = 1_000\n"
                                "on = true\n"
                                "off = false\n",
                                "spec.toml");
    EXPECT_EQ(at(root, "python").kind, Kind::floating);
    EXPECT_EQ(at(root, "python").scalar, "3.10");
    EXPECT_EQ(at(root, "quoted").kind, Kind::string);
    EXPECT_EQ(at(root, "quoted").scalar, "3.10");
    EXPECT_EQ(at(root, "e").scalar, "3.1e2");
    EXPECT_EQ(at(root, "big").scalar, "1_000.5");
    EXPECT_EQ(at(root, "pinf").scalar, "+inf");
    EXPECT_EQ(at(root, "count").kind, Kind::integer);
    EXPECT_EQ(at(root, "count").scalar, "42");
    // As written, as YAML keeps it: a number where text is expected reads alike in both formats.
    EXPECT_EQ(at(root, "hex").scalar, "0x1F");
    EXPECT_EQ(at(root, "sep").scalar, "1_000");
    EXPECT_EQ(at(root, "on").kind, Kind::boolean);
    EXPECT_EQ(at(root, "on").scalar, "true");
    EXPECT_EQ(at(root, "off").scalar, "false");
}

TEST(LoadTomlScalars, FloatAfterWideCharactersKeepsItsText) {
    Node root = spec::load_toml("\"é\" = 3.10\n", "spec.toml");
    EXPECT_EQ(at(root, "é").scalar, "3.10");
    expect_mark(at(root, "é").mark, 1, 7);
}

// Every float's text is looked up to keep it as written ("3.10"); the lookup used to walk its
// line from the start: 47 s for 100k floats on one line.
TEST(LoadTomlScalars, ManyFloatsOnOneLineInLinearTime) {
    constexpr int n = 100'000;
    std::string text = "\"\xC3\xA9\" = [";
    for (int i = 0; i < n; ++i) {
        text += i == 0 ? "1.50" : ", 1.50";
    }
    text += "]\n";
    auto start = Clock::now();
    Node root = spec::load_toml(text, "spec.toml");
    EXPECT_LT(seconds_since(start), imgspec::test::time_limit(5.0));
    const Node& list = at(root, "\xC3\xA9");
    ASSERT_EQ(list.items.size(), static_cast<std::size_t>(n));
    EXPECT_EQ(list.items.back().scalar, "1.50");
    // "é" = [ is 7 characters; then each float is 4 characters and ", " 2.
    expect_mark(list.items.back().mark, 1, 8 + (n - 1) * 6);
}

TEST(LoadTomlScalars, DatesAndTimesAreIsoStrings) {
    Node root = spec::load_toml("d = 1979-05-27\n"
                                "t = 07:32:00\n"
                                "ldt = 1979-05-27T07:32:00\n"
                                "odt = 1979-05-27 00:32:00.999-07:00\n"
                                "z = 1979-05-27T07:32:00Z\n",
                                "spec.toml");
    for (const auto& [key, value] : root.entries) {
        EXPECT_EQ(value.kind, Kind::string) << key;
    }
    EXPECT_EQ(at(root, "d").scalar, "1979-05-27");
    EXPECT_EQ(at(root, "t").scalar, "07:32:00");
    EXPECT_EQ(at(root, "ldt").scalar, "1979-05-27T07:32:00");
    EXPECT_EQ(at(root, "odt").scalar, "1979-05-27T00:32:00.999-07:00");
    EXPECT_EQ(at(root, "z").scalar, "1979-05-27T07:32:00Z");
}

TEST(LoadTomlMarks, ValuesKeysAndSourceOrder) {
    Node root = spec::load_toml("zeta = 1\n"
                                "alpha = \"x\"\n"
                                "\n"
                                "[[layers]]\n"
                                "pip = [\"a\", \"b\"]\n"
                                "\n"
                                "[[layers]]\n"
                                "env = { X = 1 }\n",
                                "spec.toml");
    ASSERT_EQ(root.entries.size(), 3u);
    EXPECT_EQ(root.entries[0].first, "zeta");
    EXPECT_EQ(root.entries[1].first, "alpha");
    EXPECT_EQ(root.entries[2].first, "layers");
    expect_mark(root.key_marks[0], 1, 1);
    expect_mark(root.key_marks[1], 2, 1);
    expect_mark(at(root, "alpha").mark, 2, 9);

    const Node& layers = at(root, "layers");
    ASSERT_EQ(layers.kind, Kind::list);
    ASSERT_EQ(layers.items.size(), 2u);
    const Node& pip = at(layers.items[0], "pip");
    expect_mark(layers.items[0].key_marks.at(0), 5, 1);
    expect_mark(pip.mark, 5, 7);
    expect_mark(pip.items.at(1).mark, 5, 13);
    expect_mark(at(at(layers.items[1], "env"), "X").mark, 8, 13);
}

TEST(LoadTomlErrors, SyntaxErrorHasLineAndColumn) {
    auto errors = toml_errors("a = 1\nb = [1,\nc = 2\n");
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].file, "spec.toml");
    EXPECT_EQ(errors[0].mark.line, 3);
    EXPECT_GT(errors[0].mark.column, 0);
    EXPECT_FALSE(errors[0].message.empty());
}

TEST(LoadTomlErrors, DuplicateKey) {
    auto errors = toml_errors("a = 1\na = 2\n");
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].mark.line, 2);
    EXPECT_NE(errors[0].message.find("'a'"), std::string::npos);
}

TEST(LoadTomlErrors, EmptyDocumentIsNull) {
    EXPECT_EQ(spec::load_toml("", "spec.toml").kind, Kind::null);
    EXPECT_EQ(spec::load_toml("# nothing here\n", "spec.toml").kind, Kind::null);
}

TEST(LoadTomlErrors, DepthLimitIsExact) {
    LoadLimits limits;
    limits.max_depth = 4;
    EXPECT_EQ(spec::load_toml("a.b.c = [1]\n", "spec.toml", limits).kind, Kind::map);
    EXPECT_EQ(spec::load_toml("[a.b]\nc = [1]\n", "spec.toml", limits).kind, Kind::map);

    auto dotted = toml_errors("a.b.c = [[1]]\n", limits);
    ASSERT_EQ(dotted.size(), 1u);
    EXPECT_EQ(dotted[0].message, "nested deeper than 4 levels");
    expect_mark(dotted[0].mark, 1, 10);

    EXPECT_EQ(toml_errors("[a.b.c.d]\n", limits).at(0).mark.line, 1);
    EXPECT_EQ(toml_errors("x = 1\n[[a.b.c]]\n", limits).at(0).mark.line, 2);
    EXPECT_EQ(toml_errors("x = { a = { b.c = { d = 1 } } }\n", limits).size(), 1u);
    EXPECT_EQ(toml_errors("x = [\n  [\n    [[1]],\n  ],\n]\n", limits).size(), 1u);
}

TEST(LoadTomlErrors, DeepNestingIsRefusedWithoutCrashing) {
    std::string dotted = "a";
    std::string quoted = "\"a\"";
    for (int i = 0; i < 100'000; ++i) {
        dotted += ".a";
        quoted += ".\"a\"";
    }
    for (const std::string& text :
         {dotted + " = 1\n", "[" + dotted + "]\n", "[[" + dotted + "]]\n", quoted + " = 1\n",
          "x = {" + dotted + " = 1}\n", "x = [\n{" + dotted + " = 1}]\n",
          "x = " + std::string(10'000, '[') + std::string(10'000, ']') + "\n"}) {
        auto start = Clock::now();
        auto errors = toml_errors(text);
        EXPECT_LT(seconds_since(start), 1.0);
        ASSERT_EQ(errors.size(), 1u);
        EXPECT_EQ(errors[0].message, "nested deeper than 64 levels") << text.substr(0, 20);
    }
}

TEST(LoadTomlErrors, DotsInValuesAreNotNesting) {
    std::string dots(200, '.');
    std::string floats = "f = [";
    for (int i = 0; i < 200; ++i) {
        floats += "1.5, ";
    }
    floats += "]\n";
    Node root = spec::load_toml("s = \"" + dots + "\"\n" + "l = '" + dots + "'\n" + "m = \"\"\"\n" +
                                    dots + "\n\"\"\"\n" + "# " + dots + "\n" + floats +
                                    "d = 1979-05-27 07:32:00\n",
                                "spec.toml");
    EXPECT_EQ(at(root, "s").scalar, dots);
    EXPECT_EQ(at(root, "f").items.size(), 200u);
    EXPECT_EQ(root.entries.size(), 5u);
}

TEST(LoadTomlErrors, NodeLimit) {
    LoadLimits limits;
    limits.max_nodes = 5;
    EXPECT_EQ(spec::load_toml("a = [1, 2, 3]\n", "spec.toml", limits).kind, Kind::map);
    auto errors = toml_errors("a = [1, 2, 3, 4]\n", limits);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].message, "the document has more than 5 values");
    EXPECT_EQ(errors[0].path, "a");
}

// ---------------------------------------------------------------------------------------------
// Both formats

TEST(LoadYamlToml, SameSpecGivesTheSameTree) {
    Node yaml = spec::load_yaml("name: web\n"
                                "python: 3.10\n"
                                "workers: 4\n"
                                "debug: false\n"
                                "tags: [\"latest\", \"3.10\"]\n"
                                "build:\n"
                                "  base: debian:12\n"
                                "  args: {A: \"1\"}\n"
                                "layers:\n"
                                "  - apt: [curl]\n"
                                "  - pip: [requests]\n"
                                "    env: {PYTHONUNBUFFERED: \"1\"}\n",
                                "spec.yaml");
    Node toml = spec::load_toml("name = \"web\"\n"
                                "python = 3.10\n"
                                "workers = 4\n"
                                "debug = false\n"
                                "tags = [\"latest\", \"3.10\"]\n"
                                "\n"
                                "[build]\n"
                                "base = \"debian:12\"\n"
                                "args = { A = \"1\" }\n"
                                "\n"
                                "[[layers]]\n"
                                "apt = [\"curl\"]\n"
                                "\n"
                                "[[layers]]\n"
                                "pip = [\"requests\"]\n"
                                "env = { PYTHONUNBUFFERED = \"1\" }\n",
                                "spec.toml");
    EXPECT_TRUE(same_tree(yaml, toml));
    EXPECT_FALSE(same_tree(yaml, spec::load_yaml("name: web\n", "spec.yaml")));
}

// ---------------------------------------------------------------------------------------------
// Files

// Each test gets a fresh folder, removed afterwards.
class LoadFile : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "imgspec-load-XXXXXX").string();
        ASSERT_NE(mkdtemp(pattern.data()), nullptr);
        m_dir = pattern;
    }
    void TearDown() override { fs::remove_all(m_dir); }

    std::string write(const std::string& name, std::string_view content) {
        fs::path path = m_dir / name;
        std::ofstream(path, std::ios::binary) << content;
        return path.string();
    }

    std::vector<Diagnostic> file_errors(const std::string& path, const LoadLimits& limits = {}) {
        return diagnostics_of([&] { spec::load_file(path, limits); });
    }

    fs::path m_dir;
};

TEST_F(LoadFile, PicksTheParserByExtension) {
    EXPECT_EQ(at(spec::load_file(write("a.yaml", "x: 1\n")), "x").kind, Kind::integer);
    EXPECT_EQ(at(spec::load_file(write("b.yml", "x: 1\n")), "x").kind, Kind::integer);
    EXPECT_EQ(at(spec::load_file(write("c.toml", "x = 1\n")), "x").kind, Kind::integer);
    EXPECT_EQ(at(spec::load_file(write("D.YAML", "x: 1\n")), "x").kind, Kind::integer);
    // TOML syntax in a .yaml file is a YAML error, not a guess.
    EXPECT_EQ(file_errors(write("e.yaml", "[a]\nx = 1\n")).size(), 1u);
}

TEST_F(LoadFile, UnknownExtensionHasAHint) {
    std::string path = write("spec.json", "{}");
    auto errors = file_errors(path);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].file, path);
    EXPECT_EQ(errors[0].message, "cannot tell the spec's format from '.json'");
    EXPECT_EQ(errors[0].hint, "name the file *.yaml, *.yml or *.toml");
    EXPECT_NE(file_errors(write("Imgspec", "x: 1")).at(0).message.find("no extension"),
              std::string::npos);
}

TEST_F(LoadFile, UnreadableFiles) {
    auto missing = file_errors((m_dir / "missing.yaml").string());
    ASSERT_EQ(missing.size(), 1u);
    EXPECT_EQ(missing[0].message, "cannot read the file: No such file or directory");

    fs::create_directory(m_dir / "dir.yaml");
    auto directory = file_errors((m_dir / "dir.yaml").string());
    ASSERT_EQ(directory.size(), 1u);
    EXPECT_EQ(directory[0].message, "cannot read the file: Is a directory");
}

TEST_F(LoadFile, TooLarge) {
    LoadLimits limits;
    limits.max_bytes = 16;
    EXPECT_EQ(spec::load_file(write("ok.yaml", "a: 123456789012\n"), limits).kind, Kind::map);
    auto errors = file_errors(write("big.yaml", "a: 1234567890123\n"), limits);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].message, "the file is larger than 16 bytes, the limit for a spec");
}

TEST_F(LoadFile, BinaryJunkIsNotAText) {
    auto nul = file_errors(write("nul.yaml", std::string("a: 1\nb: x\0y\n", 12)));
    ASSERT_EQ(nul.size(), 1u);
    EXPECT_EQ(nul[0].message, "not a text file: it contains a NUL byte");
    expect_mark(nul[0].mark, 2, 5);

    auto latin1 = file_errors(write("latin1.toml", "a = \"caf\xE9\"\n"));
    ASSERT_EQ(latin1.size(), 1u);
    EXPECT_EQ(latin1[0].message, "not a text file: invalid UTF-8");
    EXPECT_EQ(latin1[0].hint, "a spec must be UTF-8 text");
    expect_mark(latin1[0].mark, 1, 9);

    for (const char* bad : {"\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82"}) {
        EXPECT_EQ(file_errors(write("bad.yaml", std::string("a: ") + bad)).size(), 1u);
    }
    EXPECT_EQ(at(spec::load_file(write("good.yaml", "a: \"caf\xC3\xA9 \xF0\x9F\x90\xB3\"\n")), "a")
                  .scalar,
              "caf\xC3\xA9 \xF0\x9F\x90\xB3");

    std::string elf("\x7F"
                    "ELF\x02\x01\x01\0\0\0",
                    10);
    EXPECT_NE(file_errors(write("image.yaml", elf)).at(0).message.find("not a text file"),
              std::string::npos);
}

TEST_F(LoadFile, ParseErrorsNameTheFile) {
    std::string path = write("broken.toml", "a = \n");
    auto errors = file_errors(path);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].file, path);
    EXPECT_EQ(errors[0].mark.line, 1);
}

TEST_F(LoadFile, EmptyFile) {
    EXPECT_EQ(spec::load_file(write("empty.yaml", "")).kind, Kind::null);
    EXPECT_EQ(spec::load_file(write("empty.toml", "")).kind, Kind::null);
}

} // namespace
