#include "unit/test_util.hpp"

#include <imgspec/build/registry_http.hpp>
#include <imgspec/util/sha256.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using imgspec::build::http::Answer;
using imgspec::build::http::Client;
using imgspec::build::http::Credentials;
using imgspec::build::http::credentials_for;
using imgspec::build::http::locate;
using imgspec::build::http::parse_challenge;
using imgspec::build::http::says_missing;

namespace {

// The rest of the unit tests ask docker's fakes, never a registry or an engine of this machine
// (check_remote, image_user, the build's platform): direct HTTP is off in this binary. The Client
// tests below construct a Client themselves, which does not look at the switch.
const bool direct_http_off = [] {
    ::setenv("IMGSPEC_DIRECT_HTTP", "0", 1);
    return true;
}();

// A registry on 127.0.0.1: each connection gets one answer from `handler` (request line and
// headers in, full response out), then is closed. Records what it was asked.
class FakeRegistry {
  public:
    using Handler = std::function<std::string(const std::string& request)>;
    explicit FakeRegistry(Handler h) : m_handler(std::move(h)) {
        m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(m_fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        ::listen(m_fd, 16);
        socklen_t len = sizeof a;
        ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&a), &len);
        m_port = ntohs(a.sin_port);
        m_thread = std::thread([this] { serve(); });
    }
    ~FakeRegistry() {
        m_stop = true;
        ::shutdown(m_fd, SHUT_RDWR);
        ::close(m_fd);
        m_thread.join();
    }
    std::string host() const { return "127.0.0.1:" + std::to_string(m_port); }
    std::vector<std::string> requests() {
        std::lock_guard lock(m_mutex);
        return m_requests;
    }

  private:
    void serve() {
        while (!m_stop) {
            int c = ::accept(m_fd, nullptr, nullptr);
            if (c < 0) {
                return;
            }
            std::string req;
            char buf[4096];
            while (req.find("\r\n\r\n") == std::string::npos) {
                ssize_t n = ::read(c, buf, sizeof buf);
                if (n <= 0) {
                    break;
                }
                req.append(buf, static_cast<std::size_t>(n));
            }
            {
                std::lock_guard lock(m_mutex);
                m_requests.push_back(req);
            }
            std::string resp = m_handler(req);
            (void)!::write(c, resp.data(), resp.size());
            ::close(c);
        }
    }
    Handler m_handler;
    int m_fd = -1;
    int m_port = 0;
    std::atomic<bool> m_stop{false};
    std::thread m_thread;
    std::mutex m_mutex;
    std::vector<std::string> m_requests;
};

std::string response(int status, const std::string& body, const std::string& headers = {}) {
    return "HTTP/1.1 " + std::to_string(status) +
           " X\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n" +
           headers + "\r\n" + body;
}

std::string digest_of(const std::string& body) {
    return "sha256:" + imgspec::util::to_hex(imgspec::util::sha256(body));
}

bool has(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

const std::string index_json =
    R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})";

} // namespace

TEST(RegistryHttp, LocatesReferencesAsDockerDoes) {
    auto a = locate("127.0.0.1:5000/team/app:0123abcd");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->host, "127.0.0.1:5000");
    EXPECT_EQ(a->base_url, "http://127.0.0.1:5000"); // loopback: plain HTTP, as docker allows
    EXPECT_EQ(a->repository, "team/app");
    EXPECT_EQ(a->reference, "0123abcd");
    auto hub = locate("python:3.12");
    ASSERT_TRUE(hub);
    EXPECT_EQ(hub->host, "docker.io");
    EXPECT_EQ(hub->base_url, "https://registry-1.docker.io");
    EXPECT_EQ(hub->repository, "library/python");
    auto d = locate("ghcr.io/org/img@sha256:" + std::string(64, 'a'));
    ASSERT_TRUE(d);
    EXPECT_EQ(d->base_url, "https://ghcr.io");
    EXPECT_EQ(d->reference, "sha256:" + std::string(64, 'a'));
    auto tagged_digest = locate("localhost:5000/img:1.0@sha256:" + std::string(64, 'b'));
    ASSERT_TRUE(tagged_digest);
    EXPECT_EQ(tagged_digest->repository, "img");
    EXPECT_EQ(tagged_digest->reference, "sha256:" + std::string(64, 'b'));
    EXPECT_EQ(locate("busybox")->reference, "latest");
    EXPECT_FALSE(locate("reg.example.com/app:tag with space"));
    EXPECT_FALSE(locate("reg.example.com/app?x=1:tag"));
}

