// A spec's `matrix:` expanded into one spec tree per image (see matrix.hpp): its axes read and
// checked, then one tree per combination of their values. The references' syntax is in
// matrix_refs.cpp; the helpers on the images (--matrix picks, merged diagnostics) in
// matrix_picks.cpp.

#include "matrix_refs.hpp"
#include "reader.hpp"

#include <imgspec/spec/matrix.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

namespace imgspec::spec {

namespace {

using Kind = Node::Kind;
using detail::AxisValue;
using detail::find_refs;
using detail::Reader;
using detail::Refs;
using detail::valid_axis_name;

constexpr const char* ref_syntax = "write a reference as ${{ matrix.AXIS }}";

struct Axis {
    std::string name;
    std::string path; // "matrix.<name>"
    Mark mark;        // the axis's key
    bool overlays = false;
    std::vector<AxisValue> values;
};

Node* find_entry(Node& map, std::string_view key) {
    for (auto& [k, v] : map.entries) {
        if (k == key) {
            return &v;
        }
    }
    return nullptr;
}

// Sets `key` of the map `root` to `value` (its key at `key_mark`), in place or at the end.
void set_entry(Node& root, const std::string& key, const Node& value, Mark key_mark) {
    for (std::size_t i = 0; i < root.entries.size(); ++i) {
        if (root.entries[i].first == key) {
            root.entries[i].second = value;
            root.key_marks[i] = key_mark;
            return;
        }
    }
    root.entries.emplace_back(key, value);
    root.key_marks.push_back(key_mark);
}

class Expander {
  public:
    Expander(const Node& root, const std::string& file, Diagnostics& diags)
        : m_root(root), m_reader(file, diags), m_diags(diags) {}

    std::vector<MatrixImage> run() {
        const std::size_t before = m_diags.list().size();
        const Node& matrix = *m_root.find("matrix");
        read_axes(matrix);
        if (m_diags.list().size() != before) {
            return {};
        }
        check_refs();
        check_count(matrix);
        check_name(matrix);
        if (m_diags.list().size() != before) {
            return {};
        }
        std::vector<MatrixImage> out;
        std::vector<std::size_t> pick(m_axes.size(), 0);
        do {
            out.push_back(image(pick));
        } while (next(pick));
        if (m_diags.list().size() != before) {
            return {};
        }
        return out;
    }

  private:
    void read_axes(const Node& m) {
        if (m.kind != Kind::map) {
            m_reader.type_error(m, "matrix",
                                "a map of axis -> list of values or map of value name -> overlay");
            return;
        }
        if (m.entries.empty()) {
            m_reader.error(m, "matrix", "the matrix has no axes",
                           "give an axis, e.g. python_version: [\"3.11\", \"3.12\"], or remove "
                           "'matrix'");
            return;
        }
        for (std::size_t i = 0; i < m.entries.size(); ++i) {
            read_axis(m.entries[i].first, m.key_marks[i], m.entries[i].second);
        }
    }

    void read_axis(const std::string& name, Mark key_mark, const Node& v) {
        Axis axis{name, Reader::join_path("matrix", name), key_mark, v.kind == Kind::map, {}};
        if (!valid_axis_name(name)) {
            m_reader.error_at(key_mark, axis.path,
                              fmt::format("'{}' is not a valid axis name", name),
                              "use letters, digits, '_' and '-', starting with a letter or '_'");
        }
        if (v.kind == Kind::list) {
            list_values(axis, v);
        } else if (v.kind == Kind::map) {
            overlay_values(axis, v);
        } else if (v.kind != Kind::null) {
            m_reader.type_error(v, axis.path, "a list of values or a map of value name -> overlay");
            return;
        }
        if (v.items.empty() && v.entries.empty()) {
            m_reader.error(v, axis.path, "the axis has no values",
                           "give it at least one value, or remove it");
        }
        m_axes.push_back(std::move(axis));
    }

    void list_values(Axis& axis, const Node& v) {
        for (std::size_t i = 0; i < v.items.size(); ++i) {
            const Node& item = v.items[i];
            const std::string path = fmt::format("{}[{}]", axis.path, i);
            if (!item.is_scalar()) {
                m_reader.type_error(item, path, "a string, number or boolean");
                continue;
            }
            auto same = [&](const AxisValue& a) { return a.name == item.scalar; };
            if (std::any_of(axis.values.begin(), axis.values.end(), same)) {
                m_reader.error(item, path, fmt::format("'{}' is given twice", item.scalar));
                continue;
            }
            axis.values.push_back({item.scalar, &item, item.mark});
        }
    }

