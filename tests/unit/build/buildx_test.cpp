// buildx argv composition (pure), and build_image driven through a fake ProcessRunner.

#include <imgspec/build/build.hpp>
#include <imgspec/build/buildx.hpp>
#include <imgspec/build/labels.hpp>
#include <imgspec/context/manifest.hpp>
#include <imgspec/core/error.hpp>
#include <imgspec/pipeline/explain.hpp>
#include <imgspec/plan/tag.hpp>

#include "unit/fake_progress.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace fs = std::filesystem;
using imgspec::Config;
using imgspec::Error;
using imgspec::ErrorKind;
using imgspec::build::build_image;
using imgspec::build::BuildOptions;
using imgspec::build::BuildResult;
using imgspec::build::buildx_argv;
using imgspec::build::OutputMode;
using imgspec::pipeline::Image;
using imgspec::spec::Platform;
using imgspec::util::ProcessResult;
using imgspec::util::ProcessSpec;
using Argv = std::vector<std::string>;

namespace {

// The tests of build_image below are about the tar on buildx's stdin (context: tar); the sync
// delivery's staging has its own tests (context/staging_test.cpp, e2e context_sync_test.sh).
Config tar_config() {
    Config c;
    c.context.value = "tar";
    return c;
}

std::vector<Platform> platforms(std::initializer_list<const char*> names) {
    std::vector<Platform> out;
    for (const char* n : names) {
        out.emplace_back(n);
    }
    return out;
}

Image make_image(const std::string& registry = "127.0.0.1:5000") {
    Image img;
    img.plan.name = "hello";
    img.plan.registry = registry;
    img.plan.platforms = platforms({"linux/amd64", "linux/arm64"});
    img.dockerfile = "FROM 127.0.0.1:5000/busybox:latest\nRUN echo hi\n";
    img.context = imgspec::context::context_manifest({}, img.dockerfile);
    img.tag = "0123456789abcdef0123456789abcdef";
    img.uri = (registry.empty() ? "" : registry + "/") + "hello:" + img.tag;
    return img;
}

bool has(const Argv& argv, const std::string& word) {
    return std::find(argv.begin(), argv.end(), word) != argv.end();
}

// The value after `flag`, "" when absent.
std::string after(const Argv& argv, const std::string& flag) {
    auto it = std::find(argv.begin(), argv.end(), flag);
    return it != argv.end() && it + 1 != argv.end() ? *(it + 1) : std::string{};
}

std::vector<std::string> all_after(const Argv& argv, const std::string& flag) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i + 1 < argv.size(); ++i) {
        if (argv[i] == flag) {
            out.push_back(argv[i + 1]);
        }
    }
    return out;
}

class FakeRunner : public imgspec::util::ProcessRunner {
  public:
    using Handler = std::function<ProcessResult(const ProcessSpec&)>;
    explicit FakeRunner(Handler h) : m_handler(std::move(h)) {}
    ProcessResult run(const ProcessSpec& spec) override {
        m_calls.push_back(spec);
        return m_handler(spec);
    }
    const std::vector<ProcessSpec>& calls() const { return m_calls; }
    bool ran(const std::string& a, const std::string& b) const {
        return std::any_of(m_calls.begin(), m_calls.end(), [&](const ProcessSpec& s) {
            return s.argv.size() > 2 && s.argv[1] == a && s.argv[2] == b;
        });
    }

  private:
    Handler m_handler;
    std::vector<ProcessSpec> m_calls;
};

ProcessResult ok(std::string out = {}) {
    ProcessResult r;
    r.out = std::move(out);
    return r;
}

ProcessResult fail(std::string err, int code = 1) {
    ProcessResult r;
    r.exit_code = code;
    r.err = std::move(err);
    return r;
}

// What a working docker does: buildx answers, the image is missing (or present), the build
// consumes its stdin and writes the metadata file.
struct Docker {
    bool present = false;
    ProcessResult build_result = ok();
    std::size_t stdin_bytes = 0;
    std::string config_json_seen; // DOCKER_CONFIG/config.json at build time

    ProcessResult operator()(const ProcessSpec& s) {
        const Argv& a = s.argv;
        if (a[1] == "buildx" && a[2] == "version") {
            return ok("github.com/docker/buildx 0.13.1\n");
        }
        if (a[1] == "buildx" && a[2] == "imagetools") {
            if (!present) {
                return fail("ERROR: " + a.back() + ": not found\n");
            }
            return ok(R"({"manifests": [{"platform": {"os": "linux", "architecture": "amd64"}},
                                        {"platform": {"os": "linux", "architecture": "arm64"}}]})");
        }
        if (a[1] == "buildx" && a[2] == "build") {
            for (const auto& [k, v] : s.env) {
                if (k == "DOCKER_CONFIG") {
                    std::ifstream in(fs::path(v) / "config.json");
                    std::stringstream ss;
                    ss << in.rdbuf();
                    config_json_seen = ss.str();
                }
            }
            if (s.stdin_writer) {
                int fds[2];
                if (::pipe(fds) != 0) {
                    throw std::runtime_error("pipe");
                }
                // Count the tar through a pipe, read on another thread.
                std::size_t counted = 0;
                std::thread reader([&] {
                    char buf[65536];
                    ssize_t n;
                    while ((n = ::read(fds[0], buf, sizeof buf)) > 0) {
                        counted += static_cast<std::size_t>(n);
                    }
                });
                try {
                    s.stdin_writer(fds[1]);
                } catch (...) {
                    ::close(fds[1]);
                    reader.join();
                    ::close(fds[0]);
                    throw;
                }
                ::close(fds[1]);
                reader.join();
                ::close(fds[0]);
                stdin_bytes = counted;
            }
            if (build_result.exit_code == 0) {
                std::ofstream(after(a, "--metadata-file"))
                    << R"({"containerimage.digest": "sha256:feedface"})";
            }
            return build_result;
        }
        return fail("unexpected: " + a[1] + " " + a[2]);
    }
};

} // namespace

