// YAML -> Node through yaml-cpp's event API rather than YAML::Load: the events carry every mark and
// tag, and keep aliases as references, so an alias bomb is measured before anything is expanded.

#include "depth_scan.hpp"
#include "yaml_scalars.hpp"

#include <imgspec/spec/node.hpp>
#include <imgspec/spec/syntax_errors.hpp>
#include <imgspec/util/text_index.hpp>

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <istream>
#include <optional>
#include <streambuf>
#include <unordered_map>
#include <utility>

namespace imgspec::spec {
namespace {

using detail::core_tag_kind;
using detail::resolve_plain;
using detail::show_tag;

// Turns byte offsets and yaml-cpp marks (0-based, columns in bytes) into 1-based marks whose
// column counts characters, as the TOML loader's do and as editors show them. Each takes time
// independent of the line's length (util::TextIndex): one line may hold 100k values.
class LineIndex {
  public:
    explicit LineIndex(std::string_view text) : m_index(text) {}

    Mark at_offset(std::size_t offset) const {
        util::TextIndex::Position p = m_index.position(offset);
        return {static_cast<int>(p.line), static_cast<int>(p.column)};
    }

    Mark at(const YAML::Mark& mark) const {
        if (mark.line < 0 || mark.column < 0) {
            return {};
        }
        auto line = static_cast<std::size_t>(mark.line) + 1;
        if (line > m_index.lines()) {
            return {mark.line + 1, mark.column + 1};
        }
        // yaml-cpp does not count a byte order mark as part of line 1; neither does line_start.
        std::size_t begin = m_index.line_start(line);
        std::size_t offset = begin + static_cast<std::size_t>(mark.column);
        return {mark.line + 1, static_cast<int>(m_index.characters(begin, offset)) + 1};
    }

  private:
    util::TextIndex m_index;
};

std::string too_deep(int max_depth) {
    return fmt::format("nested deeper than {} levels", max_depth);
}

// --- Tree ------------------------------------------------------------------------------------

// Thrown by the builder to stop the parser once going on is pointless or unsafe; the reason is
// already a diagnostic.
struct Stop {};

// A node as parsed, before aliases are expanded: an alias refers to its anchor's node, so a
// "billion laughs" document stays as small as its text while its expanded size is counted.
struct RawNode {
    Node::Kind kind = Node::Kind::null;
    std::string scalar;
    Mark mark;
    std::vector<std::size_t> children;   // list: items; map: key, value, key, value, ...
    std::optional<std::size_t> alias_of; // an alias: the anchored node it repeats
    std::size_t size = 1;                // Nodes once aliases are expanded
    int height = 0;                      // containers on the longest path down, likewise
    bool complete = false;               // an alias to an incomplete node would be a cycle
};

class Builder : public YAML::EventHandler {
  public:
    Builder(const std::string& file, const LoadLimits& limits, const LineIndex& lines,
            Diagnostics& diags)
        : m_file(file), m_limits(limits), m_lines(lines), m_diags(diags) {}

    void OnDocumentStart(const YAML::Mark& mark) override {
        if (++m_documents > 1) {
            fail(mark, "a spec is one YAML document, but a second one starts here",
                 "remove the '---' line, or split the file");
        }
    }
    void OnDocumentEnd() override {}

    void OnAnchor(const YAML::Mark&, const std::string& name) override { m_anchor_name = name; }

    // yaml-cpp reports plain ~, null, Null, NULL and empty scalars here, without their text.
    void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        attach(add(Node::Kind::null, {}, mark, anchor));
    }

    void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  const std::string& value) override {
        attach(add(scalar_kind(mark, tag, value), value, mark, anchor));
    }

