// The `${{ matrix.AXIS }}` references of a matrix spec: where they are in a string, and each
// image's tree with its values in their place.

#include "matrix_refs.hpp"

#include <algorithm>

namespace imgspec::spec::detail {

namespace {

using Kind = Node::Kind;

constexpr std::string_view ref_open = "${{";
constexpr std::string_view ref_prefix = "matrix.";

bool axis_char(char c) {
    return ascii_alnum(c) || c == '_' || c == '-';
}

std::size_t skip_blanks(std::string_view text, std::size_t i) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) {
        ++i;
    }
    return i;
}

void substitute_text(Node& n, const std::map<std::string, const AxisValue*>& chosen) {
    Refs r = find_refs(n.scalar);
    if (r.refs.empty()) {
        return;
    }
    // A value that is one reference to a list axis takes the value's type: a boolean for
    // `extendable`, a number that the reader then explains.
    if (r.refs.size() == 1 && r.refs[0].begin == 0 && r.refs[0].end == n.scalar.size()) {
        const AxisValue& v = *chosen.at(r.refs[0].axis);
        n.kind = v.node->is_scalar() ? v.node->kind : Kind::string;
        n.scalar = v.name;
        return;
    }
    std::string out;
    std::size_t at = 0;
    for (const auto& ref : r.refs) {
        out += n.scalar.substr(at, ref.begin - at) + chosen.at(ref.axis)->name;
        at = ref.end;
    }
    n.scalar = out + n.scalar.substr(at);
}

} // namespace

bool ascii_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

Refs find_refs(std::string_view text) {
    Refs out;
    for (std::size_t at = text.find(ref_open); at != std::string_view::npos;
         at = text.find(ref_open, at + 1)) {
        std::size_t i = skip_blanks(text, at + ref_open.size());
        if (text.substr(i, ref_prefix.size()) != ref_prefix) {
            continue;
        }
        i += ref_prefix.size();
        const std::size_t name_begin = i;
        while (i < text.size() && axis_char(text[i])) {
            ++i;
        }
        std::string name(text.substr(name_begin, i - name_begin));
        i = skip_blanks(text, i);
        if (name.empty() || text.substr(i, 2) != "}}") {
            out.malformed = true;
            continue;
        }
        out.refs.push_back({at, i + 2, std::move(name)});
    }
    return out;
}

bool valid_axis_name(std::string_view name) {
    return !name.empty() && (ascii_alnum(name[0]) || name[0] == '_') &&
           std::all_of(name.begin(), name.end(), axis_char);
}

void substitute_refs(Node& n, const std::map<std::string, const AxisValue*>& chosen) {
    if (n.kind == Kind::list) {
        for (auto& item : n.items) {
            substitute_refs(item, chosen);
        }
    } else if (n.kind == Kind::map) {
        for (auto& entry : n.entries) {
            substitute_refs(entry.second, chosen);
        }
    } else if (n.kind == Kind::string) {
        substitute_text(n, chosen);
    }
}

} // namespace imgspec::spec::detail