    void overlay_values(Axis& axis, const Node& v) {
        const std::vector<std::string>& allowed = detail::top_level_keys();
        for (std::size_t i = 0; i < v.entries.size(); ++i) {
            const auto& [name, overlay] = v.entries[i];
            const std::string path = Reader::join_path(axis.path, name);
            if (overlay.kind == Kind::map) {
                m_reader.check_keys(overlay, path, allowed);
            } else if (overlay.kind != Kind::null) {
                m_reader.type_error(overlay, path,
                                    "an overlay: a map of top-level spec keys (or {} for none)");
                continue;
            }
            axis.values.push_back({name, &overlay, v.key_marks[i]});
        }
    }

    // Every reference names an axis; every axis is used (referenced, or an overlay of its own).
    void check_refs() {
        std::set<std::string> used;
        for (const auto& [key, value] : m_root.entries) {
            if (key != "matrix") {
                walk(value, key, used);
            }
        }
        for (const auto& axis : m_axes) {
            if (!axis.overlays) {
                continue;
            }
            for (const auto& v : axis.values) {
                walk(*v.node, Reader::join_path(axis.path, v.name), used);
            }
        }
        if (const Node* name = m_root.find("name"); name != nullptr && name->kind == Kind::string) {
            m_name_refs = !find_refs(name->scalar).refs.empty();
        }
        for (const auto& axis : m_axes) {
            auto empty = [](const AxisValue& v) { return v.node->entries.empty(); };
            bool changes =
                axis.overlays && !std::all_of(axis.values.begin(), axis.values.end(), empty);
            if (used.count(axis.name) == 0 && !changes) {
                m_reader.error_at(
                    axis.mark, axis.path,
                    "the axis is never used: its images would differ in their name only",
                    fmt::format("reference it as ${{{{ matrix.{} }}}} in a value (an env var, a "
                                "base image, python_version), or remove it",
                                axis.name));
            }
        }
    }

    void check_ref_text(Mark mark, const std::string& path, std::string_view text,
                        std::set<std::string>& used) {
        Refs r = find_refs(text);
        if (r.malformed) {
            m_reader.error_at(mark, path, "a malformed matrix reference", ref_syntax);
        }
        for (const auto& ref : r.refs) {
            if (axis(ref.axis) != nullptr) {
                used.insert(ref.axis);
                continue;
            }
            std::vector<std::string> names;
            for (const auto& a : m_axes) {
                names.push_back(a.name);
            }
            std::string near = util::closest_match(ref.axis, names);
            m_reader.error_at(mark, path,
                              fmt::format("'{}' is not an axis of the matrix", ref.axis),
                              near.empty() ? "its axes: " + util::join(names, ", ")
                                           : fmt::format("did you mean '{}'?", near));
        }
    }

    void walk(const Node& n, const std::string& path, std::set<std::string>& used) {
        if (n.kind == Kind::string) {
            check_ref_text(n.mark, path, n.scalar, used);
        } else if (n.kind == Kind::list) {
            for (std::size_t i = 0; i < n.items.size(); ++i) {
                walk(n.items[i], fmt::format("{}[{}]", path, i), used);
            }
        } else if (n.kind == Kind::map) {
            for (std::size_t i = 0; i < n.entries.size(); ++i) {
                const std::string sub = Reader::join_path(path, n.entries[i].first);
                Refs r = find_refs(n.entries[i].first);
                if (r.malformed || !r.refs.empty()) {
                    m_reader.error_at(n.key_marks[i], sub, "a matrix reference in a key",
                                      "references work in values only");
                }
                walk(n.entries[i].second, sub, used);
            }
        }
    }

    void check_count(const Node& matrix) {
        std::size_t count = 1;
        for (const auto& a : m_axes) {
            count = std::min(count * a.values.size(), max_matrix_images + 1);
        }
        if (count > max_matrix_images) {
            m_reader.error(matrix, "matrix",
                           fmt::format("the matrix gives more than {} images", max_matrix_images),
                           "split it into several specs, or pick images with --matrix");
        } else if (count * size_of(m_root) > LoadLimits{}.max_nodes) {
            // Each image is a copy of the spec: a large spec times many images is a bomb too.
            m_reader.error(matrix, "matrix",
                           fmt::format("the matrix's {} images of this spec would hold more than "
                                       "{} values",
                                       count, LoadLimits{}.max_nodes),
                           "split it into several specs");
        }
    }

