#include <imgspec/render/quote.hpp>

#include <fmt/format.h>

#include <cctype>

namespace imgspec::render {

std::string dockerfile_quote(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '\\' || c == '"' || c == '$') {
            out += '\\';
        }
        out += c;
    }
    out += '"';
    return out;
}

std::string shell_quote_refs(std::string_view s) {
    std::string out;
    std::size_t literal = 0;
    auto flush = [&](std::size_t end) {
        if (end > literal) {
            out += shell_quote(s.substr(literal, end - literal));
        }
    };
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '$' || i + 1 >= s.size()) {
            continue;
        }
        bool braced = s[i + 1] == '{';
        std::size_t begin = i + (braced ? 2 : 1);
        std::size_t end = begin;
        while (end < s.size() &&
               (std::isalnum(static_cast<unsigned char>(s[end])) || s[end] == '_')) {
            ++end;
        }
        if (end == begin || (braced && (end >= s.size() || s[end] != '}'))) {
            continue;
        }
        flush(i);
        out += "\"${" + std::string(s.substr(begin, end - begin)) + "}\"";
        i = braced ? end : end - 1;
        literal = i + 1;
    }
    flush(s.size());
    return out.empty() ? "''" : out;
}

std::string dockerfile_env_quote(std::string_view s) {
    std::string out = "\"";
    auto escaped = [&out](char c) {
        if (c == '\\' || c == '"' || c == '$') {
            out += '\\';
        }
        out += c;
    };
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '\\' && i + 1 < s.size() && s[i + 1] == '$') {
            out += "\\$";
            ++i;
        } else if (c == '$' && i + 1 < s.size() && s[i + 1] == '{' &&
                   s.find('}', i) != std::string_view::npos) {
            // ${NAME...}: copied to its '}', the word's quotes and backslashes escaped.
            std::size_t close = s.find('}', i);
            out += "${";
            for (std::size_t j = i + 2; j < close; ++j) {
                if (s[j] == '\\' || s[j] == '"') {
                    out += '\\';
                }
                out += s[j];
            }
            out += '}';
            i = close;
        } else if (c == '$' && i + 1 < s.size() &&
                   (std::isalpha(static_cast<unsigned char>(s[i + 1])) || s[i + 1] == '_')) {
            out += c; // $NAME
        } else {
            escaped(c);
        }
    }
    return out + '"';
}

std::string json_quote(std::string_view s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                out += fmt::format("\\u{:04x}", c);
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    out += '"';
    return out;
}

std::string json_array(const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) {
            out += ", ";
        }
        out += json_quote(items[i]);
    }
    out += ']';
    return out;
}

} // namespace imgspec::render