    void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        // yaml-cpp itself refuses an alias to an anchor not yet defined.
        const auto& [target, name] = m_anchors.at(anchor);
        if (!m_nodes[target].complete) {
            fail(mark, fmt::format("alias '*{}' is inside the node it refers to", name));
        }
        if (static_cast<int>(m_stack.size()) + m_nodes[target].height > m_limits.max_depth) {
            fail(mark, too_deep(m_limits.max_depth));
        }
        const RawNode& original = m_nodes[target];
        RawNode alias;
        alias.kind = original.kind;
        alias.scalar = original.scalar;
        alias.mark = m_lines.at(mark);
        alias.alias_of = target;
        alias.size = original.size;
        alias.height = original.height;
        alias.complete = true;
        m_nodes.push_back(std::move(alias));
        attach(m_nodes.size() - 1);
    }

    void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value) override {
        open(Node::Kind::list, mark, tag, anchor);
    }
    void OnSequenceEnd() override { close(); }

    void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value) override {
        open(Node::Kind::map, mark, tag, anchor);
    }
    void OnMapEnd() override { close(); }

    std::optional<std::size_t> root() const { return m_root; }

    // The key path of the innermost open container, such as "layers[3].env".
    std::string path() const {
        std::string out;
        for (const Frame& frame : m_stack) {
            if (!frame.segment.empty() && frame.segment.front() != '[' && !out.empty()) {
                out += '.';
            }
            out += frame.segment;
        }
        return out;
    }

    // Recursion is safe here: open() and OnAlias() kept the expanded depth within max_depth.
    Node materialize(std::size_t index) const {
        const RawNode& raw = m_nodes[index];
        if (raw.alias_of) {
            Node node = materialize(*raw.alias_of);
            node.mark = raw.mark; // point at the alias, where the value is used
            return node;
        }
        Node node;
        node.kind = raw.kind;
        node.scalar = raw.scalar;
        node.mark = raw.mark;
        if (raw.kind == Node::Kind::list) {
            node.items.reserve(raw.children.size());
            for (std::size_t child : raw.children) {
                node.items.push_back(materialize(child));
            }
        } else if (raw.kind == Node::Kind::map) {
            node.entries.reserve(raw.children.size() / 2);
            node.key_marks.reserve(raw.children.size() / 2);
            for (std::size_t i = 0; i + 1 < raw.children.size(); i += 2) {
                const RawNode& key = m_nodes[raw.children[i]];
                node.entries.emplace_back(key.scalar, materialize(raw.children[i + 1]));
                node.key_marks.push_back(key.mark);
            }
        }
        return node;
    }

  private:
    struct Frame {
        std::size_t node;
        std::string segment; // this container's place in its parent: "name", "[3]" or ""
        std::unordered_map<std::string, int> key_lines; // map: each key's first line
        std::optional<std::size_t> pending_key;         // map: a key waiting for its value
        bool drop_value = false; // map: the pending key was refused, so is its value
    };

    void error(const YAML::Mark& mark, std::string message, std::string hint = {}) {
        error(m_lines.at(mark), std::move(message), std::move(hint));
    }
    void error(Mark mark, std::string message, std::string hint = {}) {
        m_diags.error(m_file, mark, path(), std::move(message), std::move(hint));
    }
    [[noreturn]] void fail(const YAML::Mark& mark, std::string message, std::string hint = {}) {
        fail(m_lines.at(mark), std::move(message), std::move(hint));
    }
    [[noreturn]] void fail(Mark mark, std::string message, std::string hint = {}) {
        error(mark, std::move(message), std::move(hint));
        throw Stop{};
    }

    Node::Kind scalar_kind(const YAML::Mark& mark, const std::string& tag,
                           const std::string& value) {
        if (tag == "?") { // plain
            return resolve_plain(value);
        }
        if (tag == "!") { // quoted, or a block scalar
            return Node::Kind::string;
        }
        std::optional<Node::Kind> wanted = core_tag_kind(tag);
        if (wanted == Node::Kind::string) {
            return Node::Kind::string;
        }
        if (wanted && wanted != Node::Kind::list && wanted != Node::Kind::map) {
            if (resolve_plain(value) != *wanted) {
                error(mark, fmt::format("'{}' is not a valid {}", value, show_tag(tag)));
            }
            return *wanted;
        }
        error(mark, fmt::format("unsupported tag '{}'", show_tag(tag)), "remove the tag");
        return Node::Kind::string;
    }

    std::size_t add(Node::Kind kind, std::string scalar, const YAML::Mark& mark,
                    YAML::anchor_t anchor) {
        RawNode node;
        node.kind = kind;
        node.scalar = std::move(scalar);
        node.mark = m_lines.at(mark);
        node.complete = kind != Node::Kind::list && kind != Node::Kind::map;
        node.height = node.complete ? 0 : 1;
        m_nodes.push_back(std::move(node));
        std::size_t index = m_nodes.size() - 1;
        if (anchor != YAML::NullAnchor) {
            // Registered before the node's contents are read, so an alias inside it is caught.
            m_anchors[anchor] = {index, std::exchange(m_anchor_name, {})};
        }
        return index;
    }

    void open(Node::Kind kind, const YAML::Mark& mark, const std::string& tag,
              YAML::anchor_t anchor) {
        if (tag != "?" && tag != "!" && core_tag_kind(tag) != kind) {
            error(mark, fmt::format("unsupported tag '{}'", show_tag(tag)), "remove the tag");
        }
        if (static_cast<int>(m_stack.size()) + 1 > m_limits.max_depth) {
            fail(mark, too_deep(m_limits.max_depth));
        }
        std::string segment;
        if (!m_stack.empty()) {
            const Frame& parent = m_stack.back();
            const RawNode& parent_node = m_nodes[parent.node];
            if (parent_node.kind == Node::Kind::list) {
                segment = fmt::format("[{}]", parent_node.children.size());
            } else if (parent.pending_key) {
                segment = m_nodes[*parent.pending_key].scalar;
            }
        }
        std::size_t index = add(kind, {}, mark, anchor);
        m_stack.push_back({index, std::move(segment), {}, {}, false});
    }

    void close() {
        std::size_t index = m_stack.back().node;
        m_stack.pop_back();
        m_nodes[index].complete = true;
        attach(index);
    }

    // Hands a finished node to the open container, or makes it the document.
    void attach(std::size_t index) {
        if (m_stack.empty()) {
            m_root = index;
            return;
        }
        Frame& frame = m_stack.back();
        if (m_nodes[frame.node].kind == Node::Kind::map) {
            if (!frame.pending_key) {
                frame.pending_key = index;
                frame.drop_value = !accept_key(frame, m_nodes[index]);
                return;
            }
            std::size_t key = *std::exchange(frame.pending_key, std::nullopt);
            if (frame.drop_value) {
                return;
            }
            m_nodes[frame.node].children.push_back(key);
        }
        m_nodes[frame.node].children.push_back(index);
        RawNode& parent = m_nodes[frame.node];
        const RawNode& child = m_nodes[index];
        parent.size += child.size;
        parent.height = std::max(parent.height, child.height + 1);
        if (parent.size > m_limits.max_nodes) {
            fail(child.mark,
                 fmt::format("the document has more than {} values once aliases are expanded",
                             m_limits.max_nodes),
                 "aliases that repeat aliases multiply; write the values out instead");
        }
    }

    bool accept_key(Frame& frame, const RawNode& key) {
        if (key.kind == Node::Kind::null || key.kind == Node::Kind::list ||
            key.kind == Node::Kind::map) {
            error(key.mark, fmt::format("a map key must be a string, number or boolean, not {}",
                                        describe(key.kind)));
            return false;
        }
        auto [first, inserted] = frame.key_lines.try_emplace(key.scalar, key.mark.line);
        if (!inserted) {
            error(key.mark,
                  fmt::format("duplicate key '{}' (first at line {})", key.scalar, first->second));
            return false;
        }
        return true;
    }

    const std::string& m_file;
    const LoadLimits& m_limits;
    const LineIndex& m_lines;
    Diagnostics& m_diags;
    std::vector<RawNode> m_nodes;
    std::vector<Frame> m_stack;
    std::unordered_map<YAML::anchor_t, std::pair<std::size_t, std::string>> m_anchors;
    std::string m_anchor_name; // from OnAnchor, for the node that follows it
    std::optional<std::size_t> m_root;
    int m_documents = 0;
};