// ---- argv composition -------------------------------------------------------------------------

TEST(Buildx, PushWithRegistryIsTheDefault) {
    Argv argv = buildx_argv(make_image(), BuildOptions{}, "/tmp/m.json");
    Argv expected = {"docker",
                     "buildx",
                     "build",
                     "--platform",
                     "linux/amd64,linux/arm64",
                     "--tag",
                     "127.0.0.1:5000/hello:0123456789abcdef0123456789abcdef",
                     "--push",
                     "--progress",
                     "auto",
                     "--annotation",
                     "index:io.imgspec.covers=" + imgspec::pipeline::covers_json(make_image()),
                     "--annotation",
                     "manifest:io.imgspec.covers=" + imgspec::pipeline::covers_json(make_image()),
                     "--provenance=false",
                     "--metadata-file",
                     "/tmp/m.json",
                     "-f",
                     "Dockerfile",
                     "-"};
    EXPECT_EQ(argv, expected);
}

TEST(Buildx, LoadWithoutRegistryIsTheDefault) {
    Argv argv = buildx_argv(make_image(""), BuildOptions{}, "m");
    EXPECT_TRUE(has(argv, "--load"));
    EXPECT_FALSE(has(argv, "--push"));
    EXPECT_EQ(after(argv, "--tag"), "hello:0123456789abcdef0123456789abcdef");
}

TEST(Buildx, ExplicitLoadWithRegistry) {
    BuildOptions o;
    o.mode = OutputMode::load;
    Argv argv = buildx_argv(make_image(), o, "m");
    EXPECT_TRUE(has(argv, "--load"));
    EXPECT_FALSE(has(argv, "--push"));
}

TEST(Buildx, PushWithoutRegistryIsRefused) {
    BuildOptions o;
    o.mode = OutputMode::push;
    try {
        buildx_argv(make_image(""), o, "m");
        FAIL() << "would push to Docker Hub";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::usage);
    }
}

TEST(Buildx, OutputIsPassedAsGiven) {
    BuildOptions o;
    o.mode = OutputMode::dest;
    o.output = "type=oci,dest=/tmp/img.tar";
    Argv argv = buildx_argv(make_image(), o, "m");
    EXPECT_EQ(after(argv, "--output"), "type=oci,dest=/tmp/img.tar");
    EXPECT_FALSE(has(argv, "--push"));
    EXPECT_FALSE(has(argv, "--load"));

    o.output = "out-dir";
    EXPECT_EQ(after(buildx_argv(make_image(), o, "m"), "--output"), "out-dir");

    for (const char* bad : {"", "-", "type=tar,dest=-"}) {
        o.output = bad;
        try {
            buildx_argv(make_image(), o, "m");
            FAIL() << bad;
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::usage);
        }
    }
}

TEST(Buildx, PlatformsOverride) {
    BuildOptions o;
    o.platforms = platforms({"linux/arm64"});
    EXPECT_EQ(after(buildx_argv(make_image(), o, "m"), "--platform"), "linux/arm64");
    Image none = make_image();
    none.plan.platforms.clear();
    EXPECT_THROW(buildx_argv(none, BuildOptions{}, "m"), Error);
}

TEST(Buildx, PlatformLeftOutOnlyWhenItIsTheBuildersOwn) {
    BuildOptions o;
    o.platforms = platforms({"linux/amd64"});
    o.default_platform = "linux/amd64";
    EXPECT_FALSE(has(buildx_argv(make_image(), o, "m"), "--platform"));
    o.default_platform = "linux/arm64"; // another engine: said out loud
    EXPECT_EQ(after(buildx_argv(make_image(), o, "m"), "--platform"), "linux/amd64");
    o.default_platform.clear(); // unknown
    EXPECT_EQ(after(buildx_argv(make_image(), o, "m"), "--platform"), "linux/amd64");
    o.platforms = platforms({"linux/amd64", "linux/arm64"});
    o.default_platform = "linux/amd64"; // two platforms: always named
    EXPECT_EQ(after(buildx_argv(make_image(), o, "m"), "--platform"), "linux/amd64,linux/arm64");
    o.platforms = platforms({"linux/arm64/v8"});
    o.default_platform = "linux/arm64";
    EXPECT_FALSE(has(buildx_argv(make_image(), o, "m"), "--platform"));
}

TEST(Buildx, BuilderFromOptionsElseConfigElseNone) {
    Config cfg;
    EXPECT_FALSE(has(buildx_argv(make_image(), imgspec::build::with_config_defaults({}, cfg), "m"),
                     "--builder"));
    cfg.builder.value = "from-config";
    Argv argv = buildx_argv(make_image(), imgspec::build::with_config_defaults({}, cfg), "m");
    EXPECT_EQ(after(argv, "--builder"), "from-config");
    EXPECT_EQ(argv[3], "--builder") << "directly after `docker buildx build`";
    BuildOptions o;
    o.builder = "from-flag";
    EXPECT_EQ(after(buildx_argv(make_image(), imgspec::build::with_config_defaults(o, cfg), "m"),
                    "--builder"),
              "from-flag");
}

