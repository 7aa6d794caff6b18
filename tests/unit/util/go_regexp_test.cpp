#include <imgspec/util/glob.hpp>
#include <imgspec/util/go_regexp.hpp>

#include <gtest/gtest.h>

using imgspec::util::go_valid_utf8;
using imgspec::util::GoRegexp;

namespace {

bool matches(const char* expr, std::string_view text) {
    GoRegexp re(expr);
    EXPECT_TRUE(re.ok()) << expr << ": " << re.error();
    return re.matches(go_valid_utf8(text));
}

TEST(GoRegexp, DotSkipsNewlineAndNegatedClassesDoNot) {
    EXPECT_FALSE(matches("^a.*b$", "a\nb"));
    EXPECT_TRUE(matches("^a[^/]*b$", "a\nb"));
    EXPECT_FALSE(matches("^a$", "a\n")); // '$' is the end of the text only
}

TEST(GoRegexp, SearchesAnywhereLikeMatchString) {
    EXPECT_TRUE(matches("b", "abc"));
    EXPECT_TRUE(matches("^a|c$", "xxc"));
}

TEST(GoRegexp, InvalidUtf8IsOneReplacementCharacterPerByte) {
    // Go reads "\xff" as U+FFFD, one character; "\xe0\x80\x80" (overlong) as three.
    EXPECT_TRUE(matches("^a[^/]b$", "a\xff"
                                    "b"));
    EXPECT_TRUE(matches("^a\xEF\xBF\xBD"
                        "b$",
                        "a\xff"
                        "b"));
    EXPECT_FALSE(matches("^a[^/]b$", "a\xe0\x80\x80"
                                     "b"));
    EXPECT_TRUE(matches("^a[^/]{3}b$", "a\xe0\x80\x80"
                                       "b"));
}

TEST(GoRegexp, PerlClassesAndEscapesInGoMeaning) {
    EXPECT_TRUE(matches("^v\\d$", "v7"));
    EXPECT_FALSE(matches("^\\s$", "\v")); // Go's \s has no \v
    EXPECT_TRUE(matches("^\\x41$", "A"));
    EXPECT_TRUE(matches("^\\Q.*\\E$", ".*"));
    EXPECT_TRUE(matches("^\\pL$", "\xC3\xA9")); // Go has Unicode classes, as RE2 does
}

TEST(GoRegexp, RejectsWhatGoRejectsInGoWords) {
    const std::pair<const char*, const char*> bad[] = {
        {"[a", "missing closing ]"},
        {"a**", "invalid nested repetition operator"},
        {"a{1001}", "invalid repeat count"},
        {"[z-a]", "invalid character class range"},
        {"\\8", "invalid escape sequence"},
        {"a\\C", "invalid escape sequence"}, // RE2's any-byte escape; Go has none
        {"a\\", "trailing backslash at end of expression"},
        {"*", "missing argument to repetition operator"},
    };
    for (const auto& [expr, why] : bad) {
        GoRegexp re(expr);
        EXPECT_FALSE(re.ok()) << expr;
        EXPECT_EQ(re.error().rfind(why, 0), 0u) << expr << ": " << re.error();
        EXPECT_FALSE(re.matches("a"));
    }
    EXPECT_TRUE(GoRegexp("\\Q\\C\\E").ok()); // quoted: a literal backslash and C
}

TEST(GoRegexp, ValidUtf8) {
    EXPECT_EQ(go_valid_utf8("abc/é"), "abc/é");
    EXPECT_EQ(go_valid_utf8("a\xff/"), "a\xEF\xBF\xBD/");
    EXPECT_EQ(go_valid_utf8("\xed\xa0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); // surrogate
    EXPECT_TRUE(imgspec::util::is_valid_utf8("abc/é"));
    EXPECT_FALSE(imgspec::util::is_valid_utf8("a\xc3"));
}

} // namespace
