#include <imgspec/build/registry.hpp>

#include <imgspec/build/registry_http.hpp>

#include <imgspec/spec/names.hpp>

#include <imgspec/core/error.hpp>
#include <imgspec/spec/platform.hpp>
#include <imgspec/util/fd.hpp>
#include <imgspec/util/sha256.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

namespace imgspec::build {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// imagetools may wait on a registry that drops packets; do not hang a CI job on it.
constexpr std::chrono::seconds inspect_timeout{120};

// error_line, or a placeholder for an empty output.
std::string describe(std::string_view err) {
    std::string line = error_line(err);
    return line.empty() ? "no error output" : line;
}

std::string platform_of(const json& os, const json& arch, const json& variant) {
    std::string p = os.is_string() ? os.get<std::string>() : "";
    p += "/";
    p += arch.is_string() ? arch.get<std::string>() : "";
    if (variant.is_string() && !variant.get<std::string>().empty()) {
        p += "/" + variant.get<std::string>();
    }
    return spec::normalize_platform(p);
}

std::vector<std::string> normalized_set(const std::vector<std::string>& platforms) {
    std::vector<std::string> out;
    for (const auto& p : platforms) {
        std::string n = spec::normalize_platform(p);
        if (std::find(out.begin(), out.end(), n) == out.end()) {
            out.push_back(n);
        }
    }
    return out;
}

Presence compare(const std::vector<std::string>& requested, std::vector<std::string> found) {
    Presence p;
    p.found = std::move(found);
    std::vector<std::string> missing;
    for (const auto& r : normalized_set(requested)) {
        if (std::find(p.found.begin(), p.found.end(), r) == p.found.end()) {
            missing.push_back(r);
        }
    }
    p.exists = missing.empty();
    if (!p.exists) {
        std::string have;
        for (const auto& f : p.found) {
            have += (have.empty() ? "" : ", ") + f;
        }
        p.reason = fmt::format("it lacks {} (has {})", fmt::join(missing, ", "),
                               have.empty() ? "none" : have);
    }
    return p;
}

util::ProcessSpec docker(std::vector<std::string> argv, const Env& env) {
    util::ProcessSpec spec;
    spec.argv = std::move(argv);
    spec.env = env;
    spec.out = util::Stream::capture;
    spec.err = util::Stream::capture;
    spec.timeout = inspect_timeout;
    return spec;
}

[[noreturn]] void throw_unavailable(const std::string& what, const std::string& uri,
                                    const util::ProcessResult& r) {
    if (r.timed_out) {
        throw Error(ErrorKind::unavailable,
                    fmt::format("{} {}: no answer within {} s", what, uri, inspect_timeout.count()),
                    fmt::format("is the registry {} reachable from here?", registry_host(uri)));
    }
    std::string hint = registry_hint(r.err, uri);
    if (hint.empty()) {
        // It answered, but not as a registry should (a reset, a 5xx, a damaged manifest): never
        // taken for "the image is missing", which would build and push over whatever it holds.
        hint = fmt::format("the registry {} did not answer as a registry should; check it with "
                           "`docker buildx imagetools inspect {}` and try again",
                           registry_host(uri), uri);
    }
    throw Error(ErrorKind::unavailable, fmt::format("{} {}: {}", what, uri, describe(r.err)), hint);
}

// An index's images: (normalized platform, digest) in order, without BuildKit's attestation
// manifests (platform unknown/unknown and a reference annotation) and entries of no platform.
std::vector<std::pair<std::string, std::string>> image_entries(const json& manifests) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& m : manifests) {
        if (!m.is_object()) {
            continue;
        }
        if (auto a = m.find("annotations");
            a != m.end() && a->is_object() && a->contains("vnd.docker.reference.type")) {
            continue;
        }
        auto p = m.find("platform");
        if (p == m.end() || !p->is_object()) {
            continue;
        }
        json none;
        std::string plat = platform_of(p->value("os", none), p->value("architecture", none),
                                       p->value("variant", none));
        if (plat == "unknown/unknown" || util::contains(plat, "/unknown")) {
            continue;
        }
        auto d = m.find("digest");
        out.emplace_back(std::move(plat),
                         d != m.end() && d->is_string() ? d->get<std::string>() : std::string());
    }
    return out;
}

