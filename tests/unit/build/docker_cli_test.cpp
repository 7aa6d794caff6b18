#include "unit/test_util.hpp"

#include <imgspec/build/docker_cli.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <sys/stat.h>

namespace fs = std::filesystem;
using imgspec::build::default_builder_socket;
using imgspec::build::direct_buildx;
using imgspec::build::DirectBuildxRunner;
using imgspec::build::find_on_path;
using imgspec::test::TempDir;
using imgspec::util::ProcessResult;
using imgspec::util::ProcessSpec;

namespace {

// A script at `rel` in `t`, executable.
fs::path write_executable(const TempDir& t, const std::string& rel, const std::string& text) {
    fs::path p = t.write(rel, text);
    ::chmod(p.c_str(), 0755);
    return p;
}

// An ELF program as `docker` (a copy of /bin/true), as a real docker is.
void real_docker(const fs::path& p) {
    fs::create_directories(p.parent_path());
    fs::copy_file("/bin/true", p, fs::copy_options::overwrite_existing);
    ::chmod(p.c_str(), 0755);
}

// Sets an environment variable for a scope, then puts back what was there.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, const char* value) : m_name(name) {
        if (const char* old = std::getenv(name)) {
            m_old = old;
        }
        if (value != nullptr) {
            ::setenv(name, value, 1);
        } else {
            ::unsetenv(name);
        }
    }
    ~ScopedEnv() {
        if (m_old) {
            ::setenv(m_name, m_old->c_str(), 1);
        } else {
            ::unsetenv(m_name);
        }
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

  private:
    const char* m_name;
    std::optional<std::string> m_old;
};

class Recorder : public imgspec::util::ProcessRunner {
  public:
    ProcessResult run(const ProcessSpec& spec) override {
        argv = spec.argv;
        return {};
    }
    std::vector<std::string> argv;
};

} // namespace

TEST(DockerCli, FindsTheFirstExecutableOnPath) {
    TempDir t;
    write_executable(t, "b/docker", "#!/bin/sh\n");
    // no folder "a": skipped
    t.write("c/docker", "not executable");
    std::string path = (t.path() / "a").string() + ":" + (t.path() / "c").string() + ":" +
                       (t.path() / "b").string();
    EXPECT_EQ(find_on_path("docker", path), t.path() / "b" / "docker");
    EXPECT_FALSE(find_on_path("docker", (t.path() / "c").string()));
}

TEST(DockerCli, RunsThePluginDirectlyOnlyBehindARealDocker) {
    TempDir t;
    fs::path config = t.path() / "config";
    write_executable(t, "config/cli-plugins/docker-buildx", "#!/bin/sh\n");
    real_docker(t.path() / "bin" / "docker");
    ScopedEnv plugin_env("DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND", nullptr);
    EXPECT_EQ(direct_buildx(t.path() / "bin" / "docker", config),
              config / "cli-plugins" / "docker-buildx");
    // The config's extra folder comes first, as docker reads it.
    write_executable(t, "extra/docker-buildx", "#!/bin/sh\n");
    std::ofstream(config / "config.json")
        << R"({"cliPluginsExtraDirs": [")" << (t.path() / "extra").string() << R"("]})";
    EXPECT_EQ(direct_buildx(t.path() / "bin" / "docker", config),
              t.path() / "extra" / "docker-buildx");
    // A wrapper script as docker: it may do more than start the plugin.
    write_executable(t, "wrap/docker", "#!/bin/sh\nexec docker \"$@\"\n");
    EXPECT_FALSE(direct_buildx(t.path() / "wrap" / "docker", config));
    // Run by docker as a plugin itself: left to docker.
    ScopedEnv as_plugin("DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND", "buildx");
    EXPECT_FALSE(direct_buildx(t.path() / "bin" / "docker", config));
}

TEST(DockerCli, RunnerRewritesOnlyDockerBuildx) {
    TempDir t;
    fs::path config = t.path() / "config";
    write_executable(t, "config/cli-plugins/docker-buildx", "#!/bin/sh\n");
    real_docker(t.path() / "bin" / "docker");
    ScopedEnv path("PATH", (t.path() / "bin").c_str());
    ScopedEnv plugin_env("DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND", nullptr);
    Recorder inner;
    DirectBuildxRunner runner(inner);
    ProcessSpec spec;
    spec.argv = {"docker", "buildx", "build", "--tag", "x", "."};
    spec.env = {{"DOCKER_CONFIG", config.string()}};
    runner.run(spec);
    EXPECT_EQ(inner.argv,
              (std::vector<std::string>{(config / "cli-plugins" / "docker-buildx").string(),
                                        "build", "--tag", "x", "."}));
    spec.argv = {"docker", "push", "x"};
    runner.run(spec);
    EXPECT_EQ(inner.argv, spec.argv);
}

TEST(DockerCli, DefaultBuilderOnlyWhenNothingElseCanBeChosen) {
    TempDir t;
    fs::path config = t.path() / "config";
    fs::create_directories(config / "buildx");
    ScopedEnv host("DOCKER_HOST", nullptr);
    ScopedEnv context("DOCKER_CONTEXT", nullptr);
    ScopedEnv builder("BUILDX_BUILDER", nullptr);
    EXPECT_EQ(default_builder_socket(config, ""), "/var/run/docker.sock");
    EXPECT_EQ(default_builder_socket(config, "imgspec-alt"), "");
    {
        ScopedEnv h("DOCKER_HOST", "unix:///run/user/1000/docker.sock");
        EXPECT_EQ(default_builder_socket(config, ""), "/run/user/1000/docker.sock");
    }
    {
        ScopedEnv h("DOCKER_HOST", "tcp://10.0.0.2:2376");
        EXPECT_EQ(default_builder_socket(config, ""), "");
    }
    {
        ScopedEnv c("DOCKER_CONTEXT", "remote-arm");
        EXPECT_EQ(default_builder_socket(config, ""), "");
    }
    {
        ScopedEnv b("BUILDX_BUILDER", "cloud");
        EXPECT_EQ(default_builder_socket(config, ""), "");
    }
    std::ofstream(config / "config.json") << R"({"currentContext": "remote-arm"})";
    EXPECT_EQ(default_builder_socket(config, ""), "");
    std::ofstream(config / "config.json") << R"({"currentContext": "default"})";
    std::ofstream(config / "buildx" / "current")
        << R"({"Key":"unix:///var/run/docker.sock","Name":"","Global":false})";
    EXPECT_EQ(default_builder_socket(config, ""), "/var/run/docker.sock");
    std::ofstream(config / "buildx" / "current")
        << R"({"Key":"unix:///var/run/docker.sock","Name":"multi","Global":false})";
    EXPECT_EQ(default_builder_socket(config, ""), ""); // `docker buildx use multi`
}
