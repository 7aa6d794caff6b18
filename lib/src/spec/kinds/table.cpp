// The tables of layer kinds and base forms. Their order is the order of the schema, the docs and
// the lists in messages; a new kind adds its descriptor here and in a file of its own.

#include "kind.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <variant>

namespace imgspec::spec::detail {

extern const LayerKind workdir_kind, apt_packages_kind, pip_packages_kind, requirements_kind,
    uv_project_kind, poetry_project_kind, env_vars_kind, source_folder_kind, source_file_kind,
    dockerignore_kind, code_bundle_kind, commands_kind, local_v2_kind, local_v2_plugins_kind;
extern const BaseForm debian_base_form, base_form, ref_name_form, uv_script_form, dockerfile_form,
    spec_form;

namespace {

const std::array layer_table = {&workdir_kind,      &apt_packages_kind,    &pip_packages_kind,
                                &requirements_kind, &uv_project_kind,      &poetry_project_kind,
                                &env_vars_kind,     &source_folder_kind,   &source_file_kind,
                                &dockerignore_kind, &code_bundle_kind,     &commands_kind,
                                &local_v2_kind,     &local_v2_plugins_kind};
const std::array base_table = {&debian_base_form, &base_form,       &ref_name_form,
                               &uv_script_form,   &dockerfile_form, &spec_form};

// A descriptor for every alternative of the model, and no more (each has a read function that
// returns its own alternative; reading each example of the schema checks that in a test).
static_assert(layer_table.size() == std::variant_size_v<LayerBody>);
static_assert(base_table.size() == std::variant_size_v<Base>);

template <class Table> std::vector<std::string> keys_of(const Table& table) {
    std::vector<std::string> out;
    for (const auto* d : table) {
        out.emplace_back(d->key);
    }
    return out;
}

} // namespace

std::span<const LayerKind* const> layer_kinds() {
    return layer_table;
}

std::span<const BaseForm* const> base_forms() {
    return base_table;
}

const LayerKind* find_layer_kind(std::string_view key) {
    auto it = std::find_if(layer_table.begin(), layer_table.end(),
                           [&](const LayerKind* k) { return k->key == key; });
    return it == layer_table.end() ? nullptr : *it;
}

const BaseForm* find_base_form(std::string_view key) {
    auto it = std::find_if(base_table.begin(), base_table.end(),
                           [&](const BaseForm* f) { return f->key == key; });
    return it == base_table.end() ? nullptr : *it;
}

const std::vector<std::string>& layer_kind_keys() {
    static const std::vector<std::string> keys = keys_of(layer_table);
    return keys;
}

const std::vector<std::string>& base_form_keys() {
    static const std::vector<std::string> keys = keys_of(base_table);
    return keys;
}

std::vector<std::string> key_list(std::string_view list, bool marks) {
    std::vector<std::string> out;
    while (!list.empty()) {
        auto comma = list.find(',');
        std::string item(list.substr(0, comma));
        if (item == "@pip") {
            for (auto& p : key_list(pip_option_keys, marks)) {
                out.push_back(std::move(p));
            }
        } else if (!item.empty()) {
            if (!marks && item.back() == '!') {
                item.pop_back();
            }
            out.push_back(std::move(item));
        }
        if (comma == std::string_view::npos) {
            break;
        }
        list.remove_prefix(comma + 1);
    }
    return out;
}

const Node* LayerInput::main_value(const char* key) const {
    if (!map_value) {
        return &value;
    }
    const Node* v = opts.find(key);
    if (v == nullptr) {
        r.error(value, kpath, fmt::format("missing key '{}'", key));
    }
    return v;
}

std::string LayerInput::main_path(const char* key) const {
    return map_value ? kpath + "." + key : kpath;
}

std::vector<std::string> LayerInput::string_list(std::string_view none,
                                                 std::string (*check)(const std::string&)) const {
    std::vector<std::string> out;
    if (!r.strings(value, kpath, out)) {
        return out;
    }
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (std::string why = check(out[i]); !why.empty()) {
            r.error(value.kind == Node::Kind::list ? value.items[i] : value,
                    fmt::format("{}[{}]", kpath, i), why);
        }
    }
    if (out.empty()) {
        r.error(value, kpath, std::string(none));
    }
    return out;
}

std::vector<SecretMount> LayerInput::secret_mounts_option() const {
    const Node* s = opts.find("secret_mounts");
    return s == nullptr ? std::vector<SecretMount>{} : r.secret_mounts(*s, path + ".secret_mounts");
}

} // namespace imgspec::spec::detail