// The reference of an index's first image (`uri`'s repository @ that image's digest); nullopt when
// `doc` is no index or lists no image with a digest.
std::optional<std::string> first_image_ref(const std::string& uri, const json& doc) {
    auto m = doc.find("manifests");
    if (m == doc.end() || !m->is_array()) {
        return std::nullopt;
    }
    auto entries = image_entries(*m);
    if (entries.empty() || entries.front().second.empty()) {
        return std::nullopt;
    }
    return uri.substr(0, uri.find('@')) + "@" + entries.front().second;
}

// The client for one question, or nullptr when registries are asked through docker only
// (IMGSPEC_DIRECT_HTTP=0, or libcurl cannot be loaded). Its credentials are docker's: those of
// env's DOCKER_CONFIG (a registry secret's private config), else the user's.
std::unique_ptr<http::Client> http_client(const Env& env) {
    if (!http::Client::available()) {
        return nullptr;
    }
    return std::make_unique<http::Client>(docker_config_dir(env), inspect_timeout);
}

// The manifest (list) at `ref`: the exact bytes served, or std::nullopt when the registry says
// there is none (`missing` then says how). Asked over HTTP when the registry answers plainly,
// else with `docker buildx imagetools inspect --raw` (registry_http.hpp).
// Throws Error(ErrorKind::unavailable) "<what> <ref>: ..." when neither can tell.
std::optional<std::string> raw_manifest(util::ProcessRunner& runner, http::Client* client,
                                        const std::string& ref, const Env& env,
                                        std::string_view what, std::string& missing) {
    if (auto at = client != nullptr ? http::locate(ref) : std::nullopt) {
        http::Reply r = client->manifest(*at);
        spdlog::debug("{}: asked {} over HTTP: {}", ref, at->host, r.why);
        switch (r.answer) {
        case http::Answer::found:
            return std::move(r.body);
        case http::Answer::missing:
            missing = r.why + ": manifest unknown";
            return std::nullopt;
        case http::Answer::timed_out:
            throw Error(ErrorKind::unavailable, fmt::format("{} {}: {}", what, ref, r.why),
                        fmt::format("is the registry {} reachable from here?", at->host));
        case http::Answer::unknown:
            break; // docker knows more ways in (helpers, certificates, mirrors)
        }
    }
    util::ProcessResult r =
        runner.run(docker({"docker", "buildx", "imagetools", "inspect", "--raw", ref}, env));
    if (r.timed_out || r.exit_code != 0) {
        if (!r.timed_out && is_not_found(r.err)) {
            missing = describe(r.err);
            return std::nullopt;
        }
        throw_unavailable(std::string(what), ref, r);
    }
    return std::move(r.out);
}

// The image config of a one-platform image whose manifest is `manifest`, over HTTP; null when
// HTTP cannot tell.
json http_config(http::Client* client, const std::string& ref, const std::string& manifest) {
    auto at = client != nullptr ? http::locate(ref) : std::nullopt;
    json doc = json::parse(manifest, nullptr, false);
    if (!at || !doc.is_object() || !doc.contains("config") || !doc["config"].is_object() ||
        !doc["config"].contains("digest") || !doc["config"]["digest"].is_string()) {
        return nullptr;
    }
    http::Reply r = client->blob(*at, doc["config"]["digest"].get<std::string>());
    spdlog::debug("{}: its config over HTTP: {}", ref, r.why);
    json cfg = r.answer == http::Answer::found ? json::parse(r.body, nullptr, false) : json();
    return cfg.is_object() ? cfg : json();
}

// The image config of the image at `uri` over HTTP (an index's first image); null when HTTP cannot
// tell.
json http_image_config(http::Client* client, const std::string& uri) {
    auto at = client != nullptr ? http::locate(uri) : std::nullopt;
    if (!at) {
        return nullptr;
    }
    std::string ref = uri;
    http::Reply r = client->manifest(*at);
    json doc = r.answer == http::Answer::found ? json::parse(r.body, nullptr, false) : json();
    if (doc.is_object() && doc.contains("manifests")) {
        auto first = first_image_ref(uri, doc);
        at = first ? http::locate(*first) : std::nullopt;
        if (!at) {
            return nullptr;
        }
        ref = *first;
        r = client->manifest(*at);
    }
    return r.answer == http::Answer::found ? http_config(client, ref, r.body) : json();
}