TEST(Buildx, SecretsByEnvOrFileNeverValues) {
    ::setenv("IMGSPEC_BUILDX_TEST_TOKEN", "s3cr3t-value", 1);
    Image img = make_image();
    img.plan.secrets = {{"PIP_TOKEN", "IMGSPEC_BUILDX_TEST_TOKEN", ""},
                        {"GIT_CREDS", "", "/home/u/.git-credentials"},
                        {"ODD", "", "/tmp/a,b\"c"}};
    Argv argv = buildx_argv(img, BuildOptions{}, "m");
    EXPECT_EQ(all_after(argv, "--secret"),
              (Argv{"id=PIP_TOKEN,env=IMGSPEC_BUILDX_TEST_TOKEN",
                    "id=GIT_CREDS,src=/home/u/.git-credentials", "id=ODD,\"src=/tmp/a,b\"\"c\""}));
    for (const auto& a : argv) {
        EXPECT_EQ(a.find("s3cr3t-value"), std::string::npos) << a;
    }
    ::unsetenv("IMGSPEC_BUILDX_TEST_TOKEN");
}

TEST(Buildx, CacheFlagsInOrder) {
    BuildOptions o;
    o.cache_from = {"type=registry,ref=r/c:1", "type=local,src=/c"};
    o.cache_to = {"type=inline"};
    Argv argv = buildx_argv(make_image(), o, "m");
    EXPECT_EQ(all_after(argv, "--cache-from"), o.cache_from);
    EXPECT_EQ(all_after(argv, "--cache-to"), o.cache_to);
}

TEST(Buildx, RegistryCacheFromTheConfigPerImage) {
    Config cfg;
    cfg.cache.value = "registry";
    Argv argv = buildx_argv(make_image(), imgspec::build::with_config_defaults({}, cfg), "m");
    EXPECT_EQ(after(argv, "--cache-from"), "type=registry,ref=127.0.0.1:5000/hello:buildcache");
    EXPECT_EQ(after(argv, "--cache-to"),
              "type=registry,ref=127.0.0.1:5000/hello:buildcache,mode=max");
    cfg.cache_ref.value = "127.0.0.1:5000/cache/{repository}";
    argv = buildx_argv(make_image(), imgspec::build::with_config_defaults({}, cfg), "m");
    EXPECT_EQ(after(argv, "--cache-from"),
              "type=registry,ref=127.0.0.1:5000/cache/127.0.0.1:5000/hello");
    // Given on the command line: those, and not the config's.
    BuildOptions o;
    o.cache_from = {"type=local,src=/c"};
    argv = buildx_argv(make_image(), imgspec::build::with_config_defaults(o, cfg), "m");
    EXPECT_EQ(all_after(argv, "--cache-from"), o.cache_from);
    EXPECT_TRUE(all_after(argv, "--cache-to").empty());
    // The spec's, over the config's; the command line's over both.
    Image img = make_image();
    img.plan.spec.cache_from = {"type=registry,ref={repository}:spec-cache"};
    argv = buildx_argv(img, imgspec::build::with_config_defaults({}, cfg), "m");
    EXPECT_EQ(all_after(argv, "--cache-from"),
              std::vector<std::string>{"type=registry,ref=127.0.0.1:5000/hello:spec-cache"});
    EXPECT_TRUE(all_after(argv, "--cache-to").empty());
    argv = buildx_argv(img, imgspec::build::with_config_defaults(o, cfg), "m");
    EXPECT_EQ(all_after(argv, "--cache-from"), o.cache_from);
    // Off by default; no registry, no cache.
    EXPECT_FALSE(has(buildx_argv(make_image(), imgspec::build::with_config_defaults({}, {}), "m"),
                     "--cache-to"));
    EXPECT_FALSE(
        has(buildx_argv(make_image(""), imgspec::build::with_config_defaults({}, cfg), "m"),
            "--cache-to"));
}

TEST(Buildx, AttestationsOnlyWhenAsked) {
    Config cfg;
    Argv argv = buildx_argv(make_image(), imgspec::build::with_config_defaults({}, cfg), "m");
    EXPECT_TRUE(has(argv, "--provenance=false"));
    EXPECT_FALSE(has(argv, "--attest"));
    BuildOptions o;
    o.provenance = "max";
    o.sbom = true;
    argv = buildx_argv(make_image(), imgspec::build::with_config_defaults(o, cfg), "m");
    EXPECT_TRUE(has(argv, "--provenance=mode=max"));
    EXPECT_FALSE(has(argv, "--provenance=false"));
    EXPECT_EQ(after(argv, "--attest"), "type=sbom,generator=docker/buildkit-syft-scanner:stable-1");
    cfg.provenance.value = "min";
    cfg.sbom_generator.value = "127.0.0.1:5000/syft:1";
    cfg.sbom.value = "true";
    argv = buildx_argv(make_image(), imgspec::build::with_config_defaults({}, cfg), "m");
    EXPECT_TRUE(has(argv, "--provenance=mode=min"));
    EXPECT_EQ(after(argv, "--attest"), "type=sbom,generator=127.0.0.1:5000/syft:1");
    o = {};
    o.provenance = "off"; // the flag wins over the config
    argv = buildx_argv(make_image(), imgspec::build::with_config_defaults(o, cfg), "m");
    EXPECT_TRUE(has(argv, "--provenance=false"));
}

