#include <imgspec/pipeline/explain.hpp>

#include <imgspec/core/error.hpp>
#include <imgspec/util/sha256.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace imgspec::pipeline {

using json = nlohmann::json;

namespace {

std::string sha256_of(std::string_view text) {
    return "sha256:" + util::to_hex(util::sha256(text));
}

} // namespace

Covers covers_of(const TagRecord& record) {
    Covers c;
    c.tag = record.tag;
    c.dockerfile = sha256_of(record.dockerfile);
    c.platforms = record.platforms;
    // Each layer's files as "path NUL type NUL mode NUL digest NL", in the record's (path) order.
    std::map<std::string, std::string> lists;
    for (const auto& f : record.files) {
        std::string& list = lists[layer_name(record, f.path)];
        list +=
            fmt::format("{}{}{}{}{:o}{}{}\n", f.path, '\0', f.type, '\0', f.mode, '\0', f.digest);
    }
    for (const auto& [name, list] : lists) {
        c.layers[name] = sha256_of(list);
    }
    return c;
}

std::string covers_json(const Covers& c) {
    json j = {{"v", 1},
              {"tag", c.tag},
              {"dockerfile", c.dockerfile},
              {"platforms", c.platforms},
              {"layers", c.layers}};
    return j.dump(-1, ' ', true);
}

std::string covers_json(const Image& img) {
    return covers_json(covers_of(record_of(img, img.plan.spec.file)));
}

Covers parse_covers(std::string_view text) {
    json j = json::parse(text, nullptr, false);
    Covers c;
    try {
        if (!j.is_object() || j.value("v", 0) != 1) {
            throw json::type_error::create(302, "not a covers record", nullptr);
        }
        c.tag = j.at("tag").get<std::string>();
        c.dockerfile = j.at("dockerfile").get<std::string>();
        c.platforms = j.at("platforms").get<std::vector<std::string>>();
        c.layers = j.at("layers").get<std::map<std::string, std::string>>();
    } catch (const json::exception&) {
        throw Error(
            ErrorKind::other,
            fmt::format("the image's {} annotation is not one imgspec wrote", covers_annotation));
    }
    return c;
}

Explanation explain(const Covers& before, const TagRecord& after) {
    Explanation e;
    e.before_tag = before.tag;
    e.after_tag = after.tag;
    e.before_computed = "(the image's annotation)";
    Covers now = covers_of(after);
    if (now.dockerfile != before.dockerfile) {
        e.dockerfile.push_back(fmt::format("~ the Dockerfile changed ({} -> {}); its earlier "
                                           "lines are not known on this machine",
                                           before.dockerfile.substr(0, 19),
                                           now.dockerfile.substr(0, 19)));
    }
    e.platforms_before = before.platforms;
    e.platforms_after = after.platforms;
    for (const auto& [name, digest] : now.layers) {
        auto it = before.layers.find(name);
        if (it == before.layers.end() || it->second != digest) {
            e.layers.push_back({name, 0, 0, 0, false});
        }
    }
    for (const auto& [name, digest] : before.layers) {
        if (now.layers.count(name) == 0) {
            e.layers.push_back({name, 0, 0, 0, false});
        }
    }
    return e;
}

} // namespace imgspec::pipeline
