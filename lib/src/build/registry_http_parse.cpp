// What the distribution API's answers and docker's config say, without asking anything: where a
// reference lives, a challenge, the credentials docker would send, a registry's "not found".
#include <imgspec/build/registry_http.hpp>

#include <imgspec/build/registry.hpp>
#include <imgspec/spec/names.hpp>

#include <imgspec/util/strings.hpp>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>

namespace imgspec::build::http {

using json = nlohmann::json;

namespace {

// A config.json key as docker compares it: no scheme, no path; Docker Hub's names as one.
std::string config_key_host(std::string_view key) {
    for (std::string_view scheme : {"https://", "http://"}) {
        if (util::starts_with(key, scheme)) {
            key.remove_prefix(scheme.size());
        }
    }
    key = key.substr(0, key.find('/'));
    if (key == "index.docker.io" || key == "registry-1.docker.io") {
        return "docker.io";
    }
    return std::string(key);
}

std::string base64(std::string_view s) {
    std::string out(4 * ((s.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), // NOLINT
                            reinterpret_cast<const unsigned char*>(s.data()),
                            static_cast<int>(s.size()));
    out.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
    return out;
}

} // namespace

bool is_loopback(std::string_view host) {
    std::string_view name = host.substr(0, host.rfind(':'));
    if (!host.empty() && host.front() == '[') {
        name = host.substr(0, host.find(']') + 1);
    }
    return name == "localhost" || name == "[::1]" || util::starts_with(name, "127.");
}

std::optional<Location> locate(std::string_view uri) {
    Location at;
    const spec::ImageRefParts parts = spec::split_image_ref(uri); // "host/name" and the tag
    if (auto at_sign = uri.find('@'); at_sign != std::string_view::npos) {
        at.reference = uri.substr(at_sign + 1);
    } else {
        at.reference = parts.tag.empty() ? "latest" : parts.tag;
    }
    std::string host = registry_host(parts.repository);
    std::string_view path = parts.repository;
    if (auto slash = path.find('/');
        slash != std::string_view::npos && path.substr(0, slash) == host) {
        path = path.substr(slash + 1);
    }
    at.host = config_key_host(host);
    at.repository = path;
    if (at.host == "docker.io") {
        at.base_url = "https://registry-1.docker.io";
        if (at.repository.find('/') == std::string::npos) {
            at.repository = "library/" + at.repository;
        }
    } else {
        at.base_url = (is_loopback(at.host) ? "http://" : "https://") + at.host;
    }
    auto plain = [](std::string_view s, std::string_view extra) {
        return !s.empty() && std::all_of(s.begin(), s.end(), [&](unsigned char c) {
            return std::isalnum(c) != 0 || extra.find(static_cast<char>(c)) != std::string::npos;
        });
    };
    if (!plain(at.repository, "._-/") || !plain(at.reference, "._-:") || !plain(at.host, ".-:[]")) {
        return std::nullopt;
    }
    return at;
}

std::optional<Challenge> parse_challenge(std::string_view header) {
    std::size_t i = 0;
    while (i < header.size() && header[i] == ' ') {
        ++i;
    }
    std::size_t start = i;
    while (i < header.size() && header[i] != ' ') {
        ++i;
    }
    if (i == start) {
        return std::nullopt;
    }
    Challenge c;
    c.scheme = util::to_lower(header.substr(start, i - start));
    // name=value or name="value" (with \" escapes), separated by commas.
    while (i < header.size()) {
        while (i < header.size() && (header[i] == ' ' || header[i] == ',')) {
            ++i;
        }
        std::size_t eq = header.find('=', i);
        if (eq == std::string_view::npos) {
            break;
        }
        std::string key = util::to_lower(header.substr(i, eq - i));
        i = eq + 1;
        std::string value;
        if (i < header.size() && header[i] == '"') {
            for (++i; i < header.size() && header[i] != '"'; ++i) {
                if (header[i] == '\\' && i + 1 < header.size()) {
                    ++i;
                }
                value += header[i];
            }
            ++i; // the closing quote
        } else {
            while (i < header.size() && header[i] != ',') {
                value += header[i++];
            }
        }
        c.params[key] = value;
    }
    return c;
}

namespace {

// One `auths` entry: basic credentials, an identity token (only docker can use it), or nothing.
std::optional<Credentials> from_auth_entry(const json& entry) {
    auto text = [&entry](const char* k) {
        auto v = entry.find(k);
        return v != entry.end() && v->is_string() ? v->get<std::string>() : std::string();
    };
    if (!text("identitytoken").empty() || !text("registrytoken").empty()) {
        return Credentials{Credentials::Kind::other, {}};
    }
    if (!text("auth").empty()) {
        return Credentials{Credentials::Kind::basic, text("auth")};
    }
    if (!text("username").empty()) {
        return Credentials{Credentials::Kind::basic,
                           base64(text("username") + ":" + text("password"))};
    }
    return std::nullopt;
}

} // namespace

Credentials credentials_for(std::string_view config_json, std::string_view host) {
    json cfg = json::parse(config_json, nullptr, false);
    if (cfg.is_discarded() || !cfg.is_object()) {
        return {};
    }
    Credentials other{Credentials::Kind::other, {}};
    if (auto h = cfg.find("credHelpers"); h != cfg.end() && h->is_object()) {
        for (const auto& item : h->items()) {
            if (config_key_host(item.key()) == host) {
                return other;
            }
        }
    }
    if (auto a = cfg.find("auths"); a != cfg.end() && a->is_object()) {
        for (const auto& item : a->items()) {
            if (config_key_host(item.key()) != host || !item.value().is_object()) {
                continue;
            }
            if (auto found = from_auth_entry(item.value())) {
                return *found;
            }
        }
    }
    if (auto s = cfg.find("credsStore"); s != cfg.end() && s->is_string() && !s->empty()) {
        return other;
    }
    return {};
}

bool says_missing(std::string_view body) {
    json doc = json::parse(body, nullptr, false);
    if (!doc.is_object() || !doc.contains("errors") || !doc["errors"].is_array()) {
        return false;
    }
    for (const auto& e : doc["errors"]) {
        if (e.is_object() && e.contains("code") && e["code"].is_string()) {
            const auto& code = e["code"].get_ref<const std::string&>();
            if (code == "MANIFEST_UNKNOWN" || code == "NAME_UNKNOWN") {
                return true;
            }
        }
    }
    return false;
}

} // namespace imgspec::build::http