TEST(Buildx, ReproducibleRewritesTimestampsAndSetsTheEpoch) {
    BuildOptions o;
    o.reproducible = true;
    o.source_date_epoch = "1700000000";
    Argv argv = buildx_argv(make_image(), o, "/b/metadata.json");
    EXPECT_FALSE(has(argv, "--push"));
    EXPECT_EQ(after(argv, "--output"),
              "type=oci,dest=/b/image.tar,name=" + make_image().uri + ",rewrite-timestamp=true");
    EXPECT_EQ(after(argv, "--build-arg"), "SOURCE_DATE_EPOCH=1700000000");
    EXPECT_TRUE(has(argv, "--provenance=false"));
    o.mode = OutputMode::dest;
    o.output = "type=oci,dest=i.tar";
    EXPECT_EQ(after(buildx_argv(make_image(), o, "m"), "--output"),
              "type=oci,dest=i.tar,rewrite-timestamp=true");
    o.output = "type=local,dest=d"; // files, not layers
    EXPECT_EQ(after(buildx_argv(make_image(), o, "m"), "--output"), "type=local,dest=d");
    o.mode = OutputMode::load;
    EXPECT_THROW(buildx_argv(make_image(), o, "m"), Error);
    // From the config.
    Config cfg;
    cfg.reproducible.value = "true";
    argv = buildx_argv(make_image(), imgspec::build::with_config_defaults({}, cfg), "m");
    EXPECT_EQ(after(argv, "--build-arg"), "SOURCE_DATE_EPOCH=0");
}

TEST(Buildx, LabelsAndTheCoversAnnotation) {
    BuildOptions o;
    o.labels = {{"org.opencontainers.image.title", "hello"}};
    Image one = make_image();
    one.plan.platforms = platforms({"linux/amd64"});
    Argv argv = buildx_argv(one, o, "m");
    EXPECT_EQ(after(argv, "--label"), "org.opencontainers.image.title=hello");
    // One platform: no index, so the manifest's annotation only.
    std::vector<std::string> ann = all_after(argv, "--annotation");
    ASSERT_EQ(ann.size(), 1U);
    EXPECT_EQ(ann[0].rfind("manifest:io.imgspec.covers={", 0), 0U) << ann[0];
    auto covers = imgspec::pipeline::parse_covers(ann[0].substr(ann[0].find('=') + 1));
    EXPECT_EQ(covers.tag, one.tag);
    EXPECT_EQ(covers.platforms, std::vector<std::string>{"linux/amd64"});
    // Loaded into the engine: no annotation (the engine's store keeps none).
    o.mode = OutputMode::load;
    EXPECT_FALSE(has(buildx_argv(one, o, "m"), "--annotation"));
}

TEST(Labels, CredentialsNeverReachALabel) {
    using imgspec::build::without_credentials;
    EXPECT_EQ(without_credentials("https://user:tok@example.com/a/b.git"),
              "https://example.com/a/b.git");
    EXPECT_EQ(without_credentials("https://tok@example.com/a@b.git"),
              "https://example.com/a@b.git");
    EXPECT_EQ(without_credentials("https://example.com/a.git"), "https://example.com/a.git");
    EXPECT_EQ(without_credentials("git@example.com:a/b.git"), "git@example.com:a/b.git");
    imgspec::build::GitInfo git{"https://example.com/a.git", "abc123"};
    auto labels = imgspec::build::image_labels(make_image(), git, false, "2026-01-02T03:04:05Z");
    auto value = [&](const std::string& k) {
        for (const auto& [n, v] : labels) {
            if (n == k) {
                return v;
            }
        }
        return std::string("(none)");
    };
    EXPECT_EQ(value("org.opencontainers.image.revision"), "abc123");
    EXPECT_EQ(value("org.opencontainers.image.source"), "https://example.com/a.git");
    EXPECT_EQ(value("org.opencontainers.image.title"), "hello");
    EXPECT_EQ(value("org.opencontainers.image.created"), "2026-01-02T03:04:05Z");
    labels = imgspec::build::image_labels(make_image(), git, true,
                                          imgspec::build::created_time(make_image(), true, 86400));
    EXPECT_EQ(value("org.opencontainers.image.created"), "1970-01-02T00:00:00Z");
    EXPECT_EQ(value("org.opencontainers.image.revision"), "(none)");
}

TEST(Buildx, ProgressModeIsChecked) {
    BuildOptions o;
    o.progress = "plain";
    EXPECT_EQ(after(buildx_argv(make_image(), o, "m"), "--progress"), "plain");
    o.progress = "--push";
    EXPECT_THROW(buildx_argv(make_image(), o, "m"), Error);
}

// buildx draws its own progress: every mode goes to it as given, and imgspec's own line does not
// change the command.
TEST(Buildx, EveryProgressModeIsPassedAsGiven) {
    imgspec::test::FakeProgress line;
    for (const char* mode : {"auto", "plain", "tty", "quiet", "rawjson"}) {
        BuildOptions o;
        o.progress = mode;
        Argv argv = buildx_argv(make_image(), o, "m");
        EXPECT_EQ(after(argv, "--progress"), mode);
        o.context_progress = &line;
        EXPECT_EQ(buildx_argv(make_image(), o, "m"), argv);
    }
}