TEST(RegistryHttp, ParsesChallenges) {
    auto c = parse_challenge(
        R"(Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull")");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->scheme, "bearer");
    EXPECT_EQ(c->params["realm"], "https://auth.example.com/token");
    EXPECT_EQ(c->params["service"], "registry.example.com");
    EXPECT_EQ(c->params["scope"], "repository:a/b:pull");
    auto b = parse_challenge(R"(Basic realm="Registry Realm")");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->scheme, "basic");
    EXPECT_EQ(b->params["realm"], "Registry Realm");
    EXPECT_FALSE(parse_challenge(""));
}

TEST(RegistryHttp, CredentialsOnlyWhatImgspecCanUse) {
    auto basic = credentials_for(R"({"auths": {"https://127.0.0.1:5001/v1/": {"auth": "dTpw"}}})",
                                 "127.0.0.1:5001");
    EXPECT_EQ(basic.kind, Credentials::Kind::basic);
    EXPECT_EQ(basic.basic, "dTpw");
    auto pair =
        credentials_for(R"({"auths": {"r.io": {"username": "u", "password": "p"}}})", "r.io");
    EXPECT_EQ(pair.kind, Credentials::Kind::basic);
    EXPECT_EQ(pair.basic, "dTpw"); // base64 of u:p
    EXPECT_EQ(credentials_for(R"({"auths": {"other.io": {"auth": "dTpw"}}})", "r.io").kind,
              Credentials::Kind::none);
    EXPECT_EQ(credentials_for(R"({"auths": {"https://index.docker.io/v1/": {"auth": "dTpw"}}})",
                              "docker.io")
                  .kind,
              Credentials::Kind::basic);
    // Only docker can use these: a store, a helper, a token.
    EXPECT_EQ(credentials_for(R"({"credsStore": "desktop", "auths": {"r.io": {}}})", "r.io").kind,
              Credentials::Kind::other);
    EXPECT_EQ(credentials_for(R"({"credHelpers": {"r.io": "ecr-login"}})", "r.io").kind,
              Credentials::Kind::other);
    EXPECT_EQ(credentials_for(R"({"auths": {"r.io": {"identitytoken": "t"}}})", "r.io").kind,
              Credentials::Kind::other);
    EXPECT_EQ(credentials_for("not json", "r.io").kind, Credentials::Kind::none);
}

TEST(RegistryHttp, OnlyTheRegistrysOwnWordsAreAMiss) {
    EXPECT_TRUE(says_missing(R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"x"}]})"));
    EXPECT_TRUE(says_missing(R"({"errors":[{"code":"NAME_UNKNOWN"}]})"));
    EXPECT_FALSE(says_missing(R"({"errors":[{"code":"UNAUTHORIZED"}]})"));
    EXPECT_FALSE(says_missing("<html>404 Not Found</html>"));
}

