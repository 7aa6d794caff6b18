#include "unit/test_util.hpp"

#include <imgspec/build/registry.hpp>
#include <imgspec/core/error.hpp>
#include <imgspec/util/sha256.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;
using imgspec::Error;
using imgspec::ErrorKind;
using imgspec::build::check_local;
using imgspec::build::check_remote;
using imgspec::build::DockerConfigDir;
using imgspec::build::index_platforms;
using imgspec::build::is_not_found;
using imgspec::build::Presence;
using imgspec::test::read_file;
using imgspec::test::TempDir;
using imgspec::util::ProcessResult;
using imgspec::util::ProcessSpec;

namespace {

// Answers each run() with the next scripted result and records what was asked.
class FakeRunner : public imgspec::util::ProcessRunner {
  public:
    void add(int exit_code, std::string out, std::string err = {}, bool timed_out = false) {
        ProcessResult r;
        r.exit_code = exit_code;
        r.out = std::move(out);
        r.err = std::move(err);
        r.timed_out = timed_out;
        m_results.push_back(std::move(r));
    }
    ProcessResult run(const ProcessSpec& spec) override {
        m_calls.push_back(spec);
        if (m_results.empty()) {
            throw std::runtime_error("unexpected call: " + spec.argv.back());
        }
        ProcessResult r = m_results.front();
        m_results.pop_front();
        return r;
    }
    const std::vector<ProcessSpec>& calls() const { return m_calls; }

  private:
    std::deque<ProcessResult> m_results;
    std::vector<ProcessSpec> m_calls;
};

unsigned perms_of(const fs::path& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 ? st.st_mode & 07777 : ~0u;
}

const std::string uri = "127.0.0.1:5000/hello:abc";
const std::vector<std::string> both = {"linux/amd64", "linux/arm64"};

// What buildx 0.13 prints for a two-platform image pushed with --provenance=false.
const std::string index_both = R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.index.v1+json",
  "manifests": [
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:1", "size": 1,
     "platform": {"architecture": "amd64", "os": "linux"}},
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:2", "size": 1,
     "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}}
  ]
})";

const std::string index_amd64_with_attestation = R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.index.v1+json",
  "manifests": [
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:1", "size": 1,
     "platform": {"architecture": "amd64", "os": "linux"}},
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:3", "size": 1,
     "annotations": {"vnd.docker.reference.digest": "sha256:1",
                     "vnd.docker.reference.type": "attestation-manifest"},
     "platform": {"architecture": "unknown", "os": "unknown"}}
  ]
})";

const std::string single_manifest = R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
  "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": "sha256:c", "size": 1},
  "layers": []
})";

} // namespace

// ---- platforms and index parsing ----------------------------------------------------------------

TEST(Registry, IndexPlatformsSkipAttestations) {
    auto p = index_platforms(index_amd64_with_attestation);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(*p, std::vector<std::string>{"linux/amd64"});
    EXPECT_FALSE(index_platforms(single_manifest).has_value());
    EXPECT_THROW(index_platforms("<html>oops</html>"), Error);
    EXPECT_THROW(index_platforms(R"({"hello": 1})"), Error);
}

TEST(Registry, NotFoundIsRecognisedAndNothingElse) {
    EXPECT_TRUE(is_not_found("ERROR: 127.0.0.1:5000/hello:abc: not found\n"));
    EXPECT_TRUE(is_not_found("error: MANIFEST_UNKNOWN: manifest unknown"));
    EXPECT_TRUE(is_not_found("Error response from daemon: No such image: hello:abc\n"));
    EXPECT_FALSE(is_not_found("exec: \"docker-buildx\": executable file not found in $PATH"));
    EXPECT_FALSE(is_not_found(
        "ERROR: pull access denied, repository does not exist or may require authorization: "
        "authorization failed: no basic auth credentials"));
    EXPECT_FALSE(is_not_found("ERROR: dial tcp 127.0.0.1:5000: connect: connection refused"));
    EXPECT_FALSE(is_not_found(""));
}