TEST(Buildx, ContextFromStdinDockerfileAtItsRoot) {
    Argv argv = buildx_argv(make_image(), BuildOptions{}, "/x/metadata.json");
    ASSERT_GE(argv.size(), 3u);
    EXPECT_EQ(Argv(argv.end() - 3, argv.end()), (Argv{"-f", "Dockerfile", "-"}));
    EXPECT_TRUE(has(argv, "--provenance=false"));
    EXPECT_EQ(after(argv, "--metadata-file"), "/x/metadata.json");
}

// ---- build_image with a fake docker -----------------------------------------------------------

TEST(BuildImage, BuildsWhenMissingAndStreamsTheContext) {
    Docker docker;
    FakeRunner runner(std::ref(docker));
    BuildResult r = build_image(make_image(), tar_config(), BuildOptions{}, runner);
    EXPECT_FALSE(r.skipped);
    EXPECT_EQ(r.digest, "sha256:feedface");
    EXPECT_EQ(r.platforms, (Argv{"linux/amd64", "linux/arm64"}));
    EXPECT_GT(docker.stdin_bytes, 1024u) << "the tar went into buildx's stdin";
    // The existence check proves docker and buildx answer: no separate `buildx version` call.
    ASSERT_EQ(runner.calls().size(), 2u);
    EXPECT_EQ(runner.calls()[0].argv[3], "inspect");
    const ProcessSpec& b = runner.calls()[1];
    EXPECT_EQ(b.out, imgspec::util::Stream::to_stderr) << "stdout is imgspec's summary";
    EXPECT_FALSE(fs::exists(after(b.argv, "--metadata-file"))) << "temp folder removed";
}

// The "sending context" line covers the context's files and bytes, and is ended (cleared) by the
// hook that runs before buildx's first output reaches the terminal, and again when the tar ends.
TEST(BuildImage, ContextProgressSeesTheStreamAndEndsBeforeBuildxOutput) {
    Docker docker;
    FakeRunner runner(std::ref(docker));
    imgspec::test::FakeProgress line;
    BuildOptions o;
    o.context_progress = &line;
    Image img = make_image();
    std::uint64_t files = 0;
    std::uint64_t bytes = 0;
    for (const auto& e : img.context.entries) {
        if (e.type == imgspec::plan::EntryType::file) {
            ++files;
            bytes += e.size;
        }
    }
    build_image(img, tar_config(), o, runner);
    ASSERT_NO_FATAL_FAILURE(
        imgspec::test::expect_one_whole_phase(line, "sending context", files, bytes));

    const ProcessSpec& b = runner.calls().back();
    ASSERT_TRUE(b.before_forward) << "nothing clears the line before buildx prints";
    b.before_forward();
    EXPECT_EQ(line.phases()[0].ends, 2);

    // Without a line there is no hook.
    FakeRunner plain(std::ref(docker));
    build_image(img, tar_config(), BuildOptions{}, plain);
    EXPECT_FALSE(plain.calls().back().before_forward);
}

TEST(BuildImage, ContextProgressEndsWhenAFileChanged) {
    Docker docker;
    FakeRunner runner(std::ref(docker));
    imgspec::test::FakeProgress line;
    BuildOptions o;
    o.context_progress = &line;
    Image img = make_image();
    for (auto& e : img.context.entries) {
        if (e.type == imgspec::plan::EntryType::file && e.source.empty()) {
            e.content += "changed"; // no longer matches its digest
            e.size = e.content.size();
        }
    }
    EXPECT_THROW(build_image(img, tar_config(), o, runner), Error);
    ASSERT_EQ(line.phases().size(), 1u);
    EXPECT_EQ(line.phases()[0].ends, 1);
}

TEST(BuildImage, SkipsWhenEveryPlatformExists) {
    Docker docker;
    docker.present = true;
    FakeRunner runner(std::ref(docker));
    BuildResult r = build_image(make_image(), tar_config(), BuildOptions{}, runner);
    EXPECT_TRUE(r.skipped);
    EXPECT_EQ(r.platforms, (Argv{"linux/amd64", "linux/arm64"}));
    EXPECT_FALSE(runner.ran("buildx", "build"));
}

TEST(BuildImage, ForceSkipsTheCheck) {
    Docker docker;
    docker.present = true;
    FakeRunner runner(std::ref(docker));
    BuildOptions o;
    o.force = true;
    BuildResult r = build_image(make_image(), tar_config(), o, runner);
    EXPECT_FALSE(r.skipped);
    EXPECT_FALSE(runner.ran("buildx", "imagetools"));
    EXPECT_TRUE(runner.ran("buildx", "build"));
}

TEST(BuildImage, DryRunBuildsNothing) {
    Docker docker;
    FakeRunner runner(std::ref(docker));
    BuildOptions o;
    o.dry_run = true;
    BuildResult r = build_image(make_image(), tar_config(), o, runner);
    EXPECT_TRUE(r.dry_run);
    ASSERT_TRUE(r.exists.has_value());
    EXPECT_FALSE(*r.exists);
    EXPECT_EQ(r.argv[2], "build");
    EXPECT_FALSE(runner.ran("buildx", "build"));
}

TEST(BuildImage, MissingSecretFailsBeforeAnythingRuns) {
    ::unsetenv("IMGSPEC_BUILDX_TEST_MISSING");
    Image img = make_image();
    img.plan.secrets = {{"PIP_TOKEN", "IMGSPEC_BUILDX_TEST_MISSING", ""},
                        {"CREDS", "", "/nonexistent/imgspec/creds"}};
    Docker docker;
    FakeRunner runner(std::ref(docker));
    try {
        build_image(img, tar_config(), BuildOptions{}, runner);
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::invalid_spec);
        std::string m = e.what();
        EXPECT_NE(m.find("PIP_TOKEN"), std::string::npos) << m;
        EXPECT_NE(m.find("CREDS"), std::string::npos) << m;
    }
    EXPECT_TRUE(runner.calls().empty());
}

