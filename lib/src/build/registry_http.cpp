// The distribution API over libcurl, loaded when first needed (registry_http.hpp says why).
#include <imgspec/build/registry_http.hpp>

#include <imgspec/util/fd.hpp>
#include <imgspec/util/sha256.hpp>
#include <imgspec/util/strings.hpp>

#include <curl/curl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <mutex>
#include <vector>

#include <dlfcn.h>

namespace imgspec::build::http {

using json = nlohmann::json;

namespace {

constexpr std::size_t max_manifest = std::size_t{4} << 20; // the distribution spec's limit
constexpr std::size_t max_blob = std::size_t{16} << 20;    // image configs are kilobytes

// The libcurl functions imgspec calls, from libcurl.so.4 (dlopen: see registry_http.hpp).
struct CurlApi {
    CURLcode (*global_init)(long) = nullptr;
    CURL* (*easy_init)() = nullptr;
    CURLcode (*easy_setopt)(CURL*, CURLoption, ...) = nullptr;
    CURLcode (*easy_perform)(CURL*) = nullptr;
    CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...) = nullptr;
    void (*easy_cleanup)(CURL*) = nullptr;
    curl_slist* (*slist_append)(curl_slist*, const char*) = nullptr;
    void (*slist_free_all)(curl_slist*) = nullptr;
    const char* (*easy_strerror)(CURLcode) = nullptr;
};

template <typename F> bool bind(void* lib, const char* name, F& fn) {
    fn = reinterpret_cast<F>(
        dlsym(lib, name)); // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
    return fn != nullptr;
}

const CurlApi* curl_api() {
    static CurlApi api;
    static bool loaded = false;
    static std::once_flag once;
    std::call_once(once, [] {
        void* lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
        if (lib == nullptr) {
            return;
        }
        loaded = bind(lib, "curl_global_init", api.global_init) &&
                 bind(lib, "curl_easy_init", api.easy_init) &&
                 bind(lib, "curl_easy_setopt", api.easy_setopt) &&
                 bind(lib, "curl_easy_perform", api.easy_perform) &&
                 bind(lib, "curl_easy_getinfo", api.easy_getinfo) &&
                 bind(lib, "curl_easy_cleanup", api.easy_cleanup) &&
                 bind(lib, "curl_slist_append", api.slist_append) &&
                 bind(lib, "curl_slist_free_all", api.slist_free_all) &&
                 bind(lib, "curl_easy_strerror", api.easy_strerror) &&
                 api.global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    });
    return loaded ? &api : nullptr;
}

// IMGSPEC_DIRECT_HTTP=0: registries and the engine are asked through docker only.
bool direct_http_enabled() {
    const char* v = std::getenv("IMGSPEC_DIRECT_HTTP");
    return v == nullptr || std::string_view(v) != "0";
}

// A URL's query value: unreserved characters kept, everything else %XX.
std::string url_escape(std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
        if ((std::isalnum(c) != 0) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += fmt::format("%{:02X}", c);
        }
    }
    return out;
}

std::string sha256_of(std::string_view body) {
    return "sha256:" + util::to_hex(util::sha256(body));
}

// One response: status, the headers that matter (of the last response after redirects), body.
struct Response {
    CURLcode code = CURLE_OK;
    long status = 0;
    bool too_big = false;
    std::string body;
    std::string digest;           // Docker-Content-Digest
    std::string www_authenticate; // the first one
};

struct Sink {
    Response* r;
    std::size_t limit;
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
    auto* sink = static_cast<Sink*>(user);
    std::size_t len = size * n;
    if (sink->r->body.size() + len > sink->limit) {
        sink->r->too_big = true;
        return 0; // stops the transfer
    }
    sink->r->body.append(data, len);
    return len;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
    auto* r = static_cast<Response*>(user);
    std::size_t len = size * n;
    std::string_view line(data, len);
    if (util::starts_with(line, "HTTP/")) { // a new response (after a redirect or a 100)
        r->digest.clear();
        r->www_authenticate.clear();
        return len;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos) {
        return len;
    }
    std::string name = util::to_lower(line.substr(0, colon));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
    }
    while (!value.empty() &&
           (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
        value.remove_suffix(1);
    }
    if (name == "docker-content-digest") {
        r->digest = value;
    } else if (name == "www-authenticate" && r->www_authenticate.empty()) {
        r->www_authenticate = value;
    }
    return len;
}

} // namespace

