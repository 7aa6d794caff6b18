// TOML -> Node through toml++.

#include "depth_scan.hpp"

#include <imgspec/spec/node.hpp>
#include <imgspec/spec/syntax_errors.hpp>
#include <imgspec/util/text_index.hpp>

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <sstream>
#include <string_view>

namespace imgspec::spec {
namespace {

std::string too_deep(int max_depth) {
    return fmt::format("nested deeper than {} levels", max_depth);
}

// Maps between byte offsets and toml++'s positions (1-based, the column counted in characters, a
// byte order mark not counted), in time independent of the line's length (util::TextIndex): one
// line may hold 100k floats, each looked up for its text.
class SourceText {
  public:
    explicit SourceText(std::string_view text) : m_text(text), m_index(text) {}

    Mark at_offset(std::size_t offset) const {
        util::TextIndex::Position p = m_index.position(offset);
        return {static_cast<int>(p.line), static_cast<int>(p.column)};
    }

    // The text of a region that lies on one line, as written.
    std::optional<std::string_view> text_of(const toml::source_region& region) const {
        std::optional<std::size_t> begin = offset_of(region.begin);
        std::optional<std::size_t> end = offset_of(region.end);
        if (!begin || !end || *end < *begin) {
            return std::nullopt;
        }
        return m_text.substr(*begin, *end - *begin);
    }

  private:
    std::optional<std::size_t> offset_of(const toml::source_position& position) const {
        return m_index.offset_of(position.line, position.column);
    }

    std::string_view m_text;
    util::TextIndex m_index;
};

// True when text is how this double was written: "3.10", "1_000.5", "+inf", "nan".
bool spells_float(std::string_view text, double value) {
    std::string digits;
    for (char c : text) {
        if (c != '_') {
            digits += c;
        }
    }
    std::string_view body = digits;
    const bool negative = body.starts_with('-');
    if (negative || body.starts_with('+')) {
        body.remove_prefix(1);
    }
    if (body == "inf") {
        return std::isinf(value) && std::signbit(value) == negative;
    }
    if (body == "nan") {
        return std::isnan(value);
    }
    double parsed = 0;
    auto [end, error] = std::from_chars(body.data(), body.data() + body.size(), parsed);
    return error == std::errc{} && end == body.data() + body.size() &&
           (negative ? -parsed : parsed) == value;
}

template <typename T> std::string iso_text(const T& value) {
    std::ostringstream out;
    out << value; // toml++ prints dates and times in RFC 3339 form
    return out.str();
}

// Thrown to stop converting; the reason is already a diagnostic.
struct Stop {};

class Converter {
  public:
    Converter(const std::string& file, const LoadLimits& limits, const SourceText& source,
              Diagnostics& diags)
        : m_file(file), m_limits(limits), m_source(source), m_diags(diags) {}

    // depth: the depth value has if it is a table or array; the root table's is 1.
    Node convert(const toml::node& value, int depth) {
        Node node;
        node.mark = mark_of(value.source().begin);
        if (++m_count > m_limits.max_nodes) {
            fail(node.mark,
                 fmt::format("the document has more than {} values", m_limits.max_nodes));
        }
        if ((value.is_table() || value.is_array()) && depth > m_limits.max_depth) {
            fail(node.mark, too_deep(m_limits.max_depth));
        }
        switch (value.type()) {
        case toml::node_type::table:
            node.kind = Node::Kind::map;
            convert_table(*value.as_table(), depth, node);
            break;
        case toml::node_type::array:
            node.kind = Node::Kind::list;
            node.items.reserve(value.as_array()->size());
            for (const toml::node& item : *value.as_array()) {
                m_path.push_back(fmt::format("[{}]", node.items.size()));
                node.items.push_back(convert(item, depth + 1));
                m_path.pop_back();
            }
            break;
        case toml::node_type::string:
            node.kind = Node::Kind::string;
            node.scalar = value.as_string()->get();
            break;
        case toml::node_type::integer:
            node.kind = Node::Kind::integer;
            node.scalar = int_text(*value.as_integer());
            break;
        case toml::node_type::floating_point:
            node.kind = Node::Kind::floating;
            node.scalar = float_text(*value.as_floating_point());
            break;
        case toml::node_type::boolean:
            node.kind = Node::Kind::boolean;
            node.scalar = value.as_boolean()->get() ? "true" : "false";
            break;
        case toml::node_type::date:
            node.kind = Node::Kind::string;
            node.scalar = iso_text(value.as_date()->get());
            break;
        case toml::node_type::time:
            node.kind = Node::Kind::string;
            node.scalar = iso_text(value.as_time()->get());
            break;
        case toml::node_type::date_time:
            node.kind = Node::Kind::string;
            node.scalar = iso_text(value.as_date_time()->get());
            break;
        case toml::node_type::none:
            break;
        }
        return node;
    }

