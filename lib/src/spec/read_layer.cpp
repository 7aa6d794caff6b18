// A layer entry and the `from:` map, read through the descriptor tables (kinds/table.cpp): which
// key is the kind, which options it takes, and the kind's own read function.

#include "kinds/kind.hpp"
#include "reader.hpp"

#include <imgspec/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace imgspec::spec::detail {

namespace {

using Kind = Node::Kind;

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

bool takes_option(const LayerKind& kind, const std::string& key) {
    auto options = key_list(kind.options);
    return std::find(options.begin(), options.end(), key) != options.end();
}

// The message for a layer without a kind key: it names the key meant as the kind, one close to a
// kind, else one that no kind takes.
std::pair<std::string, std::string> no_kind_message(const Node& n) {
    const auto& kinds = layer_kind_keys();
    std::string hint = fmt::format("layer kinds: {}", util::join(kinds, ", "));
    const std::string none = "no layer kind in this layer";
    std::string message = none;
    for (const auto& [k, v] : n.entries) {
        if (auto near = util::closest_match(k, kinds); !near.empty()) {
            hint = fmt::format("did you mean '{}'?", near);
            message = fmt::format("unknown layer kind '{}'", k);
            break;
        }
        auto takes = [&k = k](const LayerKind* kind) { return takes_option(*kind, k); };
        if (message == none && std::none_of(layer_kinds().begin(), layer_kinds().end(), takes)) {
            message = fmt::format("unknown layer kind '{}'", k);
        }
    }
    return {message, hint};
}

// A layer's options: the value's own map entries (for a kind with a map form) plus the keys
// beside the kind key, each checked against the kind's options.
class Options {
  public:
    Options(Reader& r, const LayerKind& kind, const std::string& path)
        : m_r(r), m_kind(kind), m_path(path), m_allowed(key_list(kind.options)) {}

    void add(const Node& from, const std::string& from_path, bool siblings) {
        for (std::size_t i = 0; i < from.entries.size(); ++i) {
            const auto& [k, v] = from.entries[i];
            if (siblings && k == m_kind.key) {
                continue;
            }
            if (m_opts.find(k) != nullptr) {
                m_r.error_at(from.key_marks[i], Reader::join_path(m_path, k),
                             "given twice, inside and beside the layer kind");
                continue;
            }
            if (std::find(m_allowed.begin(), m_allowed.end(), k) == m_allowed.end()) {
                m_r.error_at(from.key_marks[i], Reader::join_path(from_path, k), "unknown key",
                             unknown_hint(k));
                continue;
            }
            m_opts.entries.emplace_back(k, v);
            m_opts.key_marks.push_back(from.key_marks[i]);
        }
    }

    Node take(Mark mark) {
        m_opts.kind = Kind::map;
        m_opts.mark = mark;
        return std::move(m_opts);
    }

  private:
    std::string unknown_hint(const std::string& k) const {
        if (auto near = util::closest_match(k, concat(m_allowed, layer_kind_keys()));
            !near.empty()) {
            return fmt::format("did you mean '{}'?", near);
        }
        if (m_allowed.empty()) {
            return fmt::format("'{}' takes no options", m_kind.key);
        }
        return fmt::format("'{}' options: {}", m_kind.key, util::join(m_allowed, ", "));
    }

    Reader& m_r;
    const LayerKind& m_kind;
    const std::string& m_path;
    std::vector<std::string> m_allowed;
    Node m_opts;
};

} // namespace

void Reader::layer(const Node& n, std::size_t index, std::vector<Layer>& out) {
    const std::string path = fmt::format("layers[{}]", index);
    if (n.kind != Kind::map) {
        type_error(n, path, "a map with one layer kind key, e.g. {pip_packages: [numpy]}");
        return;
    }
    // Exactly one kind key; the other keys are its options.
    const LayerKind* kind = nullptr;
    const Node* value = nullptr;
    for (std::size_t i = 0; i < n.entries.size(); ++i) {
        const auto& [k, v] = n.entries[i];
        if (const LayerKind* found = find_layer_kind(k)) {
            if (kind != nullptr) {
                error_at(
                    n.key_marks[i], path,
                    fmt::format("a layer has exactly one kind, found '{}' and '{}'", kind->key, k),
                    "split them into two list entries");
                return;
            }
            kind = found;
            value = &v;
        }
    }
    if (kind == nullptr) {
        auto [message, hint] = no_kind_message(n);
        error(n, path, message, hint);
        return;
    }
    const std::string kpath = path + "." + std::string(kind->key);
    Options options(*this, *kind, path);
    options.add(n, path, true);
    // A map value holds the kind's keys, for the kinds that have a map form (env_vars is a map of
    // variables; a map given to a scalar or list kind is reported as a type error by the kind).
    const bool map_value = value->kind == Kind::map && !kind->map_keys.empty();
    if (map_value) {
        options.add(*value, kpath, false);
    }
    const Node opts = options.take(n.mark);
    Layer layer;
    layer.kind = std::string(kind->key);
    layer.path = path;
    layer.mark = n.mark;
    layer.body = kind->read(LayerInput{*this, *value, opts, map_value, path, kpath});
    out.push_back(std::move(layer));
}

Base Reader::base(const Node& n) {
    const auto& forms = base_form_keys();
    if (n.kind != Kind::map) {
        type_error(n, "from", "a map with one of: " + util::join(forms, ", "));
        return DebianBase{};
    }
    check_keys(n, "from", forms);
    std::vector<std::string> found;
    for (const auto& [k, v] : n.entries) {
        if (find_base_form(k) != nullptr) {
            found.push_back(k);
        }
    }
    if (found.size() != 1) {
        if (found.empty() && n.entries.empty()) {
            error(n, "from", "no base given", "use one of: " + util::join(forms, ", "));
        } else if (found.size() > 1) {
            error(n, "from",
                  fmt::format("exactly one base form, found {}", util::join(found, ", ")),
                  "keep one; to add steps on top of a base, use 'layers:'");
        }
        return DebianBase{};
    }
    const BaseForm& form = *find_base_form(found.front());
    const Node& v = *n.find(found.front());
    const std::string path = "from." + found.front();
    if (v.kind == Kind::map && !form.map_keys.empty()) {
        check_keys(v, path, key_list(form.map_keys));
    }
    return form.read(*this, v, path);
}

} // namespace imgspec::spec::detail