struct Client::Impl {
    const CurlApi* api = curl_api();
    CURL* curl = nullptr;
    std::string config_json;
    std::chrono::seconds timeout;
    std::string authorization; // "Authorization: ..." once a challenge was answered
    std::string authorized;    // for which "host/repository"

    Response get(const std::string& url, const std::vector<std::string>& headers, std::size_t limit,
                 const std::string& basic_auth = {}) {
        Response r;
        curl_slist* list = nullptr;
        for (const auto& h : headers) {
            list = api->slist_append(list, h.c_str());
        }
        if (!basic_auth.empty()) {
            list = api->slist_append(list, ("Authorization: Basic " + basic_auth).c_str());
        }
        Sink sink{&r, limit};
        // A loopback registry is never asked through a proxy (as Go's, so docker's, rule);
        // elsewhere the environment's proxy settings hold (nullptr: libcurl's default).
        bool loopback =
            util::starts_with(url, "http://") && is_loopback(url.substr(7, url.find('/', 7) - 7));
        api->easy_setopt(curl, CURLOPT_PROXY, loopback ? "" : static_cast<const char*>(nullptr));
        api->easy_setopt(curl, CURLOPT_URL, url.c_str());
        api->easy_setopt(curl, CURLOPT_HTTPHEADER, list);
        api->easy_setopt(curl, CURLOPT_WRITEFUNCTION, &on_body);
        api->easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
        api->easy_setopt(curl, CURLOPT_HEADERFUNCTION, &on_header);
        api->easy_setopt(curl, CURLOPT_HEADERDATA, &r);
        r.code = api->easy_perform(curl);
        api->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
        api->easy_setopt(curl, CURLOPT_HTTPHEADER, static_cast<curl_slist*>(nullptr));
        api->slist_free_all(list);
        return r;
    }

    // A bearer token for the challenge, or "" (then the caller leaves it to docker).
    std::string token(const Challenge& c, const Location& at, const Credentials& credentials) {
        auto realm = c.params.find("realm");
        if (realm == c.params.end() || !(util::starts_with(realm->second, "https://") ||
                                         util::starts_with(realm->second, "http://"))) {
            return {};
        }
        std::string url = realm->second;
        char sep = url.find('?') == std::string::npos ? '?' : '&';
        if (auto s = c.params.find("service"); s != c.params.end()) {
            url += fmt::format("{}service={}", sep, url_escape(s->second));
            sep = '&';
        }
        auto scope = c.params.find("scope");
        url += fmt::format("{}scope={}", sep,
                           url_escape(scope != c.params.end()
                                          ? scope->second
                                          : "repository:" + at.repository + ":pull"));
        Response r = get(url, {"Accept: application/json"}, max_blob,
                         credentials.kind == Credentials::Kind::basic ? credentials.basic : "");
        if (r.code != CURLE_OK || r.status != 200) {
            return {};
        }
        json doc = json::parse(r.body, nullptr, false);
        for (const char* key : {"token", "access_token"}) {
            if (doc.is_object() && doc.contains(key) && doc[key].is_string() &&
                !doc[key].get_ref<const std::string&>().empty()) {
                return doc[key].get<std::string>();
            }
        }
        return {};
    }

    // GET with the registry's authentication: anonymous first (or the answer to an earlier
    // challenge of the same repository), then the challenge's scheme.
    Response authenticated(const std::string& url, const std::string& accept, std::size_t limit,
                           const Location& at, const Credentials& credentials) {
        std::string scope = at.host + "/" + at.repository;
        if (scope != authorized) {
            authorization.clear();
        }
        std::vector<std::string> headers{accept};
        if (!authorization.empty()) {
            headers.push_back(authorization);
        }
        Response r = get(url, headers, limit);
        if (r.code != CURLE_OK || r.status != 401) {
            return r;
        }
        auto c = parse_challenge(r.www_authenticate);
        if (!c) {
            return r;
        }
        if (c->scheme == "basic" && credentials.kind == Credentials::Kind::basic) {
            authorization = "Authorization: Basic " + credentials.basic;
        } else if (c->scheme == "bearer") {
            std::string t = token(*c, at, credentials);
            if (t.empty()) {
                return r;
            }
            authorization = "Authorization: Bearer " + t;
        } else {
            return r;
        }
        authorized = scope;
        return get(url, {accept, authorization}, limit);
    }

