#include "unit/test_util.hpp"

#include <imgspec/util/text_index.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <string>

using imgspec::util::TextIndex;

namespace {

bool is_lead(char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
}

// The obvious way, counted from the line's start on every call (quadratic over a long line).
TextIndex::Position naive_position(std::string_view text, std::size_t offset) {
    std::size_t begin = text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
    std::size_t line = 1;
    for (std::size_t i = 0; i < offset; ++i) {
        if (text[i] == '\n') {
            ++line;
            begin = i + 1;
        }
    }
    std::size_t column = 1;
    for (std::size_t i = begin; i < offset; ++i) {
        column += is_lead(text[i]) ? 1 : 0;
    }
    return {line, column};
}

TEST(TextIndex, PositionsCountCharactersNotBytes) {
    const std::string text = "a: caf\xC3\xA9 \xF0\x9F\x90\xB3 x\nb\n\nlast";
    TextIndex index(text);
    EXPECT_EQ(index.lines(), 4u);
    auto x = index.position(text.find(" x") + 1);
    EXPECT_EQ(x.line, 1u);
    EXPECT_EQ(x.column, 11u); // "a: café 🐳 " is 10 characters
    EXPECT_EQ(index.offset_of(1, 11), text.find(" x") + 1);
    EXPECT_EQ(index.position(text.find("last")).line, 4u);
    EXPECT_EQ(index.position(text.size()).column, 5u);
    EXPECT_EQ(index.position(text.size() + 100).column, 5u); // clamped
    EXPECT_EQ(index.offset_of(3, 1), text.find("\n\n") + 1);
}

TEST(TextIndex, ByteOrderMarkIsNotPartOfLineOne) {
    const std::string text = "\xEF\xBB\xBFname: x\n";
    TextIndex index(text);
    EXPECT_EQ(index.line_start(1), 3u);
    EXPECT_EQ(index.position(3).column, 1u);
    EXPECT_EQ(index.position(1).column, 1u); // inside the mark
    EXPECT_EQ(index.offset_of(1, 1), 3u);
    EXPECT_EQ(index.offset_of(1, 7), 9u);
}

TEST(TextIndex, OffsetOfStopsAtTheLineEnd) {
    const std::string text = "ab\xC3\xA9\ncd";
    TextIndex index(text);
    EXPECT_EQ(index.offset_of(1, 4), 4u); // just past 'é': the newline
    EXPECT_FALSE(index.offset_of(1, 5));
    EXPECT_EQ(index.offset_of(2, 3), text.size());
    EXPECT_FALSE(index.offset_of(2, 4));
    EXPECT_FALSE(index.offset_of(3, 1));
    EXPECT_FALSE(index.offset_of(0, 1));
    EXPECT_FALSE(index.offset_of(1, 0));
    EXPECT_EQ(TextIndex("").offset_of(1, 1), 0u);
    EXPECT_EQ(TextIndex("").position(0).line, 1u);
}

// Every offset of random text (multi-byte characters, long and short lines, block boundaries)
// agrees with the obvious count, and offset_of inverts position at every character.
TEST(TextIndex, AgreesWithCountingFromTheLineStart) {
    std::mt19937 random(42);
    const std::vector<std::string> pieces = {
        "a", "b", " ", "\n", "\xC3\xA9", "\xE2\x98\x83", "\xF0\x9F\x90\xB3", std::string(300, 'x')};
    for (int round = 0; round < 20; ++round) {
        std::string text = round % 2 == 0 ? "" : "\xEF\xBB\xBF";
        std::size_t n = random() % 600;
        for (std::size_t i = 0; i < n; ++i) {
            text += pieces[random() % (i % 50 == 0 ? pieces.size() : pieces.size() - 1)];
        }
        TextIndex index(text);
        for (std::size_t offset = text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
             offset <= text.size(); ++offset) {
            if (offset < text.size() && !is_lead(text[offset])) {
                continue;
            }
            auto want = naive_position(text, offset);
            auto got = index.position(offset);
            ASSERT_EQ(got.line, want.line) << round << " " << offset;
            ASSERT_EQ(got.column, want.column) << round << " " << offset;
            ASSERT_EQ(index.offset_of(got.line, got.column), offset) << round << " " << offset;
        }
    }
}

// 160k characters (200 KB) on one line, each looked up in order and backwards: counting each
// column from the line's start would take some 10^10 steps; the index scans at most one block a
// query.
TEST(TextIndex, LongLineQueriesTakeLinearTime) {
    std::string line;
    for (int i = 0; i < 40'000; ++i) {
        line += "ab\xC3\xA9,";
    }
    const std::string text = "name: x\n" + line + "\n";
    TextIndex index(text);
    auto start = std::chrono::steady_clock::now();
    std::size_t sum = 0;
    for (std::size_t offset = 8; offset < text.size(); ++offset) {
        sum += index.position(offset).column;
    }
    for (std::size_t column = 160'001; column >= 1; --column) {
        sum += index.offset_of(2, column).value_or(0);
    }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_GT(sum, 0u);
    EXPECT_LT(seconds, imgspec::test::time_limit(5.0));
    EXPECT_EQ(index.position(text.size() - 1).column, 160'001u);
    EXPECT_EQ(index.offset_of(2, 160'001), text.size() - 1);
    EXPECT_FALSE(index.offset_of(2, 160'002));
}

} // namespace
