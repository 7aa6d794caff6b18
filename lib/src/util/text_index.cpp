#include <imgspec/util/text_index.hpp>

#include <algorithm>

namespace imgspec::util {
namespace {

bool is_lead_byte(char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
}

} // namespace

TextIndex::TextIndex(std::string_view text) : m_text(text) {
    m_starts.push_back(text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0);
    m_block_counts.reserve(text.size() / block + 1);
    std::size_t count = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (i % block == 0) {
            m_block_counts.push_back(count);
        }
        count += is_lead_byte(text[i]) ? 1 : 0;
        if (text[i] == '\n') {
            m_starts.push_back(i + 1);
        }
    }
    if (text.size() % block == 0) {
        m_block_counts.push_back(count); // the block that starts at the end, for offset == size
    }
}

std::size_t TextIndex::characters_before(std::size_t offset) const {
    offset = std::min(offset, m_text.size());
    std::size_t k = offset / block;
    std::size_t count = m_block_counts[k];
    for (std::size_t i = k * block; i < offset; ++i) {
        count += is_lead_byte(m_text[i]) ? 1 : 0;
    }
    return count;
}

std::size_t TextIndex::characters(std::size_t begin, std::size_t end) const {
    return end <= begin ? 0 : characters_before(end) - characters_before(begin);
}

TextIndex::Position TextIndex::position(std::size_t offset) const {
    offset = std::min(offset, m_text.size());
    auto next = std::upper_bound(m_starts.begin(), m_starts.end(), offset);
    // An offset inside the byte order mark is on line 1.
    std::size_t line = std::max<std::size_t>(static_cast<std::size_t>(next - m_starts.begin()), 1);
    return {line, characters(m_starts[line - 1], offset) + 1};
}

std::optional<std::size_t> TextIndex::offset_of(std::size_t line, std::size_t column) const {
    if (line == 0 || line > m_starts.size() || column == 0) {
        return std::nullopt;
    }
    const std::size_t begin = m_starts[line - 1];
    // The line's newline, or the end of the text.
    const std::size_t end = line < m_starts.size() ? m_starts[line] - 1 : m_text.size();
    const std::size_t before = characters_before(begin);
    if (column - 1 > characters(begin, end)) {
        return std::nullopt;
    }
    if (column == 1) {
        return begin;
    }
    const std::size_t target = before + column - 1; // characters before the one we want
    // The last block that starts with at most `target` characters before it holds the character.
    auto after = std::upper_bound(m_block_counts.begin(), m_block_counts.end(), target);
    std::size_t k = static_cast<std::size_t>(after - m_block_counts.begin()) - 1;
    std::size_t i = std::max(k * block, begin);
    std::size_t count = characters_before(i);
    for (; i < end; ++i) {
        if (is_lead_byte(m_text[i])) {
            if (count == target) {
                return i;
            }
            ++count;
        }
    }
    return end;
}

} // namespace imgspec::util
