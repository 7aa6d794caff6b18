#pragma once
// Go's reading of strings and paths, which .dockerignore matching must reproduce to agree with
// Docker: UTF-8 decoding (utf8.DecodeRuneInString), strings.TrimSpace, path.Clean, and the syntax
// check of filepath.Match.

#include <cstddef>
#include <string>
#include <string_view>

namespace imgspec::util {

// U+FFFD, what Go reads an invalid UTF-8 byte as.
inline constexpr char32_t rune_error = 0xFFFD;

struct Rune {
    char32_t value;
    std::size_t size; // bytes
};

// utf8.DecodeRuneInString at byte `i` (< s.size()): an invalid, truncated, overlong or surrogate
// sequence decodes as U+FFFD of width 1.
Rune decode_rune(std::string_view s, std::size_t i);

// `s` as Go's range loop and regexp read it: each byte that is not part of a valid UTF-8 sequence
// replaced by U+FFFD's encoding. Valid UTF-8 (and so any ASCII text) comes back unchanged.
std::string go_valid_utf8(std::string_view s);

// Whether go_valid_utf8(s) would change nothing.
bool is_valid_utf8(std::string_view s);

// strings.TrimSpace (unicode.IsSpace at both ends).
std::string_view go_trim_space(std::string_view s);

// path.Clean (filepath.Clean on Unix): the shortest equivalent path, "." when empty.
std::string go_clean(std::string_view path);

// Why filepath.Match would reject `pattern` as malformed (Go >= 1.20 reports a bad pattern
// wherever it is, even after a mismatch), or nullptr when it is well formed.
const char* glob_syntax_error(std::string_view pattern);

} // namespace imgspec::util