  private:
    void convert_table(const toml::table& table, int depth, Node& node) {
        // toml::table keeps its keys sorted; a spec's entries are in source order.
        std::vector<std::pair<const toml::key*, const toml::node*>> entries;
        entries.reserve(table.size());
        for (const auto& [key, child] : table) {
            entries.emplace_back(&key, &child);
        }
        auto position = [](const toml::key* key) {
            const toml::source_position& begin = key->source().begin;
            return std::pair(begin.line, begin.column);
        };
        std::stable_sort(entries.begin(), entries.end(), [&](const auto& a, const auto& b) {
            return position(a.first) < position(b.first);
        });
        node.entries.reserve(entries.size());
        node.key_marks.reserve(entries.size());
        for (const auto& [key, child] : entries) {
            m_path.emplace_back(key->str());
            node.entries.emplace_back(std::string(key->str()), convert(*child, depth + 1));
            node.key_marks.push_back(mark_of(key->source().begin));
            m_path.pop_back();
        }
    }

    // As written when the source has it ("3.10" stays "3.10"), else the shortest text that reads
    // back as the same double.
    // As written ("0x1F", "1_000", "+1"), as YAML keeps it, so that a number where a string is
    // expected reads the same in both formats; the decimal when the source text is not at hand.
    std::string int_text(const toml::value<std::int64_t>& value) const {
        std::optional<std::string_view> text = m_source.text_of(value.source());
        if (text && !text->empty() &&
            text->find_first_not_of("+-0123456789abcdefABCDEFxob_") == std::string_view::npos) {
            return std::string(*text);
        }
        return fmt::format("{}", value.get());
    }

    std::string float_text(const toml::value<double>& value) const {
        std::optional<std::string_view> text = m_source.text_of(value.source());
        if (text && spells_float(*text, value.get())) {
            return std::string(*text);
        }
        return fmt::format("{}", value.get());
    }

    static Mark mark_of(const toml::source_position& position) {
        return {static_cast<int>(position.line), static_cast<int>(position.column)};
    }

    // The path of the container being filled, as the YAML loader reports it.
    std::string container_path() const {
        std::string out;
        for (std::size_t i = 0; i + 1 < m_path.size(); ++i) {
            const std::string& segment = m_path[i];
            if (!out.empty() && segment.front() != '[') {
                out += '.';
            }
            out += segment;
        }
        return out;
    }

    [[noreturn]] void fail(Mark mark, std::string message) {
        m_diags.error(m_file, mark, container_path(), std::move(message));
        throw Stop{};
    }

    const std::string& m_file;
    const LoadLimits& m_limits;
    const SourceText& m_source;
    Diagnostics& m_diags;
    std::size_t m_count = 0;
    std::vector<std::string> m_path; // down to the node being converted
};

} // namespace

Node load_toml(std::string_view text, const std::string& file, const LoadLimits& limits) {
    Diagnostics diags;
    SourceText source(text);
    if (std::optional<std::size_t> offset = detail::find_deep_toml(text, limits.max_depth)) {
        diags.error(file, source.at_offset(*offset), {}, too_deep(limits.max_depth));
        diags.throw_if_any();
    }

    toml::table table;
    auto parse_failed = [&](const toml::parse_error& error) {
        const toml::source_position& begin = error.source().begin;
        SyntaxError explained =
            explain_toml_error(text, {static_cast<int>(begin.line), static_cast<int>(begin.column)},
                               error.description());
        diags.error(file, explained.mark, {}, std::move(explained.message),
                    std::move(explained.hint));
    };
#if TOML_EXCEPTIONS
    try {
        table = toml::parse(text, std::string_view(file));
    } catch (const toml::parse_error& error) {
        parse_failed(error);
    }
#else
    toml::parse_result result = toml::parse(text, std::string_view(file));
    if (result) {
        table = std::move(result).table();
    } else {
        parse_failed(result.error());
    }
#endif
    diags.throw_if_any();

    if (table.empty()) {
        // As an empty YAML file: "nothing here" is the caller's to report, alike for both formats.
        Node empty;
        empty.mark = {1, 1};
        return empty;
    }
    std::optional<Node> root;
    try {
        root = Converter(file, limits, source, diags).convert(table, 1);
    } catch (const Stop&) {
        // The diagnostic is already in diags.
    }
    diags.throw_if_any();
    return std::move(*root);
}

} // namespace imgspec::spec
