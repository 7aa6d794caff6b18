// YAML scalars as the 1.2 core schema reads them: plain integers, floats, booleans and nulls, and
// the core tags (!!str, !!int, ...) that may ask for one.

#include "yaml_scalars.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace imgspec::spec::detail {

namespace {

constexpr std::string_view core_tag_prefix = "tag:yaml.org,2002:";

template <typename IsDigit> bool all_digits(std::string_view s, IsDigit is_digit) {
    return !s.empty() && std::all_of(s.begin(), s.end(), is_digit);
}

bool is_decimal(char c) {
    return c >= '0' && c <= '9';
}
bool is_octal(char c) {
    return c >= '0' && c <= '7';
}
bool is_hex(char c) {
    return is_decimal(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

std::string_view without_sign(std::string_view s) {
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        s.remove_prefix(1);
    }
    return s;
}

bool is_core_int(std::string_view s) {
    if (s.starts_with("0o")) {
        return all_digits(s.substr(2), is_octal);
    }
    if (s.starts_with("0x")) {
        return all_digits(s.substr(2), is_hex);
    }
    return all_digits(without_sign(s), is_decimal);
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? | [-+]?\.(inf|Inf|INF) | \.(nan|NaN|NAN)
bool is_core_float(std::string_view s) {
    if (s == ".nan" || s == ".NaN" || s == ".NAN") {
        return true;
    }
    s = without_sign(s);
    if (s == ".inf" || s == ".Inf" || s == ".INF") {
        return true;
    }
    std::size_t i = 0;
    auto digits = [&] {
        std::size_t begin = i;
        while (i < s.size() && is_decimal(s[i])) {
            ++i;
        }
        return i - begin;
    };
    if (i < s.size() && s[i] == '.') {
        ++i;
        if (digits() == 0) {
            return false;
        }
    } else {
        if (digits() == 0) {
            return false;
        }
        if (i < s.size() && s[i] == '.') {
            ++i;
            digits();
        }
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
            ++i;
        }
        if (digits() == 0) {
            return false;
        }
    }
    return i == s.size();
}

} // namespace

// YAML 1.2 core schema: "yes", "on" and "010"-style octals are strings or decimals, not YAML 1.1's
// booleans and octals.
Node::Kind resolve_plain(std::string_view s) {
    if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") {
        return Node::Kind::null;
    }
    if (s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" || s == "FALSE") {
        return Node::Kind::boolean;
    }
    if (is_core_int(s)) {
        return Node::Kind::integer;
    }
    if (is_core_float(s)) {
        return Node::Kind::floating;
    }
    return Node::Kind::string;
}

std::string show_tag(const std::string& tag) {
    return tag.starts_with(core_tag_prefix) ? "!!" + tag.substr(core_tag_prefix.size()) : tag;
}

std::optional<Node::Kind> core_tag_kind(const std::string& tag) {
    if (!tag.starts_with(core_tag_prefix)) {
        return std::nullopt;
    }
    std::string_view name = std::string_view(tag).substr(core_tag_prefix.size());
    if (name == "null") {
        return Node::Kind::null;
    }
    if (name == "bool") {
        return Node::Kind::boolean;
    }
    if (name == "int") {
        return Node::Kind::integer;
    }
    if (name == "float") {
        return Node::Kind::floating;
    }
    if (name == "str") {
        return Node::Kind::string;
    }
    if (name == "seq") {
        return Node::Kind::list;
    }
    if (name == "map") {
        return Node::Kind::map;
    }
    return std::nullopt;
}

} // namespace imgspec::spec::detail
