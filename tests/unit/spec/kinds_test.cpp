// The layer kind and base form descriptors (lib/src/spec/kinds): every kind of the model is in the
// schema, and each descriptor's read function gives its own kind for every example it documents.

#include "unit/test_util.hpp"

#include <imgspec/spec/model.hpp>
#include <imgspec/spec/schema.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <string_view>
#include <type_traits>
#include <variant>

using namespace imgspec;
using Json = nlohmann::json;

namespace {

std::map<std::string, Json> examples_by_path() {
    std::map<std::string, Json> out;
    for (const auto& k : spec::documented_keys()) {
        out[k.path] = Json::parse(k.examples);
    }
    return out;
}

template <class Variant> std::string_view key_of(const Variant& v) {
    return std::visit([](const auto& alt) { return std::decay_t<decltype(alt)>::key; }, v);
}

} // namespace

TEST(Kinds, EveryModelKindIsInTheSchema) {
    Json s = Json::parse(spec::json_schema());
    std::size_t kinds = 0;
    for (const auto& [k, v] : s["$defs"].items()) {
        kinds += k.rfind("layer.", 0) == 0 ? 1 : 0;
    }
    EXPECT_EQ(kinds, std::variant_size_v<spec::LayerBody>);
    EXPECT_EQ(s["$defs"]["from"]["properties"].size(), std::variant_size_v<spec::Base>);
}

// A spec in JSON (which YAML reads) is written for each example of each kind: the layer read
// is of that kind, so a descriptor's key and its read function agree.
TEST(Kinds, EachDescriptorReadsItsOwnKind) {
    test::TempDir dir;
    Json s = Json::parse(spec::json_schema());
    auto examples = examples_by_path();
    int n = 0;
    for (const auto& [def, v] : s["$defs"].items()) {
        if (def.rfind("layer.", 0) != 0) {
            continue;
        }
        const std::string kind = def.substr(6);
        for (const auto& example : examples.at("layers[]." + kind)) {
            SCOPED_TRACE(kind + ": " + example.dump());
            Json doc = {{"name", "x"}, {"layers", Json::array({Json{{kind, example}}})}};
            auto file = dir.write("layer.yaml", doc.dump());
            spec::Spec read = spec::read_spec(file);
            ASSERT_EQ(read.layers.size(), 1u);
            EXPECT_EQ(read.layers[0].kind, kind);
            EXPECT_EQ(key_of(read.layers[0].body), kind);
            ++n;
        }
    }
    for (const auto& [form, v] : s["$defs"]["from"]["properties"].items()) {
        for (const auto& example : examples.at("from." + form)) {
            SCOPED_TRACE(form + ": " + example.dump());
            Json doc = {{"name", "x"}, {"from", {{form, example}}}};
            auto file = dir.write("base.yaml", doc.dump());
            EXPECT_EQ(key_of(spec::read_spec(file).base), form);
            ++n;
        }
    }
    EXPECT_GT(n, 30);
}
