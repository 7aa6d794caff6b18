// The helpers the commands use on a matrix's images: their labels, --matrix picks, diagnostics
// merged over the images, and the part of an image's name a value gives.

#include "matrix_refs.hpp"

#include <imgspec/spec/matrix.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

namespace imgspec::spec {

namespace {

bool same_diagnostic(const Diagnostic& a, const Diagnostic& b) {
    return a.file == b.file && a.mark.line == b.mark.line && a.mark.column == b.mark.column &&
           a.path == b.path && a.message == b.message && a.hint == b.hint &&
           a.severity == b.severity;
}

// The axes and their values, for a hint: "python_version: 3.11, 3.12; variant: cpu, gpu".
std::string axes_text(const std::vector<Spec>& images) {
    std::vector<std::string> parts;
    for (std::size_t a = 0; a < images.front().matrix.size(); ++a) {
        std::vector<std::string> values;
        for (const auto& s : images) {
            const std::string& v = s.matrix[a].value;
            if (std::find(values.begin(), values.end(), v) == values.end()) {
                values.push_back(v);
            }
        }
        parts.push_back(images.front().matrix[a].axis + ": " + util::join(values, ", "));
    }
    return util::join(parts, "; ");
}

} // namespace

std::string matrix_label(const std::vector<MatrixValue>& values) {
    std::vector<std::string> parts;
    for (const auto& v : values) {
        parts.push_back(v.axis + "=" + v.value);
    }
    return util::join(parts, ", ");
}

MatrixValue parse_matrix_pick(std::string_view text) {
    const auto eq = text.find('=');
    if (eq == std::string_view::npos || eq == 0) {
        throw Error(ErrorKind::usage,
                    fmt::format("--matrix {}: expected AXIS=VALUE", printable(text)),
                    "e.g. --matrix python_version=3.12 (repeat it to pick more)");
    }
    return {std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

std::vector<Spec> select_matrix(std::vector<Spec> images, const MatrixFilter& filter) {
    if (filter.empty() || images.empty() || images.front().matrix.empty()) {
        return images;
    }
    const Spec& first = images.front();
    std::vector<std::string> axes;
    for (const auto& v : first.matrix) {
        axes.push_back(v.axis);
    }
    for (const auto& p : filter.picks) {
        if (std::find(axes.begin(), axes.end(), p.axis) == axes.end()) {
            std::string near = util::closest_match(p.axis, axes);
            throw Error(ErrorKind::usage,
                        fmt::format("--matrix {}={}: the matrix of {} has no axis '{}'",
                                    printable(p.axis), printable(p.value), printable(first.display),
                                    printable(p.axis)),
                        near.empty() ? "its axes: " + axes_text(images)
                                     : fmt::format("did you mean '{}'?", near));
        }
    }
    auto keep = [&](const Spec& s) {
        return std::all_of(s.matrix.begin(), s.matrix.end(), [&](const MatrixValue& v) {
            bool named = false, match = false;
            for (const auto& p : filter.picks) {
                named = named || p.axis == v.axis;
                match = match || p == v;
            }
            return !named || match;
        });
    };
    std::vector<Spec> kept;
    std::copy_if(images.begin(), images.end(), std::back_inserter(kept), keep);
    if (kept.empty()) {
        throw Error(
            ErrorKind::usage,
            fmt::format("--matrix: no image of {} has these values", printable(first.display)),
            "its axes: " + axes_text(images));
    }
    return kept;
}

std::vector<Diagnostic>
merge_matrix_diagnostics(const std::vector<std::vector<Diagnostic>>& per_image,
                         const std::vector<std::vector<MatrixValue>>& values) {
    // How many images have each diagnostic (once per image).
    std::vector<std::pair<Diagnostic, std::size_t>> counts;
    for (const auto& list : per_image) {
        std::vector<const Diagnostic*> seen;
        for (const auto& d : list) {
            auto same = [&](const Diagnostic* s) { return same_diagnostic(*s, d); };
            if (std::any_of(seen.begin(), seen.end(), same)) {
                continue;
            }
            seen.push_back(&d);
            auto it = std::find_if(counts.begin(), counts.end(),
                                   [&](const auto& c) { return same_diagnostic(c.first, d); });
            if (it == counts.end()) {
                counts.emplace_back(d, 1);
            } else {
                ++it->second;
            }
        }
    }
    std::vector<Diagnostic> out;
    for (std::size_t i = 0; i < per_image.size(); ++i) {
        for (const auto& d : per_image[i]) {
            auto it = std::find_if(counts.begin(), counts.end(),
                                   [&](const auto& c) { return same_diagnostic(c.first, d); });
            if (it->second == per_image.size()) {
                auto same = [&](const Diagnostic& o) { return same_diagnostic(o, d); };
                if (std::none_of(out.begin(), out.end(), same)) {
                    out.push_back(d);
                }
                continue;
            }
            Diagnostic tagged = d;
            tagged.message += fmt::format(" (matrix: {})", matrix_label(values[i]));
            auto same = [&](const Diagnostic& o) { return same_diagnostic(o, tagged); };
            if (std::none_of(out.begin(), out.end(), same)) {
                out.push_back(std::move(tagged));
            }
        }
    }
    return out;
}

std::string matrix_name_part(std::string_view value) {
    std::string out;
    std::string run; // the separators since the last letter or digit
    for (char c : value) {
        if (detail::ascii_alnum(c)) {
            if (!out.empty() && !run.empty()) {
                bool kept = run == "." || run == "_" || run == "__" ||
                            run.find_first_not_of('-') == std::string::npos;
                out += kept ? run : "-";
            }
            run.clear();
            out += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        } else {
            run += c;
        }
    }
    return out;
}

} // namespace imgspec::spec