TEST(BuildImage, NoDockerIsUnavailable) {
    FakeRunner missing([](const ProcessSpec&) -> ProcessResult {
        throw Error(ErrorKind::other, "cannot run 'docker': No such file or directory");
    });
    try {
        build_image(make_image(), tar_config(), BuildOptions{}, missing);
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::unavailable);
        EXPECT_NE(e.hint().find("scripts/engine.sh up"), std::string::npos);
    }
    FakeRunner no_buildx(
        [](const ProcessSpec&) { return fail("docker: unknown command: docker buildx\n"); });
    try {
        build_image(make_image(), tar_config(), BuildOptions{}, no_buildx);
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::unavailable);
    }
}

// The Error that build_image throws when buildx fails with `err`; a test failure when it throws
// none.
Error build_error(const std::string& err) {
    Docker docker;
    docker.build_result = fail(err);
    FakeRunner runner(std::ref(docker));
    try {
        build_image(make_image(), tar_config(), BuildOptions{}, runner);
    } catch (const Error& e) {
        return e;
    }
    ADD_FAILURE() << "no error for: " << err;
    return Error(ErrorKind::other, "no error");
}

// A step of imgspec's own that the base image cannot run: the error says what the base lacks.
TEST(BuildImage, ABaseWithoutAptOrPythonGetsAHint) {
    const std::string apt = "rm -f /etc/apt/apt.conf.d/docker-clean && apt-get update && "
                            "DEBIAN_FRONTEND=noninteractive apt-get install -y curl";
    auto failed = [](const std::string& out, const std::string& process) {
        return out + "ERROR: failed to solve: process \"/bin/sh -c " + process +
               "\" did not complete successfully: exit code: 127\n";
    };
    const std::string venv = "[ -x /opt/venv/bin/python ] || python3 -m venv /opt/venv";
    const std::string uv_venv = "[ -x /opt/venv/bin/python ] || uv venv /opt/venv --python python3";
    // (buildx's output, a part of the hint; "" for no hint)
    const std::vector<std::pair<std::string, std::string>> cases = {
        {failed("#5 0.162 /bin/sh: apt-get: not found\n", apt), "no apt-get"},
        {failed("#5 0.1 /bin/sh: 1: apt-get: not found\n", apt), "apk add"},
        {failed("#5 0.1 bash: apt-get: command not found\n", apt), "dnf install"},
        {failed("#5 0.1 /bin/sh: 1: python3: not found\n", venv), "no python3"},
        {failed("#5 0.1 error: No interpreter found for executable name `python3`\n", uv_venv),
         "apt_packages: [python3, python3-venv]"},
        {failed("#5 0.3 The virtual environment was not created successfully because ensurepip "
                "is not available.\n",
                venv),
         "no venv module"},
        // A user's step that runs apt-get on a base without it: not imgspec's apt step.
        {failed("#5 0.1 /bin/sh: apt-get: not found\n", "apt-get update"), ""},
        {failed("#5 0.1 E: Unable to locate package nosuch\n", apt), ""},
    };
    for (const auto& [err, hint] : cases) {
        Error e = build_error(err);
        EXPECT_EQ(e.kind(), ErrorKind::build_failed) << err;
        if (hint.empty()) {
            EXPECT_EQ(e.hint(), "") << err;
        } else {
            EXPECT_NE(e.hint().find(hint), std::string::npos) << err << "\n" << e.hint();
        }
    }
}

// An image that cannot be pulled (a base, the uv image) is that image's registry's problem, not
// the push registry's; the uv image's hint names the config settings that replace it.
TEST(BuildImage, AnImageThatCannotBePulledNamesItsOwnRegistry) {
    auto hint_of = [](const std::string& image) {
        Error e = build_error("ERROR: failed to solve: " + image +
                              ": failed to resolve source metadata for " + image +
                              ": failed to do request: Head \"https://x/v2/\": dial tcp: lookup x "
                              "on 10.0.0.1:53: no such host\n");
        EXPECT_EQ(e.kind(), ErrorKind::unavailable) << image;
        return e.hint();
    };
    std::string uv = hint_of(tar_config().uv_image.value);
    EXPECT_NE(uv.find("is the registry ghcr.io reachable"), std::string::npos) << uv;
    EXPECT_NE(uv.find("installer: pip"), std::string::npos) << uv;
    EXPECT_EQ(uv.find("127.0.0.1"), std::string::npos) << uv;
    std::string base = hint_of("docker.io/library/python:3.12-slim");
    EXPECT_NE(base.find("is the registry docker.io reachable"), std::string::npos) << base;
    EXPECT_EQ(base.find("uv_image"), std::string::npos) << base;
    std::string local = hint_of("127.0.0.1:5000/busybox:latest");
    EXPECT_NE(local.find("scripts/engine.sh up"), std::string::npos) << local;
}