    static std::size_t size_of(const Node& n) {
        std::size_t size = 1;
        for (const auto& item : n.items) {
            size += size_of(item);
        }
        for (const auto& entry : n.entries) {
            size += size_of(entry.second);
        }
        return size;
    }

    // Each image needs a name: the spec's, or one that an overlay of each of its values sets.
    void check_name(const Node& matrix) {
        if (m_root.find("name") != nullptr) {
            return;
        }
        auto unnamed = [](const AxisValue& v) {
            return v.node->kind != Kind::map || v.node->find("name") == nullptr;
        };
        auto has_unnamed = [&](const Axis& a) {
            return std::any_of(a.values.begin(), a.values.end(), unnamed);
        };
        if (std::all_of(m_axes.begin(), m_axes.end(), has_unnamed)) {
            m_reader.error(matrix, "matrix",
                           "a spec with a matrix needs a 'name': its images are named after it",
                           "add e.g. name: my-image (images my-image-<value>...)");
        }
    }

    const Axis* axis(std::string_view name) const {
        for (const auto& a : m_axes) {
            if (a.name == name) {
                return &a;
            }
        }
        return nullptr;
    }

    // The next combination, the last axis fastest; false after the last one.
    bool next(std::vector<std::size_t>& pick) const {
        for (std::size_t i = m_axes.size(); i-- > 0;) {
            if (++pick[i] < m_axes[i].values.size()) {
                return true;
            }
            pick[i] = 0;
        }
        return false;
    }

    MatrixImage image(const std::vector<std::size_t>& pick) {
        MatrixImage im;
        im.root.kind = Kind::map;
        im.root.mark = m_root.mark;
        for (std::size_t i = 0; i < m_root.entries.size(); ++i) {
            if (m_root.entries[i].first != "matrix") {
                im.root.entries.push_back(m_root.entries[i]);
                im.root.key_marks.push_back(m_root.key_marks[i]);
            }
        }
        bool named = false;
        std::map<std::string, const AxisValue*> chosen;
        for (std::size_t i = 0; i < m_axes.size(); ++i) {
            const AxisValue& v = m_axes[i].values[pick[i]];
            chosen[m_axes[i].name] = &v;
            im.values.push_back({m_axes[i].name, v.name});
            if (m_axes[i].overlays && v.node->kind == Kind::map) {
                named = apply_overlay(im.root, *v.node) || named;
            }
        }
        if (!named && !m_name_refs) {
            add_suffix(im.root, pick);
        }
        detail::substitute_refs(im.root, chosen);
        return im;
    }

    // True when the overlay sets the name.
    static bool apply_overlay(Node& root, const Node& overlay) {
        for (std::size_t i = 0; i < overlay.entries.size(); ++i) {
            const auto& [key, value] = overlay.entries[i];
            Node* layers = key == "layers" ? find_entry(root, key) : nullptr;
            if (layers != nullptr && layers->kind == Kind::list && value.kind == Kind::list) {
                layers->items.insert(layers->items.end(), value.items.begin(), value.items.end());
            } else {
                set_entry(root, key, value, overlay.key_marks[i]);
            }
        }
        return overlay.find("name") != nullptr;
    }

    void add_suffix(Node& root, const std::vector<std::size_t>& pick) {
        Node* name = find_entry(root, "name");
        if (name == nullptr || name->kind != Kind::string) {
            return; // the reader reports a name that is not a string
        }
        for (std::size_t i = 0; i < m_axes.size(); ++i) {
            const AxisValue& v = m_axes[i].values[pick[i]];
            std::string part = matrix_name_part(v.name);
            if (part.empty()) {
                if (m_unnamable.insert(v.node).second) {
                    m_reader.error_at(v.mark, m_axes[i].path,
                                      fmt::format("the value '{}' gives no characters for the "
                                                  "image name",
                                                  v.name),
                                      "name the images yourself, e.g. name: "
                                      "\"app-${{ matrix.AXIS }}\", or give the value letters or "
                                      "digits");
                }
                continue;
            }
            name->scalar += "-" + part;
        }
    }

    const Node& m_root;
    Reader m_reader;
    Diagnostics& m_diags;
    std::vector<Axis> m_axes;
    bool m_name_refs = false;          // the spec's name references an axis
    std::set<const Node*> m_unnamable; // values already reported by add_suffix
};

} // namespace

std::vector<MatrixImage> expand_matrix(const Node& root, const std::string& file,
                                       Diagnostics& diags) {
    return Expander(root, file, diags).run();
}

} // namespace imgspec::spec
