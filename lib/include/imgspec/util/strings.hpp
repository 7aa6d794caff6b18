#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace imgspec::util {

std::size_t edit_distance(std::string_view a, std::string_view b);
// The candidate closest to `word` if it is close enough to be a likely typo, else "".
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
// "a", "a or b", "a, b or c": the choices a message offers.
std::string join_or(const std::vector<std::string>& parts);
bool starts_with(std::string_view s, std::string_view prefix);
bool contains(std::string_view haystack, std::string_view needle);
// ASCII letters in lower case (std::tolower), the rest as is.
std::string to_lower(std::string_view s);
// A word that /bin/sh reads back as exactly `s`: unchanged when it has only safe characters
// ([A-Za-z0-9] and _@%+=:,./-), else single-quoted with ' written as '\''.
std::string shell_quote(std::string_view s);
// argv as one line for logs and --dry-run: each word shell_quote()d, so the line can be pasted
// into a shell.
std::string shell_join(const std::vector<std::string>& argv);
// Split a string into words with POSIX shell quoting rules ('...', "...", backslash), no expansion.
// Throws imgspec::Error(invalid_spec) on an unterminated quote.
std::vector<std::string> shell_split(std::string_view s);

} // namespace imgspec::util
