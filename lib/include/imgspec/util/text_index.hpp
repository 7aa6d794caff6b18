#pragma once
// Byte offsets <-> (line, column) in a text whose columns count UTF-8 characters, as editors show
// them and as yaml-cpp and toml++ marks need converting. Loaders ask for one position per value:
// counting each column from the start of its line is quadratic in the length of a line that
// holds 100k values, so this index keeps the character count at every block boundary and each
// query scans at most one block.

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace imgspec::util {

class TextIndex {
  public:
    // A UTF-8 byte order mark at the start is not part of line 1 (neither parser counts it).
    // The text must outlive the index.
    explicit TextIndex(std::string_view text);

    // 1-based; column in characters (UTF-8 lead bytes).
    struct Position {
        std::size_t line = 0;
        std::size_t column = 0;
    };

    // The line and column of the byte at `offset` (clamped to the text's size).
    Position position(std::size_t offset) const;

    // Number of lines (a text without a newline has one).
    std::size_t lines() const { return m_starts.size(); }
    // The offset of the first byte of `line` (1-based, at most lines()).
    std::size_t line_start(std::size_t line) const { return m_starts[line - 1]; }

    // The offset of character `column` (1-based) of `line` (1-based). The column just past the
    // line's last character is the line's end; nullopt further on or for a line that is not there.
    std::optional<std::size_t> offset_of(std::size_t line, std::size_t column) const;

    // Characters in [begin, end), both clamped to the text's size; 0 when end <= begin.
    std::size_t characters(std::size_t begin, std::size_t end) const;

  private:
    static constexpr std::size_t block = 256;

    // Characters in [0, offset).
    std::size_t characters_before(std::size_t offset) const;

    std::string_view m_text;
    std::vector<std::size_t> m_starts;       // each line's first byte
    std::vector<std::size_t> m_block_counts; // characters before each block: [0, k * block)
};

} // namespace imgspec::util
