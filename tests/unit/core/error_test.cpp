#include <imgspec/core/error.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

using imgspec::Diagnostic;
using imgspec::printable;

namespace {

TEST(Printable, EscapesControlCharacters) {
    EXPECT_EQ(printable("a\nb\rc\td"), "a\\nb\\rc\\td");
    EXPECT_EQ(printable(std::string("nul\0esc\x1b[2Jdel\x7f", 15)), "nul\\x00esc\\x1b[2Jdel\\x7f");
    EXPECT_EQ(printable("plain text, 'quotes' and \\ backslashes"),
              "plain text, 'quotes' and \\ backslashes");
    EXPECT_EQ(printable(""), "");
}

TEST(Printable, EscapesInvisibleAndBidiCharacters) {
    // U+202E (right-to-left override) would make "txt.exe" read as "exe.txt"; U+FEFF prints as
    // nothing; U+200B (zero-width space) and U+2066 (an isolate) likewise.
    EXPECT_EQ(printable("a\xE2\x80\xAEtxt.exe"), "a\\u{202e}txt.exe");
    EXPECT_EQ(printable("\xEF\xBB\xBFkey"), "\\u{feff}key");
    EXPECT_EQ(printable("x\xE2\x80\x8By\xE2\x81\xA6z"), "x\\u{200b}y\\u{2066}z");
    EXPECT_EQ(printable("\xF3\xA0\x80\x81"), "\\u{e0001}"); // a language tag
    EXPECT_EQ(printable("caf\xC3\xA9 \xE2\x80\x94"),
              "caf\xC3\xA9 \xE2\x80\x94"); // an em dash stays
}

TEST(Printable, KeepsValidUtf8AndEscapesInvalidBytes) {
    EXPECT_EQ(printable("caf\xC3\xA9 \xE2\x98\x83 \xF0\x9F\x90\xB3"),
              "caf\xC3\xA9 \xE2\x98\x83 \xF0\x9F\x90\xB3");
    EXPECT_EQ(printable("\xff\xfe-x-\xe9.txt"), "\\xff\\xfe-x-\\xe9.txt");
    EXPECT_EQ(printable("\xC0\xAF"), "\\xc0\\xaf");                   // overlong '/'
    EXPECT_EQ(printable("\xED\xA0\x80"), "\\xed\\xa0\\x80");          // a surrogate
    EXPECT_EQ(printable("\xF4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80"); // past U+10FFFF
    EXPECT_EQ(printable("\xE2\x82"), "\\xe2\\x82");                   // cut short
    EXPECT_EQ(printable("\xC2\x9B"
                        "31m"),
              "\\xc2\\x9b"
              "31m");                             // C1 CSI
    EXPECT_EQ(printable("\xC2\xA0"), "\xC2\xA0"); // no-break space is text
}

TEST(Printable, AlreadyEscapedTextIsUnchanged) {
    std::string once = printable("k\ney\xff");
    EXPECT_EQ(printable(once), once);
}

TEST(DiagnosticFormat, OneLineWhateverTheKeyOrPathHolds) {
    Diagnostic d{"dir\n/spec.yaml",
                 {3, 7},
                 "env_vars.A\nfake.yaml:1:1: error: forged",
                 "'sub/\nf.txt' does not exist",
                 "hint\rwith\ta line\nbreak"};
    std::string out = d.format();
    EXPECT_EQ(out, "dir\\n/spec.yaml:3:7: error: env_vars.A\\nfake.yaml:1:1: error: forged: "
                   "'sub/\\nf.txt' does not exist\n"
                   "  hint: hint\\rwith\\ta line\\nbreak");
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1);
    // The fields keep the text as it is, for --json.
    EXPECT_EQ(d.path, "env_vars.A\nfake.yaml:1:1: error: forged");
}

TEST(DiagnosticFormat, SpecErrorJoinsOneLineEach) {
    imgspec::SpecError e({{"a.yaml", {1, 1}, "k\n", "m\n", ""}, {"b.yaml", {}, "", "x", "h"}});
    EXPECT_STREQ(e.what(), "a.yaml:1:1: error: k\\n: m\\n\nb.yaml: error: x\n  hint: h");
}

} // namespace
