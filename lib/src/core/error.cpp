#include <imgspec/core/error.hpp>

#include <fmt/format.h>

#include <cstdint>

namespace imgspec {

int exit_code(ErrorKind kind) {
    return static_cast<int>(kind);
}

namespace {

// The length of the valid UTF-8 sequence at text[i], or 0 (RFC 3629: no overlong forms, no
// surrogates, nothing past U+10FFFF).
std::size_t utf8_length(std::string_view text, std::size_t i) {
    auto byte = [&](std::size_t j) { return static_cast<unsigned char>(text[j]); };
    const unsigned char c = byte(i);
    std::size_t n = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF; // the second byte's range
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        low = c == 0xE0 ? 0xA0 : 0x80;
        high = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        low = c == 0xF0 ? 0x90 : 0x80;
        high = c == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if (i + n > text.size() || byte(i + 1) < low || byte(i + 1) > high) {
        return 0;
    }
    for (std::size_t j = i + 2; j < i + n; ++j) {
        if ((byte(j) & 0xC0) != 0x80) {
            return 0;
        }
    }
    return n;
}

void append_hex(std::string& out, unsigned char c) {
    out += fmt::format("\\x{:02x}", c);
}

// The code point of the valid n-byte UTF-8 sequence at p.
char32_t decode(const char* p, std::size_t n) {
    static constexpr unsigned char lead_mask[] = {0, 0x7F, 0x1F, 0x0F, 0x07};
    char32_t cp = static_cast<unsigned char>(p[0]) & lead_mask[n];
    for (std::size_t j = 1; j < n; ++j) {
        cp = (cp << 6) | (static_cast<unsigned char>(p[j]) & 0x3F);
    }
    return cp;
}

// Characters that print as nothing or reorder what follows: a bidi override (U+202E) or
// isolate, a zero-width space or joiner, the byte order mark (U+FEFF), the line and paragraph
// separators, the language tags. Printed as they are, they make a line read differently from
// what it says.
bool invisible(char32_t cp) {
    return cp == 0x00AD || cp == 0x061C || cp == 0x180E || (cp >= 0x200B && cp <= 0x200F) ||
           (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x206F) || cp == 0xFEFF ||
           (cp >= 0xFFF9 && cp <= 0xFFFB) || (cp >= 0xE0000 && cp <= 0xE007F);
}

} // namespace

std::string printable(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == 0x7F) {
            append_hex(out, c);
        } else if (c < 0x80) {
            out += static_cast<char>(c);
        } else if (std::size_t n = utf8_length(text, i); n == 0) {
            append_hex(out, c);
        } else if (c == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0) {
            // U+0080..U+009F, the C1 controls: a terminal may act on them (0x9B starts a CSI).
            append_hex(out, c);
            append_hex(out, static_cast<unsigned char>(text[i + 1]));
            i += 2;
            continue;
        } else if (char32_t cp = decode(text.data() + i, n); invisible(cp)) {
            out += fmt::format("\\u{{{:04x}}}", static_cast<std::uint32_t>(cp));
            i += n;
            continue;
        } else {
            out.append(text.substr(i, n));
            i += n;
            continue;
        }
        ++i;
    }
    return out;
}

const char* severity_name(Severity s) {
    return s == Severity::warning ? "warning" : "error";
}

std::string Diagnostic::format() const {
    std::string out = printable(file);
    if (mark.line > 0) {
        out += fmt::format(":{}", mark.line);
        if (mark.column > 0) {
            out += fmt::format(":{}", mark.column);
        }
    }
    out += fmt::format(": {}: ", severity_name(severity));
    if (!path.empty()) {
        out += printable(path) + ": ";
    }
    out += printable(message);
    if (!hint.empty()) {
        out += "\n  hint: " + printable(hint);
    }
    return out;
}

static std::string summarize(const std::vector<Diagnostic>& ds) {
    std::string out;
    for (const auto& d : ds) {
        if (!out.empty()) {
            out += '\n';
        }
        out += d.format();
    }
    return out;
}

SpecError::SpecError(std::vector<Diagnostic> diagnostics)
    : Error(ErrorKind::invalid_spec, summarize(diagnostics)),
      m_diagnostics(std::move(diagnostics)) {}

void Diagnostics::error(std::string file, Mark mark, std::string path, std::string message,
                        std::string hint) {
    m_list.push_back({std::move(file), mark, std::move(path), std::move(message), std::move(hint)});
}

void Diagnostics::throw_if_any() const {
    if (!m_list.empty()) {
        throw SpecError(m_list);
    }
}

} // namespace imgspec