TEST(RegistryHttp, FoundMissingAndWhatIsLeftToDocker) {
    FakeRegistry reg([](const std::string& req) {
        if (has(req, "/manifests/there ")) {
            return response(200, index_json,
                            "Docker-Content-Digest: " + digest_of(index_json) + "\r\n");
        }
        if (has(req, "/manifests/liar ")) {
            return response(200, index_json,
                            "Docker-Content-Digest: sha256:" + std::string(64, '0') + "\r\n");
        }
        if (has(req, "/manifests/broken ")) {
            return response(500, R"({"errors":[{"code":"UNKNOWN"}]})");
        }
        if (has(req, "/manifests/proxy404 ")) {
            return response(404, "<html>not found</html>");
        }
        return response(404, R"({"errors":[{"code":"MANIFEST_UNKNOWN"}]})");
    });
    Client client("/nonexistent-docker-config", std::chrono::seconds(10));
    auto at = [&](const std::string& tag) { return *locate(reg.host() + "/app:" + tag); };
    auto found = client.manifest(at("there"));
    EXPECT_EQ(found.answer, Answer::found);
    EXPECT_EQ(found.body, index_json);
    EXPECT_EQ(client.manifest(at("gone")).answer, Answer::missing);
    EXPECT_EQ(client.manifest(at("liar")).answer,
              Answer::unknown); // body does not match its digest
    EXPECT_EQ(client.manifest(at("broken")).answer, Answer::unknown);
    EXPECT_EQ(client.manifest(at("proxy404")).answer, Answer::unknown); // not a registry's 404
    auto reqs = reg.requests();
    ASSERT_FALSE(reqs.empty());
    EXPECT_TRUE(has(reqs[0], "GET /v2/app/manifests/there HTTP/1.1"));
    EXPECT_TRUE(has(reqs[0], "application/vnd.oci.image.index.v1+json"));
    // A blob is checked against its digest.
    FakeRegistry blobs([](const std::string& req) {
        return has(req, "/blobs/") ? response(200, "{}") : response(404, "");
    });
    Client c2("/nonexistent-docker-config", std::chrono::seconds(10));
    auto b = *locate(blobs.host() + "/app:x");
    EXPECT_EQ(c2.blob(b, digest_of("{}")).answer, Answer::found);
    EXPECT_EQ(c2.blob(b, digest_of("other")).answer, Answer::unknown);
}

TEST(RegistryHttp, BearerTokenAndBasicCredentials) {
    std::string realm;
    FakeRegistry reg([&](const std::string& req) {
        if (has(req, "GET /token?")) {
            EXPECT_TRUE(has(req, "service=fake"));
            EXPECT_TRUE(has(req, "scope=repository%3Aapp%3Apull"));
            EXPECT_TRUE(has(req, "Authorization: Basic dTpw")); // the config's credentials
            return response(200, R"({"token": "tok123"})");
        }
        if (has(req, "Authorization: Bearer tok123")) {
            return response(404, R"({"errors":[{"code":"MANIFEST_UNKNOWN"}]})");
        }
        return response(401, "",
                        "WWW-Authenticate: Bearer realm=\"" + realm +
                            "\",service=\"fake\",scope=\"repository:app:pull\"\r\n");
    });
    realm = "http://" + reg.host() + "/token";
    imgspec::test::TempDir dir;
    dir.write("config.json", R"({"auths": {")" + reg.host() + R"(": {"auth": "dTpw"}}})");
    Client client(dir.path(), std::chrono::seconds(10));
    EXPECT_EQ(client.manifest(*locate(reg.host() + "/app:x")).answer, Answer::missing);
    // Basic: the credentials after the challenge; none: left to docker.
    FakeRegistry basic([](const std::string& req) {
        if (has(req, "Authorization: Basic dTpw")) {
            return response(200, index_json);
        }
        return response(401, "", "WWW-Authenticate: Basic realm=\"r\"\r\n");
    });
    dir.write("config.json", R"({"auths": {")" + basic.host() + R"(": {"auth": "dTpw"}}})");
    Client with(dir.path(), std::chrono::seconds(10));
    EXPECT_EQ(with.manifest(*locate(basic.host() + "/app:x")).answer, Answer::found);
    Client without("/nonexistent-docker-config", std::chrono::seconds(10));
    EXPECT_EQ(without.manifest(*locate(basic.host() + "/app:x")).answer, Answer::unknown);
    // A credential store: only docker can ask it, so nothing is asked here.
    auto before = basic.requests().size();
    dir.write("config.json", R"({"credsStore": "pass"})");
    Client store(dir.path(), std::chrono::seconds(10));
    EXPECT_EQ(store.manifest(*locate(basic.host() + "/app:x")).answer, Answer::unknown);
    EXPECT_EQ(basic.requests().size(), before);
}