TEST(BuildImage, FailuresMapToExitKinds) {
    struct Case {
        const char* err;
        ErrorKind kind;
    };
    for (const Case& c : {
             Case{"#5 [2/2] RUN curl http://x\n#5 0.1 curl: connection refused\nERROR: failed to "
                  "solve: process \"/bin/sh -c curl http://x\" did not complete successfully: "
                  "exit code: 7\n",
                  ErrorKind::build_failed},
             Case{"ERROR: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is "
                  "the docker daemon running?\n",
                  ErrorKind::unavailable},
             Case{"ERROR: failed to solve: failed to push 127.0.0.1:5000/hello:x: failed to do "
                  "request: Put \"http://127.0.0.1:5000/v2/\": dial tcp 127.0.0.1:5000: connect: "
                  "connection refused\n",
                  ErrorKind::unavailable},
             Case{"ERROR: failed to solve: dockerfile parse error on line 1: unknown instruction: "
                  "FORM\n",
                  ErrorKind::build_failed},
             Case{"ERROR: use `docker --context=imgspec-alt buildx` to switch to context "
                  "\"imgspec-alt\"\n",
                  ErrorKind::unavailable},
         }) {
        EXPECT_EQ(build_error(c.err).kind(), c.kind) << c.err;
    }
}

// The real runner stops buildx before its stdin ends (process_test.cpp); here: the error is the
// tar writer's, with a hint, and nothing after the build runs.
TEST(BuildImage, ChangedFileStopsTheBuild) {
    std::string tmpl = (fs::temp_directory_path() / "imgspec-buildx-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    fs::path file = fs::path(tmpl) / "app.py";
    std::ofstream(file) << "print('changed after hashing')\n";
    Image img = make_image();
    imgspec::plan::Entry e;
    e.path = "src/app.py";
    e.source = file;
    e.size = fs::file_size(file);
    e.digest = {}; // not the file's hash: it "changed" since the tag was computed
    imgspec::plan::Manifest files;
    files.entries.push_back(e);
    img.context = imgspec::context::context_manifest(files, img.dockerfile);
    Docker docker;
    FakeRunner runner(std::ref(docker));
    try {
        build_image(img, tar_config(), BuildOptions{}, runner);
        FAIL() << "a changed file must stop the build";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::other);
        EXPECT_NE(std::string(e.what()).find("changed"), std::string::npos) << e.what();
        EXPECT_NE(e.hint().find("nothing was pushed"), std::string::npos) << e.hint();
    }
    fs::remove_all(tmpl);
}

TEST(BuildImage, RegistrySecretGoesIntoAPrivateDockerConfig) {
    const std::string value = R"({"auths": {"127.0.0.1:5001": {"auth": "aW1nc3BlYzpwdw=="}}})";
    ::setenv("IMGSPEC_BUILDX_TEST_REGISTRY_AUTH", value.c_str(), 1);
    Image img = make_image("127.0.0.1:5001");
    img.plan.registry_secret =
        imgspec::plan::SecretSource{"REGISTRY_AUTH", "IMGSPEC_BUILDX_TEST_REGISTRY_AUTH", ""};
    Docker docker;
    FakeRunner runner(std::ref(docker));
    build_image(img, tar_config(), BuildOptions{}, runner);
    EXPECT_NE(docker.config_json_seen.find("aW1nc3BlYzpwdw=="), std::string::npos);
    std::string dir;
    for (const auto& call : runner.calls()) {
        if (call.argv[2] == "version") {
            continue;
        }
        // DOCKER_CONFIG, and for the build TMPDIR (imgspec's private folder).
        ASSERT_EQ(call.env.size(), call.argv[2] == "build" ? 2u : 1u) << call.argv[2];
        EXPECT_EQ(call.env[0].first, "DOCKER_CONFIG");
        dir = call.env[0].second;
        for (const auto& a : call.argv) {
            EXPECT_EQ(a.find("aW1nc3BlYzpwdw=="), std::string::npos);
        }
    }
    EXPECT_FALSE(dir.empty());
    EXPECT_FALSE(fs::exists(dir)) << "the private DOCKER_CONFIG is removed";
    ::unsetenv("IMGSPEC_BUILDX_TEST_REGISTRY_AUTH");
}

TEST(BuildImage, PassthroughBuildsNothing) {
    Image img;
    img.passthrough = true;
    img.uri = "127.0.0.1:5000/busybox:latest";
    img.plan.platforms = platforms({"linux/amd64"});
    FakeRunner runner([](const ProcessSpec&) { return fail("no call expected"); });
    BuildResult r = build_image(img, tar_config(), BuildOptions{}, runner);
    EXPECT_TRUE(r.skipped);
    EXPECT_TRUE(runner.calls().empty());
}

TEST(BuildImage, PlatformOverrideGetsItsOwnTag) {
    Config cfg;
    auto image = [&cfg] {
        imgspec::plan::Plan p;
        p.spec.base = imgspec::spec::ImageBase{"127.0.0.1:5000/busybox:latest"};
        p.spec.name = "hello";
        p.name = "hello";
        p.registry = "127.0.0.1:5000";
        p.base_image = "127.0.0.1:5000/busybox:latest";
        p.platforms = platforms({"linux/amd64", "linux/arm64"});
        return imgspec::pipeline::resolve_plan(std::move(p), cfg);
    };
    Image img = image();
    Image same =
        imgspec::build::with_platforms(image(), platforms({"linux/arm64", "linux/amd64"}), cfg);
    EXPECT_EQ(same.uri, img.uri) << "the same set in another order is the same image";
    Image v8 =
        imgspec::build::with_platforms(image(), platforms({"linux/arm64/v8", "linux/amd64"}), cfg);
    EXPECT_EQ(v8.uri, img.uri) << "linux/arm64/v8 is linux/arm64";

    Image arm = imgspec::build::with_platforms(image(), platforms({"linux/arm64"}), cfg);
    EXPECT_NE(arm.uri, img.uri);
    EXPECT_EQ(arm.plan.platforms, platforms({"linux/arm64"}));
    EXPECT_EQ(arm.dockerfile, img.dockerfile);
}

