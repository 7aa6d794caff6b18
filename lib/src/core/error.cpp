#include <imgspec/core/error.hpp>

#include <fmt/format.h>

namespace imgspec {

int exit_code(ErrorKind kind) { return static_cast<int>(kind); }

const char* severity_name(Severity s) {
    return s == Severity::warning ? "warning" : "error";
}

std::string Diagnostic::format() const {
    std::string out = file;
    if (mark.line > 0) {
        out += fmt::format(":{}", mark.line);
        if (mark.column > 0) {
            out += fmt::format(":{}", mark.column);
        }
    }
    out += fmt::format(": {}: ", severity_name(severity));
    if (!path.empty()) {
        out += path + ": ";
    }
    out += message;
    if (!hint.empty()) {
        out += fmt::format("\n  hint: {}", hint);
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
    : Error(ErrorKind::invalid_spec, summarize(diagnostics)), m_diagnostics(std::move(diagnostics)) {}

void Diagnostics::error(std::string file, Mark mark, std::string path, std::string message,
                        std::string hint) {
    m_list.push_back(
        {std::move(file), mark, std::move(path), std::move(message), std::move(hint)});
}

void Diagnostics::throw_if_any() const {
    if (!m_list.empty()) {
        throw SpecError(m_list);
    }
}

} // namespace imgspec