// The platform of a one-platform image whose manifest is `manifest`, from its config.
// Throws Error(ErrorKind::unavailable) when it cannot be read.
std::string config_platform(util::ProcessRunner& runner, http::Client* client,
                            const std::string& uri, const std::string& manifest, const Env& env) {
    json cfg = http_config(client, uri, manifest);
    if (cfg.is_null()) {
        util::ProcessResult c = runner.run(docker(
            {"docker", "buildx", "imagetools", "inspect", "--format", "{{json .Image}}", uri},
            env));
        if (c.timed_out || c.exit_code != 0) {
            throw_unavailable("cannot read the image config of", uri, c);
        }
        cfg = json::parse(c.out, nullptr, false);
    }
    if (cfg.is_discarded() || !cfg.is_object()) {
        throw Error(ErrorKind::unavailable, fmt::format("the image config of {} is not JSON", uri));
    }
    json none;
    return platform_of(cfg.value("os", none), cfg.value("architecture", none),
                       cfg.value("variant", none));
}

} // namespace

std::optional<std::vector<std::string>> index_platforms(const std::string& raw) {
    json doc = json::parse(raw, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        throw Error(ErrorKind::unavailable, "the registry's answer is not a JSON manifest",
                    "run `docker buildx imagetools inspect --raw` on the image to see it");
    }
    auto it = doc.find("manifests");
    if (it == doc.end()) {
        if (doc.contains("config") || doc.contains("layers") || doc.contains("fsLayers")) {
            return std::nullopt;
        }
        throw Error(ErrorKind::unavailable,
                    "the registry's answer is neither an image index nor an image manifest");
    }
    if (!it->is_array()) {
        throw Error(ErrorKind::unavailable, "the registry's image index has no manifest list");
    }
    std::vector<std::string> out;
    for (const auto& [plat, digest] : image_entries(*it)) {
        if (std::find(out.begin(), out.end(), plat) == out.end()) {
            out.push_back(plat);
        }
    }
    return out;
}

Presence check_remote(util::ProcessRunner& runner, const std::string& uri,
                      const std::vector<std::string>& platforms, const Env& env) {
    auto client = http_client(env);
    std::string missing;
    auto raw = raw_manifest(runner, client.get(), uri, env, "cannot check whether the registry has",
                            missing);
    if (!raw) {
        Presence miss;
        miss.reason = "it is not in the registry";
        return miss;
    }
    std::optional<std::vector<std::string>> found = index_platforms(*raw);
    if (!found) {
        // A single image manifest names no platform; its config does.
        found = std::vector<std::string>{config_platform(runner, client.get(), uri, *raw, env)};
    }
    Presence p = compare(platforms, std::move(*found));
    // The manifest byte for byte, so its hash is the digest the tag points at.
    p.digest = "sha256:" + util::to_hex(util::sha256(*raw));
    return p;
}

lock::LockedImage resolve_digests(util::ProcessRunner& runner, const std::string& reference,
                                  bool platforms, const Env& env) {
    auto client = http_client(env);
    std::string missing;
    auto raw = raw_manifest(runner, client.get(), reference, env, "cannot resolve", missing);
    if (!raw) {
        throw Error(ErrorKind::invalid_spec,
                    fmt::format("{}: not found in its registry ({})", reference, missing),
                    "check the image reference in the spec or the config");
    }
    lock::LockedImage out;
    out.digest = "sha256:" + util::to_hex(util::sha256(*raw));
    json doc = json::parse(*raw, nullptr, false);
    if (doc.is_object() && doc.contains("manifests") && doc["manifests"].is_array()) {
        for (auto& [plat, digest] : image_entries(doc["manifests"])) {
            if (!digest.empty()) {
                out.platforms.emplace(std::move(plat), std::move(digest)); // the first counts
            }
        }
        return out;
    }
    if (!index_platforms(*raw) && platforms) { // throws for JSON of neither shape
        out.platforms[config_platform(runner, client.get(), reference, *raw, env)] = out.digest;
    }
    return out;
}

std::optional<std::string> image_annotation(util::ProcessRunner& runner, const std::string& uri,
                                            const std::string& key, const Env& env) {
    auto client = http_client(env);
    std::string ref = uri;
    // An index, then (a one-platform image, or an index without it) its first image's manifest.
    for (int hop = 0; hop < 2; ++hop) {
        std::string missing;
        auto raw = raw_manifest(runner, client.get(), ref, env, "cannot read", missing);
        if (!raw) {
            throw Error(ErrorKind::other,
                        fmt::format("{}: not found in its registry ({})", uri, missing));
        }
        json doc = json::parse(*raw, nullptr, false);
        if (!doc.is_object()) {
            throw Error(ErrorKind::unavailable,
                        fmt::format("{}: the registry's answer is not a manifest", uri));
        }
        if (auto a = doc.find("annotations"); a != doc.end() && a->is_object()) {
            if (auto v = a->find(key); v != a->end() && v->is_string()) {
                return v->get<std::string>();
            }
        }
        auto next = first_image_ref(uri, doc);
        if (!next) {
            return std::nullopt;
        }
        ref = *next;
    }
    return std::nullopt;
}