// Two builds of one tag at once: the second export into the engine's image store can fail with
// "already exists" for the very image; it is built once more (all cached), not reported failed.
TEST(BuildImage, LostExportRaceIsBuiltAgain) {
    Image img = make_image();
    Docker docker;
    int builds = 0;
    FakeRunner runner([&](const ProcessSpec& s) {
        if (s.argv[2] == "build" && ++builds == 1) {
            return fail("ERROR: failed to solve: image \"" + img.uri + "\": already exists\n");
        }
        return docker(s);
    });
    BuildResult r = build_image(img, tar_config(), BuildOptions{}, runner);
    EXPECT_EQ(builds, 2);
    EXPECT_EQ(r.digest, "sha256:feedface");

    // Another image's "already exists" is a failure of its own, and the retries are bounded.
    builds = 0;
    FakeRunner other([&](const ProcessSpec& s) {
        if (s.argv[2] == "build") {
            ++builds;
            return fail("ERROR: failed to solve: image \"" + img.uri + "\": already exists\n");
        }
        return docker(s);
    });
    EXPECT_THROW(build_image(img, tar_config(), BuildOptions{}, other), Error);
    EXPECT_EQ(builds, 3);
}

// The registry's 500 for this image's repository during the push (distribution's race of a HEAD
// with the tag's write, seen in CI): built once more. Another repository's 500, a 404 or a
// failed step is reported as it is.
TEST(BuildImage, ARegistry5xxDuringThePushIsBuiltAgain) {
    Image img = make_image();
    const std::string status = "ERROR: unexpected status from HEAD request to "
                               "http://127.0.0.1:5000/v2/hello/manifests/" +
                               img.tag + ": 500 Internal Server Error\n";
    Docker docker;
    int builds = 0;
    FakeRunner runner([&](const ProcessSpec& s) {
        if (s.argv[2] == "build" && ++builds == 1) {
            return fail(status);
        }
        return docker(s);
    });
    BuildResult r = build_image(img, tar_config(), BuildOptions{}, runner);
    EXPECT_EQ(builds, 2);
    EXPECT_EQ(r.digest, "sha256:feedface");
    for (const std::string& err :
         {std::string("ERROR: unexpected status from HEAD request to "
                      "http://127.0.0.1:5000/v2/other/manifests/x: 500 Internal Server Error\n"),
          std::string("ERROR: unexpected status from HEAD request to "
                      "http://127.0.0.1:5000/v2/hello/manifests/x: 404 Not Found\n"),
          std::string("ERROR: failed to solve: process \"/bin/sh -c exit 1\" did not complete "
                      "successfully: exit code: 1\n")}) {
        builds = 0;
        FakeRunner once([&](const ProcessSpec& s) {
            if (s.argv[2] == "build") {
                ++builds;
                return fail(err);
            }
            return docker(s);
        });
        EXPECT_THROW(build_image(img, tar_config(), BuildOptions{}, once), Error) << err;
        EXPECT_EQ(builds, 1) << err;
    }
}

// --output into a file: buildx writes a temp file beside it, renamed over the target only when
// the build succeeded; a failed build leaves the previous file as it was and no temp file.
TEST(BuildImage, FileOutputIsReplacedOnlyBySuccess) {
    std::string tmpl = (fs::temp_directory_path() / "imgspec-buildx-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    fs::path dir = tmpl;
    fs::path target = dir / "image.tar";
    std::ofstream(target) << "previous image";
    auto read = [](const fs::path& p) {
        std::ifstream in(p);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    };
    bool succeed = false;
    std::string dest_seen;
    Docker docker;
    FakeRunner runner([&](const ProcessSpec& s) {
        if (s.argv[2] != "build") {
            return docker(s);
        }
        std::string output = after(s.argv, "--output");
        dest_seen = output.substr(output.find("dest=") + 5);
        std::ofstream(dest_seen, std::ios::trunc) << (succeed ? "new image" : "");
        docker.build_result = succeed ? ok()
                                      : fail("ERROR: failed to solve: process \"/bin/sh "
                                             "-c exit 3\" did not complete successfully: "
                                             "exit code: 3\n");
        return docker(s);
    });
    BuildOptions o;
    o.mode = OutputMode::dest;
    o.output = "type=oci,dest=" + target.string();
    EXPECT_THROW(build_image(make_image(), tar_config(), o, runner), Error);
    EXPECT_NE(dest_seen, target.string()) << "buildx writes a temp file";
    EXPECT_EQ(fs::path(dest_seen).parent_path(), dir) << "beside the target";
    EXPECT_EQ(read(target), "previous image");
    EXPECT_FALSE(fs::exists(dest_seen)) << "the temp file is removed";

    succeed = true;
    build_image(make_image(), tar_config(), o, runner);
    EXPECT_EQ(read(target), "new image");
    EXPECT_FALSE(fs::exists(dest_seen));
    EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}), 1);

    // A folder output (type=local) goes to buildx as given.
    o.output = "type=local,dest=" + (dir / "out").string();
    build_image(make_image(), tar_config(), o, runner);
    EXPECT_EQ(dest_seen, (dir / "out").string());
    fs::remove_all(dir);
}