TEST(Registry, ErrorLineIsBuildxsVerdict) {
    using imgspec::build::error_line;
    EXPECT_EQ(error_line("#5 RUN x\r\n#5 ERROR: not me\nERROR: failed to solve: boom\n\n"),
              "failed to solve: boom");
    EXPECT_EQ(error_line("\x1b[31mERROR: red\x1b[0m\r\n"), "red");
    EXPECT_EQ(error_line("first\nlast line  \n"), "last line");
    EXPECT_EQ(error_line(""), "");
}

// ---- remote existence -----------------------------------------------------------------------

TEST(Registry, IndexWithBothPlatformsExists) {
    FakeRunner runner;
    runner.add(0, index_both);
    Presence p = check_remote(runner, uri, both);
    EXPECT_TRUE(p.exists);
    EXPECT_EQ(p.found, both);
    EXPECT_EQ(p.digest, "sha256:" + imgspec::util::to_hex(imgspec::util::sha256(index_both)));
    ASSERT_EQ(runner.calls().size(), 1u);
    EXPECT_EQ(runner.calls()[0].argv, (std::vector<std::string>{"docker", "buildx", "imagetools",
                                                                "inspect", "--raw", uri}));
}

TEST(Registry, IndexMissingArm64IsAMiss) {
    FakeRunner runner;
    runner.add(0, index_amd64_with_attestation);
    Presence p = check_remote(runner, uri, both);
    EXPECT_FALSE(p.exists);
    EXPECT_EQ(p.found, std::vector<std::string>{"linux/amd64"});
    EXPECT_NE(p.reason.find("linux/arm64"), std::string::npos) << p.reason;
}

TEST(Registry, RequestedVariantMatchesNormalized) {
    FakeRunner runner;
    runner.add(0, index_both);
    EXPECT_TRUE(check_remote(runner, uri, {"linux/arm64/v8"}).exists);
}

TEST(Registry, NotFoundIsAMiss) {
    FakeRunner runner;
    runner.add(1, "", "ERROR: 127.0.0.1:5000/hello:abc: not found\n");
    Presence p = check_remote(runner, uri, both);
    EXPECT_FALSE(p.exists);
    EXPECT_TRUE(p.found.empty());
}

TEST(Registry, ConnectionRefusedIsUnavailable) {
    FakeRunner runner;
    runner.add(
        1, "",
        "ERROR: failed to do request: Head \"http://127.0.0.1:5000/v2/hello/manifests/abc\": "
        "dial tcp 127.0.0.1:5000: connect: connection refused\n");
    try {
        check_remote(runner, uri, both);
        FAIL() << "a registry that cannot be reached must not count as a hit or a miss";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::unavailable);
        EXPECT_NE(std::string(e.what()).find("connection refused"), std::string::npos);
        EXPECT_NE(e.hint().find("127.0.0.1:5000"), std::string::npos) << e.hint();
    }
}

TEST(Registry, AuthFailureIsUnavailable) {
    for (const char* err :
         {"ERROR: pull access denied, repository does not exist or may require authorization: "
          "authorization failed: no basic auth credentials\n",
          "ERROR: failed to authorize: failed to fetch oauth token: unexpected status: 401 "
          "Unauthorized\n"}) {
        FakeRunner runner;
        runner.add(1, "", err);
        try {
            check_remote(runner, "127.0.0.1:5001/hello:abc", both);
            FAIL() << "auth failure taken as an answer: " << err;
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::unavailable);
            EXPECT_NE(e.hint().find("registry_secret"), std::string::npos) << e.hint();
        }
    }
}

// A registry that answers, but not as a registry should: unavailable, with a hint all the same.
TEST(Registry, MisbehavingRegistryIsUnavailableWithAHint) {
    for (const char* err :
         {"ERROR: unexpected status from HEAD request to http://127.0.0.1:5000/v2/hello/manifests/"
          "abc: 500 Internal Server Error\n",
          "ERROR: unexpected EOF\n", "ERROR: invalid character 'h' in literal true\n"}) {
        FakeRunner runner;
        runner.add(1, "", err);
        try {
            check_remote(runner, uri, both);
            FAIL() << "taken as an answer: " << err;
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::unavailable);
            EXPECT_NE(e.hint().find("127.0.0.1:5000"), std::string::npos) << e.hint();
        }
    }
}