    Reply ask(const std::string& url, const std::string& accept, std::size_t limit,
              const Location& at, const std::string& expect_digest) {
        Reply out;
        if (api == nullptr || curl == nullptr) {
            out.why = "libcurl.so.4 cannot be loaded";
            return out;
        }
        Credentials credentials = credentials_for(config_json, at.host);
        if (credentials.kind == Credentials::Kind::other) {
            out.why = fmt::format("the docker config has credentials for {} that only docker can "
                                  "use (a helper, a store or a token)",
                                  at.host);
            return out;
        }
        Response r = authenticated(url, accept, limit, at, credentials);
        if (r.code == CURLE_OPERATION_TIMEDOUT) {
            out.answer = Answer::timed_out;
            out.why = fmt::format("no answer within {} s", timeout.count());
            return out;
        }
        if (r.code != CURLE_OK) {
            out.why = r.too_big ? "the answer is larger than a manifest can be"
                                : api->easy_strerror(r.code);
            return out;
        }
        out.why = fmt::format("HTTP {}", r.status);
        if (r.status == 404 && says_missing(r.body)) {
            out.answer = Answer::missing;
            return out;
        }
        if (r.status != 200) {
            return out;
        }
        std::string digest = sha256_of(r.body);
        if ((!r.digest.empty() && r.digest != digest) ||
            (!expect_digest.empty() && expect_digest != digest)) {
            out.why = "the body does not match its digest";
            return out;
        }
        out.answer = Answer::found;
        out.body = std::move(r.body);
        return out;
    }
};

Client::Client(const std::filesystem::path& docker_config_dir, std::chrono::seconds timeout)
    : m(std::make_unique<Impl>()) {
    m->timeout = timeout;
    m->config_json = util::read_text(docker_config_dir / "config.json");
    if (m->api == nullptr) {
        return;
    }
    m->curl = m->api->easy_init();
    if (m->curl == nullptr) {
        return;
    }
    const CurlApi& api = *m->api;
    api.easy_setopt(m->curl, CURLOPT_NOSIGNAL, 1L);
    api.easy_setopt(m->curl, CURLOPT_FOLLOWLOCATION, 1L); // blobs may live elsewhere (S3, a CDN)
    api.easy_setopt(m->curl, CURLOPT_MAXREDIRS, 5L);
    api.easy_setopt(m->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    api.easy_setopt(m->curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    api.easy_setopt(m->curl, CURLOPT_CONNECTTIMEOUT, static_cast<long>(timeout.count()));
    api.easy_setopt(m->curl, CURLOPT_TIMEOUT, static_cast<long>(timeout.count()));
    api.easy_setopt(m->curl, CURLOPT_USERAGENT, "imgspec/" IMGSPEC_VERSION);
}

Client::~Client() {
    if (m->curl != nullptr) {
        m->api->easy_cleanup(m->curl);
    }
}

bool Client::available() {
    return direct_http_enabled() && curl_api() != nullptr;
}

Reply Client::manifest(const Location& at) {
    return m->ask(fmt::format("{}/v2/{}/manifests/{}", at.base_url, at.repository, at.reference),
                  "Accept: application/vnd.oci.image.index.v1+json, "
                  "application/vnd.docker.distribution.manifest.list.v2+json, "
                  "application/vnd.oci.image.manifest.v1+json, "
                  "application/vnd.docker.distribution.manifest.v2+json",
                  max_manifest, at,
                  util::starts_with(at.reference, "sha256:") ? at.reference : std::string());
}

Reply Client::blob(const Location& at, const std::string& digest) {
    Reply r = m->ask(fmt::format("{}/v2/{}/blobs/{}", at.base_url, at.repository, digest),
                     "Accept: */*", max_blob, at, digest);
    if (r.answer == Answer::missing) { // a manifest names it: a missing blob is no "missing image"
        r.answer = Answer::unknown;
    }
    return r;
}

std::optional<std::string> get_over_unix_socket(const std::string& socket, const std::string& path,
                                                std::chrono::milliseconds timeout) {
    const CurlApi* api = direct_http_enabled() ? curl_api() : nullptr;
    CURL* curl = api != nullptr ? api->easy_init() : nullptr;
    if (curl == nullptr) {
        return std::nullopt;
    }
    Response r;
    Sink sink{&r, max_manifest};
    std::string url = "http://localhost" + path;
    api->easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, socket.c_str());
    api->easy_setopt(curl, CURLOPT_URL, url.c_str());
    api->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    api->easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    api->easy_setopt(curl, CURLOPT_WRITEFUNCTION, &on_body);
    api->easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    r.code = api->easy_perform(curl);
    api->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
    api->easy_cleanup(curl);
    if (r.code != CURLE_OK || r.status != 200) {
        return std::nullopt;
    }
    return std::move(r.body);
}

} // namespace imgspec::build::http
