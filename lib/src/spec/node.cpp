#include <imgspec/spec/node.hpp>

#include <imgspec/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

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

// A file-level problem: one diagnostic, nothing else to collect.
[[noreturn]] void refuse(const std::string& path, Mark mark, std::string message,
                         std::string hint = {}) {
    throw SpecError({Diagnostic{path, mark, {}, std::move(message), std::move(hint)}});
}

Format format_of(const std::string& path) {
    std::string ext = std::filesystem::path(path).extension().string();
    std::string lower = util::to_lower(ext);
    if (lower == ".yaml" || lower == ".yml") {
        return Format::yaml;
    }
    if (lower == ".toml") {
        return Format::toml;
    }
    refuse(path, {},
           ext.empty()
               ? std::string("cannot tell the spec's format: the file name has no extension")
               : fmt::format("cannot tell the spec's format from '{}'", ext),
           "name the file *.yaml, *.yml or *.toml");
}

// Reads at most max_bytes + 1 bytes, so a huge file (or an endless one such as /dev/zero) costs
// no more than the limit.
std::string read_limited(std::FILE* file, const std::string& path, std::size_t max_bytes) {
    std::string data;
    char buffer[64 * 1024];
    while (std::size_t n = std::fread(buffer, 1, sizeof buffer, file)) {
        if (data.size() + n > max_bytes) {
            refuse(
                path, {},
                fmt::format("the file is larger than {} bytes, the limit for a spec", max_bytes));
        }
        data.append(buffer, n);
    }
    if (std::ferror(file)) {
        // fopen() succeeds on a directory; the read is what fails (EISDIR).
        refuse(path, {}, fmt::format("cannot read the file: {}", std::strerror(errno)));
    }
    return data;
}

std::string read_limited(const std::string& path, std::size_t max_bytes) {
    auto close = [](std::FILE* f) { std::fclose(f); };
    std::unique_ptr<std::FILE, decltype(close)> file(std::fopen(path.c_str(), "rb"), close);
    if (!file) {
        refuse(path, {}, fmt::format("cannot read the file: {}", std::strerror(errno)));
    }
    return read_limited(file.get(), path, max_bytes);
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

// A spec must be UTF-8 text. The parsers take odd bytes in odd ways (yaml-cpp ends a scalar at a
// NUL), so binary input is refused before either sees it, at the first bad byte.
void check_text(std::string_view text, const std::string& path) {
    int line = 1;
    int column = 1;
    for (std::size_t i = 0; i < text.size();) {
        std::size_t length = text[i] == '\0' ? 0 : utf8_sequence_length(text, i);
        if (length == 0) {
            refuse(path, {line, column},
                   fmt::format("not a text file: {}",
                               text[i] == '\0' ? "it contains a NUL byte" : "invalid UTF-8"),
                   "a spec must be UTF-8 text");
        }
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
        i += length;
    }
}

} // namespace

Node load_file(const std::string& path, const LoadLimits& limits) {
    // Read first: for a missing file, "cannot read" says more than a complaint about its name.
    std::string text = read_limited(path, limits.max_bytes);
    Format format = format_of(path);
    check_text(text, path);
    return format == Format::yaml ? load_yaml(text, path, limits) : load_toml(text, path, limits);
}

Node load_stdin(Format format, const std::string& name, const LoadLimits& limits) {
    std::string text = read_limited(stdin, name, limits.max_bytes);
    check_text(text, name);
    return format == Format::yaml ? load_yaml(text, name, limits) : load_toml(text, name, limits);
}

} // namespace imgspec::spec