TEST(Registry, TimeoutIsUnavailable) {
    FakeRunner runner;
    runner.add(137, "", "", true);
    try {
        check_remote(runner, uri, both);
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::unavailable);
    }
}

TEST(Registry, GarbageAnswerIsUnavailableNotAHit) {
    FakeRunner runner;
    runner.add(0, "<html>proxy login</html>");
    try {
        check_remote(runner, uri, both);
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::unavailable);
    }
}

TEST(Registry, SingleManifestIsCheckedThroughItsConfig) {
    FakeRunner runner;
    runner.add(0, single_manifest);
    runner.add(0, R"({"architecture": "arm64", "os": "linux", "config": {}})");
    Presence p = check_remote(runner, uri, {"linux/arm64"});
    EXPECT_TRUE(p.exists);
    ASSERT_EQ(runner.calls().size(), 2u);
    EXPECT_EQ(runner.calls()[1].argv,
              (std::vector<std::string>{"docker", "buildx", "imagetools", "inspect", "--format",
                                        "{{json .Image}}", uri}));

    FakeRunner other;
    other.add(0, single_manifest);
    other.add(0, R"({"architecture": "amd64", "os": "linux"})");
    EXPECT_FALSE(check_remote(other, uri, {"linux/arm64"}).exists);
}

TEST(Registry, SingleManifestNeverHoldsTwoPlatforms) {
    FakeRunner runner;
    runner.add(0, single_manifest);
    runner.add(0, R"({"architecture": "amd64", "os": "linux"})");
    Presence p = check_remote(runner, uri, both);
    EXPECT_FALSE(p.exists);
    EXPECT_EQ(p.found, std::vector<std::string>{"linux/amd64"});
}

TEST(Registry, EnvironmentReachesDocker) {
    FakeRunner runner;
    runner.add(0, index_both);
    check_remote(runner, uri, both, {{"DOCKER_CONFIG", "/tmp/x"}});
    ASSERT_EQ(runner.calls()[0].env.size(), 1u);
    EXPECT_EQ(runner.calls()[0].env[0].first, "DOCKER_CONFIG");
}

// ---- local existence ------------------------------------------------------------------------

TEST(Registry, LocalMissingImage) {
    FakeRunner runner;
    runner.add(1, "[]\n", "Error response from daemon: No such image: hello:abc\n");
    EXPECT_FALSE(check_local(runner, "hello:abc", both).exists);
}

TEST(Registry, LocalDaemonDownIsUnavailable) {
    FakeRunner runner;
    runner.add(1, "",
               "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker "
               "daemon running?\n");
    try {
        check_local(runner, "hello:abc", both);
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::unavailable);
    }
}

TEST(Registry, LocalPerPlatformWhenTheApiAllows) {
    FakeRunner runner;
    runner.add(0, R"({"Os": "linux", "Architecture": "amd64"})");
    runner.add(0, "sha256:1\n");
    runner.add(1, "", "Error response from daemon: No such image: hello:abc\n");
    Presence p = check_local(runner, "hello:abc", both);
    EXPECT_FALSE(p.exists);
    EXPECT_EQ(p.found, std::vector<std::string>{"linux/amd64"});
    EXPECT_EQ(runner.calls()[1].argv[3], "--platform");
}

