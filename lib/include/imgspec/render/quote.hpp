#pragma once
// Quoting for the two languages a Dockerfile mixes: the builder's own words (ENV, WORKDIR, JSON
// arrays) and the POSIX shell that runs RUN lines. Pure functions.

#include <imgspec/util/strings.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace imgspec::render {

// A word that /bin/sh reads back as exactly `s` (util/strings.hpp).
using util::shell_quote;
// A value for ENV/WORKDIR that BuildKit's word lexer reads back as exactly `s` (no variable
// expansion): double-quoted with \, " and $ escaped. `s` must not contain a newline.
std::string dockerfile_quote(std::string_view s);
// A shell word that reads back as `s` with each $NAME / ${NAME} in it left for the shell to
// expand (a secret exported in the same RUN step): 'https://__token__:'"${PAT}"'@host/simple'.
// `s` must hold no other '$' (spec::variable_refs says so).
std::string shell_quote_refs(std::string_view s);

// An ENV value as a Dockerfile expands it: $NAME, ${NAME}, ${NAME:-word} and ${NAME:+word} are
// left to BuildKit (the base's variables included), \$ in `s` is a dollar, every other '$',
// '"' and '\' is escaped. `s` must not contain a newline (spec::check_env_value checked it).
std::string dockerfile_env_quote(std::string_view s);

// A JSON string literal (for exec-form RUN and COPY arrays).
std::string json_quote(std::string_view s);
std::string json_array(const std::vector<std::string>& items);

} // namespace imgspec::render