Presence check_local(util::ProcessRunner& runner, const std::string& uri,
                     const std::vector<std::string>& platforms, const Env& env) {
    util::ProcessResult r =
        runner.run(docker({"docker", "image", "inspect", "--format", "{{json .}}", uri}, env));
    if (r.timed_out || r.exit_code != 0) {
        if (!r.timed_out && is_not_found(r.err)) {
            Presence miss;
            miss.reason = "it is not in the local image store";
            return miss;
        }
        throw Error(ErrorKind::unavailable,
                    fmt::format("cannot check whether the local engine has {}: {}", uri,
                                r.timed_out ? "no answer" : describe(r.err)),
                    registry_hint(r.err, uri));
    }
    json doc = json::parse(r.out, nullptr, false);
    std::string described;
    if (doc.is_object()) {
        json none;
        described = platform_of(doc.value("Os", none), doc.value("Architecture", none),
                                doc.value("Variant", none));
    }

    std::vector<std::string> requested = normalized_set(platforms);
    std::vector<std::string> found;
    bool per_platform = true;
    for (const auto& p : requested) {
        util::ProcessResult q = runner.run(docker(
            {"docker", "image", "inspect", "--platform", p, "--format", "{{.Id}}", uri}, env));
        if (q.exit_code == 0 && !q.timed_out) {
            found.push_back(p);
            continue;
        }
        std::string l = util::to_lower(q.err);
        if (util::contains(l, "requires api version") || util::contains(l, "unknown flag")) {
            per_platform = false; // the daemon (or client) predates per-platform inspect
            break;
        }
        if (is_not_found(q.err) || util::contains(l, "does not provide the specified platform") ||
            util::contains(l, "does not match the specified platform")) {
            continue;
        }
        throw Error(ErrorKind::unavailable,
                    fmt::format("cannot check whether the local engine has {} for {}: {}", uri, p,
                                q.timed_out ? "no answer" : describe(q.err)),
                    registry_hint(q.err, uri));
    }
    if (per_platform) {
        return compare(platforms, std::move(found));
    }
    if (requested.size() == 1 && !described.empty()) {
        return compare(platforms, {described});
    }
    Presence miss;
    miss.found = described.empty() ? std::vector<std::string>{} : std::vector{described};
    miss.reason = "this Docker API (< 1.49) cannot tell which platforms a local image has, so it "
                  "is rebuilt (mostly from BuildKit's cache)";
    return miss;
}

std::string image_user(util::ProcessRunner& runner, const std::string& uri, const Env& env) {
    auto client = http_client(env);
    json doc = http_image_config(client.get(), uri);
    util::ProcessResult r;
    if (doc.is_null()) {
        r = runner.run(docker(
            {"docker", "buildx", "imagetools", "inspect", "--format", "{{json .Image}}", uri},
            env));
        doc = r.exit_code == 0 && !r.timed_out ? json::parse(r.out, nullptr, false) : json();
    }
    // One config, or a map of platform -> config for an index; the first platform's user.
    if (doc.is_object() && !doc.contains("config") && !doc.empty() && doc.begin()->is_object()) {
        doc = *doc.begin();
    }
    if (!doc.is_object() || !doc.contains("config")) {
        util::ProcessResult l = runner.run(
            docker({"docker", "image", "inspect", "--format", "{{json .Config}}", uri}, env));
        json cfg = l.exit_code == 0 && !l.timed_out ? json::parse(l.out, nullptr, false) : json();
        if (!cfg.is_object()) {
            spdlog::warn("{}: cannot read its image config ({}); the image runs as root", uri,
                         describe(r.err));
            return {};
        }
        doc = json{{"config", cfg}};
    }
    const json& cfg = doc["config"];
    std::string user = cfg.is_object() && cfg.contains("User") && cfg["User"].is_string()
                           ? cfg["User"].get<std::string>()
                           : std::string();
    if (!user.empty() && !spec::check_user(user).empty()) {
        spdlog::warn("{}: its user '{}' cannot be restored; the image runs as root", uri, user);
        return {};
    }
    return user;
}

} // namespace imgspec::build