TEST(Registry, LocalOldApiComparesOnePlatform) {
    const std::string old_api =
        "\"--platform\" requires API version 1.49, but the Docker daemon API version is 1.45\n";
    FakeRunner one;
    one.add(0, R"({"Os": "linux", "Architecture": "amd64"})");
    one.add(1, "", old_api);
    EXPECT_TRUE(check_local(one, "hello:abc", {"linux/amd64"}).exists);

    FakeRunner wrong;
    wrong.add(0, R"({"Os": "linux", "Architecture": "amd64"})");
    wrong.add(1, "", old_api);
    EXPECT_FALSE(check_local(wrong, "hello:abc", {"linux/arm64"}).exists);

    // Several platforms cannot be verified on that API: a miss, never a guess.
    FakeRunner many;
    many.add(0, R"({"Os": "linux", "Architecture": "amd64"})");
    many.add(1, "", old_api);
    Presence p = check_local(many, "hello:abc", both);
    EXPECT_FALSE(p.exists);
    EXPECT_NE(p.reason.find("1.49"), std::string::npos);
}

// ---- secrets and the private docker config ----------------------------------------------------

TEST(Registry, ReadSecretValueFromEnvAndFile) {
    TempDir dir;
    ::setenv("IMGSPEC_REGISTRY_TEST_SECRET", "{\"auths\": {}}", 1);
    imgspec::plan::SecretSource env{"REG", "IMGSPEC_REGISTRY_TEST_SECRET", ""};
    EXPECT_EQ(imgspec::build::read_secret_value(env), "{\"auths\": {}}");
    ::unsetenv("IMGSPEC_REGISTRY_TEST_SECRET");
    try {
        imgspec::build::read_secret_value(env);
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::invalid_spec);
        EXPECT_NE(std::string(e.what()).find("IMGSPEC_REGISTRY_TEST_SECRET"), std::string::npos);
    }
    std::ofstream(dir.path() / "cfg.json") << "{}";
    imgspec::plan::SecretSource file{"REG", "", (dir.path() / "cfg.json").string()};
    EXPECT_EQ(imgspec::build::read_secret_value(file), "{}");
    file.file = (dir.path() / "missing.json").string();
    EXPECT_THROW(imgspec::build::read_secret_value(file), Error);
}

TEST(Registry, DockerConfigDirIsPrivateAndLinksTheUsersState) {
    TempDir user;
    fs::create_directories(user.path() / "cli-plugins");
    fs::create_directories(user.path() / "buildx");
    std::ofstream(user.path() / "config.json") << R"({"currentContext": "imgspec-alt"})";
    const std::string secret = R"({"auths": {"127.0.0.1:5001": {"auth": "aW1nc3BlYzpwdw=="}}})";
    fs::path where;
    {
        DockerConfigDir cfg(secret, "REGISTRY_AUTH", user.path());
        where = cfg.path();
        EXPECT_EQ(perms_of(where), 0700u);
        EXPECT_EQ(perms_of(where / "config.json"), 0600u);
        std::string written = read_file(where / "config.json");
        EXPECT_NE(written.find("aW1nc3BlYzpwdw=="), std::string::npos);
        EXPECT_NE(written.find("imgspec-alt"), std::string::npos) << "current context kept";
        EXPECT_TRUE(fs::is_symlink(where / "cli-plugins"));
        EXPECT_TRUE(fs::is_symlink(where / "buildx"));
        EXPECT_FALSE(fs::exists(where / "contexts"));
        ASSERT_EQ(cfg.env().size(), 1u);
        EXPECT_EQ(cfg.env()[0].first, "DOCKER_CONFIG");
        EXPECT_EQ(cfg.env()[0].second, where.string());
    }
    EXPECT_FALSE(fs::exists(where));
    EXPECT_TRUE(fs::is_directory(user.path() / "cli-plugins")) << "the user's folders survive";
    EXPECT_TRUE(fs::is_directory(user.path() / "buildx"));
}

TEST(Registry, DockerConfigDirRejectsNonJsonWithoutShowingIt) {
    TempDir user;
    try {
        DockerConfigDir cfg("user:hunter2", "REGISTRY_AUTH", user.path());
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::invalid_spec);
        EXPECT_NE(std::string(e.what()).find("REGISTRY_AUTH"), std::string::npos);
        EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos);
        EXPECT_EQ(e.hint().find("hunter2"), std::string::npos);
    }
}
