#include <imgspec/plan/prefix_expression.hpp>

#include <imgspec/util/go_regexp.hpp>

#include <gtest/gtest.h>

using imgspec::plan::prefix_expression;

namespace {

// Whether `text` begins some match of `expr`, per prefix_expression.
bool may_begin(const char* expr, std::string_view text) {
    const auto p = prefix_expression(expr);
    EXPECT_TRUE(p.has_value()) << expr;
    imgspec::util::GoRegexp re(p.value_or(""));
    EXPECT_TRUE(re.ok()) << *p << ": " << re.error();
    return re.matches(text);
}

TEST(PrefixExpression, LiteralsAndWildcards) {
    EXPECT_TRUE(may_begin("^a/b/c$", "a/b/"));
    EXPECT_TRUE(may_begin("^a/b/c$", "a/b/c"));
    EXPECT_FALSE(may_begin("^a/b/c$", "a/x/"));
    EXPECT_FALSE(may_begin("^a/b/c$", "a/b/cd"));
    EXPECT_TRUE(may_begin("^[^/]*/keep$", "a/"));
    EXPECT_FALSE(may_begin("^[^/]*/keep$", "a/x/"));
    EXPECT_TRUE(may_begin("^(.*/)?keep$", "a/x/y/"));
    EXPECT_TRUE(may_begin("^a/.*$", "a/x/"));
    EXPECT_FALSE(may_begin("^a/.*$", "b/"));
    EXPECT_FALSE(may_begin("^a\\.b/c$", "axb/"));
}

TEST(PrefixExpression, Classes) {
    EXPECT_TRUE(may_begin("^[a-c][^/]*/x\\.py$", "build/"));
    EXPECT_FALSE(may_begin("^[a-c][^/]*/x\\.py$", "dist/"));
    EXPECT_TRUE(may_begin("^[]x]/y$", "]/"));
    EXPECT_TRUE(may_begin("^[[:alpha:]]/y$", "q/"));
    EXPECT_FALSE(may_begin("^[[:alpha:]]/y$", "1/"));
    EXPECT_TRUE(may_begin("^[\\.]+/y$", "../"));
}

TEST(PrefixExpression, OutsideTheSubsetIsUnknown) {
    for (const char* e : {"^a|b$", "^a{2}$", "^a\\b$", "^\\x41$", "^a^b$", "^\\Qa\\E$", "a$"}) {
        EXPECT_FALSE(prefix_expression(e).has_value()) << e;
    }
}

} // namespace