// Lets yaml-cpp read the text in place rather than from a copy in a std::istringstream.
class ViewBuffer : public std::streambuf {
  public:
    explicit ViewBuffer(std::string_view text) {
        // std::streambuf wants char*, but the get area is only read.
        char* begin = const_cast<char*>(text.data());
        setg(begin, begin, begin + text.size());
    }
};

} // namespace

Node load_yaml(std::string_view text, const std::string& file, const LoadLimits& limits) {
    Diagnostics diags;
    LineIndex lines(text);
    if (std::optional<std::size_t> offset = detail::find_deep_flow(text, limits.max_depth)) {
        diags.error(file, lines.at_offset(*offset), {}, too_deep(limits.max_depth));
        diags.throw_if_any();
    }

    ViewBuffer buffer(text);
    std::istream stream(&buffer);
    Builder builder(file, limits, lines, diags);
    try {
        YAML::Parser parser(stream);
        while (parser.HandleNextDocument(builder)) {
        }
    } catch (const Stop&) {
        // The diagnostic is already in diags.
    } catch (const YAML::DeepRecursion& e) {
        // Only reached when max_depth is above yaml-cpp's own limit. Its message is "bad file".
        diags.error(
            file, lines.at(e.mark), builder.path(),
            fmt::format("nested deeper than the YAML parser allows ({} levels)", e.depth()));
    } catch (const YAML::ParserException& e) {
        SyntaxError explained = explain_yaml_error(text, lines.at(e.mark), e.msg);
        diags.error(file, explained.mark, builder.path(), std::move(explained.message),
                    std::move(explained.hint));
    }
    diags.throw_if_any();

    std::optional<std::size_t> root = builder.root();
    if (!root) {
        Node empty; // no document at all: the caller says what it expected
        empty.mark = {1, 1};
        return empty;
    }
    return builder.materialize(*root);
}

} // namespace imgspec::spec
