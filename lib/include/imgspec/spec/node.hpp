#pragma once
// A spec file as a format-neutral tree. YAML and TOML both load into it, so one reader turns either
// into the spec model and both formats give the same result.

#include <imgspec/core/error.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace imgspec::spec {

struct Node {
    enum class Kind { null, boolean, integer, floating, string, list, map };

    // Declared so that clang 14 with libstdc++ 12 (the fuzz build) does not check the default
    // constructor of entries' std::pair while Node is still incomplete, which fails to compile.
    Node() = default;

    Kind kind = Kind::null;
    // The scalar as written (YAML) or as printed canonically (TOML): "true", "42", "3.10", "abc".
    // TOML integers and floats keep their source text ("0x1F", "1_000"), as YAML's do.
    // Empty for null: yaml-cpp does not keep the text of ~ or null.
    std::string scalar;
    std::vector<Node> items;                           // kind == list
    std::vector<std::pair<std::string, Node>> entries; // kind == map, in source order
    std::vector<Mark> key_marks; // kind == map, one per entry: the key's place
    Mark mark;                   // where the value starts

    bool is_scalar() const { return kind != Kind::list && kind != Kind::map && kind != Kind::null; }
    // The entry with this key, or nullptr.
    const Node* find(std::string_view key) const;
};

// The kind's name as used in messages: "a string", "a list", "a map", ...
std::string describe(Node::Kind kind);

// Limits that keep hostile input from exhausting memory or the stack.
struct LoadLimits {
    std::size_t max_bytes = 4u << 20;  // a spec larger than 4 MiB is refused
    std::size_t max_nodes = 1'000'000; // after alias expansion
    int max_depth = 64;
};

// Parse a YAML document. Plain scalars are typed by YAML 1.2 core schema rules (null, true/false,
// integers, floats); quoted scalars are always strings. Duplicate keys, aliases that expand past
// max_nodes, nesting past max_depth and syntax errors are diagnostics.
// Throws SpecError with every diagnostic (file, line, column). Columns count characters, as in
// TOML. An empty document gives a null node.
Node load_yaml(std::string_view text, const std::string& file, const LoadLimits& limits = {});

// Parse a TOML document (toml++). Dates and times become strings in RFC 3339 form. A document
// with no keys gives a null node, as an empty YAML document does.
// Throws SpecError with the parse error's file, line and column.
Node load_toml(std::string_view text, const std::string& file, const LoadLimits& limits = {});

// Read a file and parse it by extension: .yaml/.yml -> YAML, .toml -> TOML.
// Throws SpecError (unreadable, too large, unknown extension, not UTF-8 text, parse errors).
Node load_file(const std::string& path, const LoadLimits& limits = {});

enum class Format { yaml, toml };

// Read standard input to its end and parse it as `format`; `name` ("<stdin>") stands for the file
// in messages. Throws SpecError as load_file does.
Node load_stdin(Format format, const std::string& name, const LoadLimits& limits = {});

} // namespace imgspec::spec
