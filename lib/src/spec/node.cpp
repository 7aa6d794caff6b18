#include <imgspec/spec/node.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>

namespace imgspec::spec {

const Node* Node::find(std::string_view key) const {
    // Specs hold a handful of keys per map, so a scan beats building an index.
    for (const auto& [name, value] : entries) {
        if (name == key) {
            return &value;
        }
    }
    return nullptr;
}

std::string describe(Node::Kind kind) {
    switch (kind) {
    case Node::Kind::null:
        return "null";
    case Node::Kind::boolean:
        return "a boolean";
    case Node::Kind::integer:
        return "an integer";
    case Node::Kind::floating:
        return "a number";
    case Node::Kind::string:
        return "a string";
    case Node::Kind::list:
        return "a list";
    case Node::Kind::map:
        return "a map";
    }
    return "unknown";
}

namespace {

enum class Format { yaml, toml };

std::optional<Format> format_of(const std::string& path) {
    std::string ext = std::filesystem::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (ext == ".yaml" || ext == ".yml") {
        return Format::yaml;
    }
    if (ext == ".toml") {
        return Format::toml;
    }
    return std::nullopt;
}

// Reads at most max_bytes + 1 bytes, so a huge file (or an endless one such as /dev/zero) costs
// no more than the limit. Returns nullopt after adding a diagnostic.
std::optional<std::string> read_limited(const std::string& path, std::size_t max_bytes,
                                        Diagnostics& diags) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                         &std::fclose);
    if (!file) {
        diags.error(path, {}, {}, fmt::format("cannot read the file: {}", std::strerror(errno)));
        return std::nullopt;
    }
    std::string data;
    char buffer[64 * 1024];
    while (true) {
        std::size_t n = std::fread(buffer, 1, sizeof buffer, file.get());
        if (n == 0) {
            break;
        }
        if (data.size() + n > max_bytes) {
            diags.error(path, {}, {},
                        fmt::format("the file is larger than {} bytes, the limit for a spec",
                                    max_bytes));
            return std::nullopt;
        }
        data.append(buffer, n);
    }
    if (std::ferror(file.get())) {
        // fopen() succeeds on a directory; the read is what fails (EISDIR).
        diags.error(path, {}, {}, fmt::format("cannot read the file: {}", std::strerror(errno)));
        return std::nullopt;
    }
    return data;
}

// The length of the UTF-8 sequence at text[i], or 0 when it is not valid UTF-8 (overlong forms,
// surrogates and code points past U+10FFFF included).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char lead = byte(i);
    if (lead < 0x80) {
        return 1;
    }
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        low = lead == 0xE0 ? 0xA0 : 0x80;  // overlong
        high = lead == 0xED ? 0x9F : 0xBF; // surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        low = lead == 0xF0 ? 0x90 : 0x80;  // overlong
        high = lead == 0xF4 ? 0x8F : 0xBF; // past U+10FFFF
    } else {
        return 0;
    }
    if (i + length > text.size() || byte(i + 1) < low || byte(i + 1) > high) {
        return 0;
    }
    for (std::size_t k = 2; k < length; ++k) {
        if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) {
            return 0;
        }
    }
    return length;
}

// A spec must be UTF-8 text. Both parsers take odd bytes in odd ways (yaml-cpp cuts a scalar at a
// NUL), so binary input is refused before either sees it, with the place of the first bad byte.
bool check_text(std::string_view text, const std::string& path, Diagnostics& diags) {
    int line = 1;
    int column = 1;
    for (std::size_t i = 0; i < text.size();) {
        std::size_t length = text[i] == '\0' ? 0 : utf8_sequence_length(text, i);
        if (length == 0) {
            diags.error(path, {line, column}, {},
                        fmt::format("not a text file: {}",
                                    text[i] == '\0' ? "it contains a NUL byte" : "invalid UTF-8"),
                        "a spec must be UTF-8 text");
            return false;
        }
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
        i += length;
    }
    return true;
}

} // namespace

Node load_file(const std::string& path, const LoadLimits& limits) {
    Diagnostics diags;
    std::optional<std::string> text = read_limited(path, limits.max_bytes, diags);
    if (!text) {
        diags.throw_if_any();
    }
    std::optional<Format> format = format_of(path);
    if (!format) {
        std::string ext = std::filesystem::path(path).extension().string();
        diags.error(path, {}, {},
                    ext.empty() ? std::string("cannot tell the spec's format: the file name has no "
                                              "extension")
                                : fmt::format("cannot tell the spec's format from '{}'", ext),
                    "name the file *.yaml, *.yml or *.toml");
        diags.throw_if_any();
    }
    if (!check_text(*text, path, diags)) {
        diags.throw_if_any();
    }
    return *format == Format::yaml ? load_yaml(*text, path, limits)
                                   : load_toml(*text, path, limits);
}

} // namespace imgspec::spec
