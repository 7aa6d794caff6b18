#pragma once
// Asking a registry for a manifest or a blob directly over HTTP (the distribution API), without
// starting docker: the fast path of the existence check, the base image's user, `lock` and
// `explain --against`. A `docker buildx imagetools` call costs three processes (~0.06 s on an idle
// machine, several tenths under load); a request to the registry costs a millisecond or two.
//
// It answers only what it can tell for sure: the exact bytes of a manifest (checked against the
// registry's digest), or "missing" when the registry says MANIFEST_UNKNOWN / NAME_UNKNOWN.
// Everything else is Answer::unknown, and the caller asks docker, which knows the user's
// credential helpers, certificates, mirrors and insecure registries: credentials from a helper or
// a store, an identity token, a TLS error, a 5xx, a reset, a body that is not what was asked for.
//
// libcurl is loaded when first needed (dlopen of libcurl.so.4), so the commands that never ask a
// registry start as fast as before; without it, or with IMGSPEC_DIRECT_HTTP=0 in the environment,
// every answer is Answer::unknown (and get_over_unix_socket's nullopt). Credentials
// (from the docker config's `auths`) and tokens go into request headers only, never a log.

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace imgspec::build::http {

// Where an image reference lives, as docker resolves it.
struct Location {
    std::string host;       // as docker's config keys it: "127.0.0.1:5000", "docker.io"
    std::string base_url;   // "http://127.0.0.1:5000" (loopback), "https://registry-1.docker.io"
    std::string repository; // "app", "library/python"
    std::string reference;  // a tag ("latest" when none) or "sha256:..."
};

// nullopt when `uri` is not a reference this client can ask for (empty parts, odd characters).
std::optional<Location> locate(std::string_view uri);

// A registry host docker asks over plain HTTP: localhost, 127.x.x.x, [::1] (with any port).
bool is_loopback(std::string_view host);

// A WWW-Authenticate challenge: `Bearer realm="...",service="...",scope="..."` or `Basic ...`.
struct Challenge {
    std::string scheme; // lowercase: "bearer", "basic"
    std::map<std::string, std::string> params;
};
std::optional<Challenge> parse_challenge(std::string_view header);

// What a docker config.json offers for a registry host.
struct Credentials {
    enum class Kind {
        none,  // nothing: ask anonymously
        basic, // `auths[host].auth` (or username and password)
        other, // a credential helper or store, or an identity token: only docker can use them
    };
    Kind kind = Kind::none;
    std::string basic; // base64 of "user:password" (Kind::basic)
};
Credentials credentials_for(std::string_view config_json, std::string_view host);

// True when a registry's 404 body says the manifest or repository does not exist.
bool says_missing(std::string_view body);

enum class Answer { found, missing, unknown, timed_out };
struct Reply {
    Answer answer = Answer::unknown;
    std::string body; // Answer::found: the exact bytes served
    std::string why;  // for the debug log: the status or error; never a credential
};

// One client per question (or a few about one image): it keeps its connection and its token.
class Client {
  public:
    // `docker_config_dir`: the DOCKER_CONFIG docker would be given (its config.json's `auths`).
    // Each request may take `timeout` at most (then Answer::timed_out).
    Client(const std::filesystem::path& docker_config_dir, std::chrono::seconds timeout);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // False when libcurl cannot be loaded (every reply is then Answer::unknown) or
    // IMGSPEC_DIRECT_HTTP=0 (callers then ask docker).
    static bool available();

    // The manifest (an index or an image manifest) at `at`.
    Reply manifest(const Location& at);
    // The blob `digest` ("sha256:...") of `at`'s repository, checked against the digest.
    Reply blob(const Location& at, const std::string& digest);

  private:
    struct Impl;
    std::unique_ptr<Impl> m;
};

// GET `path` from the HTTP server on the unix socket `socket` (the docker engine's API): the
// body of a 200 answer; nullopt for anything else, or without libcurl.
std::optional<std::string> get_over_unix_socket(const std::string& socket, const std::string& path,
                                                std::chrono::milliseconds timeout);

} // namespace imgspec::build::http
