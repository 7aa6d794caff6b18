#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace imgspec::util {

std::size_t edit_distance(std::string_view a, std::string_view b);
// The candidate closest to `word` if it is close enough to be a likely typo, else "".
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
bool starts_with(std::string_view s, std::string_view prefix);
// Split a string into words with POSIX shell quoting rules ('...', "...", backslash), no expansion.
// Throws imgspec::Error(invalid_spec) on an unterminated quote.
std::vector<std::string> shell_split(std::string_view s);

} // namespace imgspec::util
