#include "json_output.hpp"

#include "common.hpp"

#include <imgspec/plan/tag.hpp>
#include <imgspec/spec/platform.hpp>
#include <imgspec/util/sha256.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <set>
#include <type_traits>

namespace imgspec::app {

namespace {

std::string hex_digest(const plan::Digest& d) {
    return "sha256:" + util::to_hex(d);
}

const char* type_name(plan::EntryType t) {
    switch (t) {
    case plan::EntryType::file:
        return "file";
    case plan::EntryType::directory:
        return "directory";
    case plan::EntryType::symlink:
        return "symlink";
    }
    return "file";
}

Json base_json(const plan::Plan& p, const Config& config) {
    Json b;
    std::visit(
        [&](const auto& base) {
            using T = std::decay_t<decltype(base)>;
            b["form"] = T::key;
            if constexpr (std::is_same_v<T, spec::DebianBase>) {
                b["flyte_version"] =
                    base.flyte_version.empty() ? Json(nullptr) : Json(base.flyte_version);
                b["install_flyte"] = base.install_flyte;
            } else if constexpr (std::is_same_v<T, spec::ImageBase>) {
                // the FROM image below is all there is to say
            } else if constexpr (std::is_same_v<T, spec::RefNameBase>) {
                b["ref_name"] = base.name;
            } else if constexpr (std::is_same_v<T, spec::UvScriptBase>) {
                b["script"] = base.script.generic_string();
            } else if constexpr (std::is_same_v<T, spec::DockerfileBase>) {
                b["dockerfile"] = base.file.generic_string();
            } else if constexpr (std::is_same_v<T, spec::SpecBase>) {
                b["spec"] = base.file.generic_string();
            } else {
                static_assert(spec::no_case_for<T>, "a base form without a JSON case");
            }
        },
        p.spec.base);
    // The FROM image; a parent spec's URI for `from: spec`; null for a user's Dockerfile.
    std::string image = p.base_image;
    if (p.debian_base && image.empty()) {
        // As the renderer expands the config's debian_base_image.
        image = config.debian_base_image.value;
        const std::string key = "{python_version}";
        for (auto at = image.find(key); at != std::string::npos; at = image.find(key, at)) {
            image.replace(at, key.size(), p.python_version);
            at += p.python_version.size();
        }
    }
    b["image"] = image.empty() ? Json(nullptr) : Json(image);
    return b;
}

// What a layer does, in the spec's words; paths as written in the spec.
void layer_details(Json& j, const spec::LayerBody& body) {
    std::visit(
        [&](const auto& l) {
            using T = std::decay_t<decltype(l)>;
            if constexpr (std::is_same_v<T, spec::WorkdirLayer>) {
                j["workdir"] = l.path;
            } else if constexpr (std::is_same_v<T, spec::AptLayer> ||
                                 std::is_same_v<T, spec::PipLayer>) {
                j["packages"] = l.packages;
            } else if constexpr (std::is_same_v<T, spec::EnvLayer>) {
                Json env = Json::object();
                for (const auto& [k, v] : l.vars) {
                    env[k] = v;
                }
                j["env"] = env;
            } else if constexpr (std::is_same_v<T, spec::CommandsLayer>) {
                j["commands"] = l.commands;
            } else if constexpr (std::is_same_v<T, spec::LocalV2PluginsLayer>) {
                j["packages"] = l.plugins;
            } else if constexpr (std::is_same_v<T, spec::RequirementsLayer> ||
                                 std::is_same_v<T, spec::UvProjectLayer> ||
                                 std::is_same_v<T, spec::PoetryLayer> ||
                                 std::is_same_v<T, spec::SourceFolderLayer> ||
                                 std::is_same_v<T, spec::SourceFileLayer> ||
                                 std::is_same_v<T, spec::DockerignoreLayer> ||
                                 std::is_same_v<T, spec::CodeBundleLayer> ||
                                 std::is_same_v<T, spec::LocalV2Layer>) {
                // described by their context_dir, context_files and dst
            } else {
                static_assert(spec::no_case_for<T>, "a layer kind without a JSON case");
            }
        },
        body);
}

} // namespace

Json diagnostic_json(const Diagnostic& d) {
    Json j;
    j["severity"] = severity_name(d.severity);
    j["file"] = d.file;
    j["line"] = d.mark.line;
    j["column"] = d.mark.column;
    j["path"] = d.path;
    j["message"] = d.message;
    j["hint"] = d.hint;
    return j;
}

Json warnings_json(const plan::Plan& plan) {
    Json out = Json::array();
    for (const auto& w : plan_warnings(plan)) {
        out.push_back(diagnostic_json(w));
    }
    return out;
}

Json uri_json(const std::string& spec_file, const pipeline::Image& img) {
    Json j;
    j["spec"] = spec_file;
    j["uri"] = img.uri;
    j["registry"] = img.plan.registry;
    j["name"] = img.plan.name;
    // The tag as the URI has it; tag_source says where it came from.
    auto colon = img.uri.rfind(':');
    auto slash = img.uri.rfind('/');
    j["tag"] = colon != std::string::npos && (slash == std::string::npos || colon > slash)
                   ? img.uri.substr(colon + 1)
                   : std::string();
    j["tag_source"] = img.passthrough ? "base" : img.plan.spec.tag.empty() ? "content" : "fixed";
    j["platforms"] = spec::platform_names(img.plan.platforms);
    if (!img.plan.spec.matrix.empty()) { // an image of a matrix: its value of each axis
        j["matrix"] = matrix_json(img.plan.spec.matrix);
    }
    j["warnings"] = warnings_json(img.plan);
    return j;
}

Json matrix_json(const std::vector<spec::MatrixValue>& values) {
    Json m = Json::object();
    for (const auto& v : values) {
        m[v.axis] = v.value;
    }
    return m;
}

Json render_json(const std::string& spec_file, const pipeline::Image& img, const Config& config) {
    const plan::Plan& p = img.plan;
    Json j = uri_json(spec_file, img);
    j["python_version"] = p.python_version;
    j["base"] = base_json(p, config);

    Json layers = Json::array();
    for (std::size_t i = 0; i < p.layers.size(); ++i) {
        const auto& rl = p.layers[i];
        Json l;
        l["index"] = i;
        l["kind"] = rl.layer.kind;
        l["path"] = rl.layer.path;
        l["line"] = rl.layer.mark.line;
        layer_details(l, rl.layer.body);
        // Files of this layer in the context (requirements, locks, wheels), and a copy's target.
        l["context_dir"] = rl.files.dir.empty() ? Json(nullptr) : Json(rl.files.dir);
        l["context_files"] = rl.files.names;
        l["dst"] = rl.dst.empty() ? Json(nullptr) : Json(rl.dst);
        layers.push_back(std::move(l));
    }
    j["layers"] = layers;

    Json secrets = Json::array();
    for (const auto& s : p.secrets) {
        Json o;
        o["id"] = s.id;
        o["env"] = s.env.empty() ? Json(nullptr) : Json(s.env);
        o["file"] = s.file.empty() ? Json(nullptr) : Json(s.file);
        secrets.push_back(std::move(o));
    }
    j["secrets"] = secrets;
    if (p.registry_secret) {
        j["registry_secret"] = {
            {"id", p.registry_secret->id},
            {"env", p.registry_secret->env.empty() ? Json(nullptr) : Json(p.registry_secret->env)},
            {"file",
             p.registry_secret->file.empty() ? Json(nullptr) : Json(p.registry_secret->file)}};
    } else {
        j["registry_secret"] = nullptr;
    }

    j["dockerfile"] = img.dockerfile;

    // The context exactly as the tar has it: every entry the tag is computed over.
    Json files = Json::array();
    for (const auto& e : img.context.entries) {
        Json f;
        f["path"] = e.path;
        f["type"] = type_name(e.type);
        f["mode"] = fmt::format("{:04o}", e.mode);
        f["size"] = e.type == plan::EntryType::file ? Json(e.size) : Json(nullptr);
        f["sha256"] = e.type == plan::EntryType::file ? Json(hex_digest(e.digest)) : Json(nullptr);
        f["link_target"] = e.type == plan::EntryType::symlink ? Json(e.link_target) : Json(nullptr);
        const std::string source = std::filesystem::path(e.source).string();
        f["source"] = source.empty() ? Json(nullptr) : Json(source);
        files.push_back(std::move(f));
    }
    j["files"] = files;

    std::vector<std::string> names = spec::platform_names(p.platforms);
    std::set<std::string> platforms(names.begin(), names.end());
    Json inputs;
    inputs["algorithm"] = "sha256";
    inputs["length"] = plan::tag_length;
    inputs["dockerfile_sha256"] = hex_digest(util::sha256(img.dockerfile));
    inputs["entries"] = img.context.entries.size();
    inputs["platforms"] = std::vector<std::string>(platforms.begin(), platforms.end());
    j["tag_inputs"] = inputs;

    // Moved last, where render --json has always had it (uri_json set it first).
    Json warnings = std::move(j["warnings"]);
    j.erase("warnings");
    j["warnings"] = std::move(warnings);
    return j;
}

void print_json(const Json& j) {
    // A file name need not be UTF-8 (a diagnostic about '\xff' in a copied folder): such a byte
    // becomes U+FFFD rather than an exception and no JSON at all.
    std::cout << j.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
    std::cout.flush();
}

} // namespace imgspec::app
