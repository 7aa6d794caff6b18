// Specs shaped like real projects, checked at the Dockerfile and the context (issue 12). What the
// engine can run is also built and run in tests/e2e/real_projects_test.sh; uv cannot run here (no
// uv binary in these registries), so its commands are checked against uv's documented CLI rules:
// `--locked` and `--frozen` conflict; `--no-install-project` skips only the root; `--no-editable`
// installs workspace members and path sources as copies, not links into the build's mount.

#include "unit/test_util.hpp"

#include <imgspec/core/error.hpp>
#include <imgspec/pipeline/pipeline.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace fs = std::filesystem;
using namespace imgspec;

namespace {

pipeline::Image image_of(const fs::path& spec, Config config = test::test_config()) {
    plan::PlanOptions options;
    options.use_cache = false;
    return pipeline::resolve_image(spec, config, options);
}

bool has_path(const pipeline::Image& img, const std::string& path) {
    return std::any_of(img.context.entries.begin(), img.context.entries.end(),
                       [&](const plan::Entry& e) { return e.path == path; });
}

std::vector<std::string> errors_of(const fs::path& spec) {
    std::vector<std::string> out;
    for (const auto& d : test::spec_diagnostics([&] { image_of(spec); })) {
        out.push_back(d.path + ": " + d.message + " | " + d.hint);
    }
    return out;
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// A uv workspace as uv's docs lay one out: a root project, members under packages/*, one
// excluded, a path dependency outside the members, and the lock's editable sources.
void write_workspace(const test::TempDir& d) {
    d.write("app/pyproject.toml", R"([project]
name = "app"
version = "0.1.0"
dependencies = ["core", "utils", "vendored"]

[tool.uv.workspace]
members = ["packages/*"]
exclude = ["packages/scratch"]

[tool.uv.sources]
core = { workspace = true }
utils = { workspace = true }
vendored = { path = "../vendor/vendored" }
)");
    d.write("app/uv.lock", R"(version = 1
requires-python = ">=3.12"

[manifest]
members = ["app", "core", "utils"]

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }

[[package]]
name = "core"
version = "0.1.0"
source = { editable = "packages/core" }

[[package]]
name = "utils"
version = "0.1.0"
source = { editable = "packages/utils" }

[[package]]
name = "vendored"
version = "1.0.0"
source = { directory = "../vendor/vendored" }
)");
    d.write("app/src/app/__init__.py", "");
    d.write("app/packages/core/pyproject.toml",
            "[project]\nname = \"core\"\nversion = \"0.1.0\"\n");
    d.write("app/packages/core/src/core/__init__.py", "X = 1\n");
    d.write("app/packages/utils/pyproject.toml",
            "[project]\nname = \"utils\"\nversion = \"0.1.0\"\n");
    d.write("app/packages/utils/src/utils/__init__.py", "");
    d.write("app/packages/scratch/pyproject.toml", "[project]\nname = \"scratch\"\n");
    d.write("vendor/vendored/pyproject.toml",
            "[project]\nname = \"vendored\"\nversion = \"1.0.0\"\n");
    d.write("vendor/vendored/vendored/__init__.py", "");
}

} // namespace

TEST(RealUvWorkspace, DependencyStepSeesEveryMemberAndPathSource) {
    test::TempDir d;
    write_workspace(d);
    auto spec = d.write("spec.yaml", "name: ws\nfrom: {base: python:3.12-slim}\nlayers:\n"
                                     "  - uv_project: {pyproject: app/pyproject.toml}\n");
    auto img = image_of(spec);
    // The layer folder mirrors the spec's: the project, its members and the path source.
    for (const char* p : {"layers/0/app/pyproject.toml", "layers/0/app/uv.lock",
                          "layers/0/app/packages/core/pyproject.toml",
                          "layers/0/app/packages/core/src/core/__init__.py",
                          "layers/0/app/packages/utils/pyproject.toml",
                          "layers/0/vendor/vendored/pyproject.toml"}) {
        EXPECT_TRUE(has_path(img, p)) << p;
    }
    EXPECT_FALSE(has_path(img, "layers/0/app/packages/scratch/pyproject.toml"))
        << "excluded member";
    EXPECT_FALSE(has_path(img, "layers/0/app/src/app/__init__.py"))
        << "the root's own code is not a dependency";
    EXPECT_TRUE(
        contains(img.dockerfile, "--mount=type=bind,source=layers/0,target=/tmp/imgspec/layers/0 "))
        << img.dockerfile;
    EXPECT_TRUE(contains(img.dockerfile,
                         "uv sync --active --inexact --locked --no-install-project --no-editable "
                         "--project /tmp/imgspec/layers/0/app"))
        << img.dockerfile;
}

TEST(RealUvWorkspace, InstallProjectInstallsMembersNonEditable) {
    test::TempDir d;
    write_workspace(d);
    auto spec = d.write("spec.yaml", "name: ws\nfrom: {base: python:3.12-slim}\nlayers:\n"
                                     "  - uv_project: {pyproject: app/pyproject.toml, "
                                     "project_install_mode: install_project}\n");
    auto img = image_of(spec);
    EXPECT_TRUE(has_path(img, "layers/0/project/app/src/app/__init__.py"));
    EXPECT_TRUE(has_path(img, "layers/0/project/vendor/vendored/pyproject.toml"));
    EXPECT_TRUE(contains(img.dockerfile,
                         "uv sync --active --inexact --locked --no-editable --project "
                         "/tmp/imgspec/layers/0/project/app"))
        << img.dockerfile;
}

// A monorepo's image for one member: uv runs it from the workspace's root (`uv sync --package`),
// so the member's pyproject alone is an error that says how to write it; a member excluded from
// the workspace, or a project that no workspace lists, is a project of its own.
TEST(RealUvWorkspace, AMembersPyprojectSaysToUseTheRootAndPackage) {
    test::TempDir d;
    write_workspace(d);
    auto spec = d.write("spec.yaml", "name: ws\nfrom: {base: python:3.12-slim}\nlayers:\n"
                                     "  - uv_project: {pyproject: app/packages/core/pyproject.toml,"
                                     " uvlock: app/uv.lock}\n");
    auto errors = errors_of(spec);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0], "layers[0].uv_project.pyproject: 'app/packages/core/pyproject.toml' is a "
                         "member of the uv workspace of 'app/pyproject.toml', which uv installs "
                         "from the workspace's root with its uv.lock | use uv_project: "
                         "{pyproject: app/pyproject.toml, extra_args: \"--package core\"}");
    spec =
        d.write("spec.yaml", "name: ws\nfrom: {base: python:3.12-slim}\nlayers:\n"
                             "  - uv_project: {pyproject: app/packages/scratch/pyproject.toml}\n");
    EXPECT_NO_THROW(image_of(spec));
    spec = d.write("spec.yaml", "name: ws\nfrom: {base: python:3.12-slim}\nlayers:\n"
                                "  - uv_project: {pyproject: vendor/vendored/pyproject.toml}\n");
    EXPECT_NO_THROW(image_of(spec));
    // The root with --package is the way.
    spec = d.write("spec.yaml", "name: ws\nfrom: {base: python:3.12-slim}\nlayers:\n"
                                "  - uv_project: {pyproject: app/pyproject.toml, extra_args: "
                                "\"--package core\"}\n");
    EXPECT_TRUE(contains(image_of(spec).dockerfile, "--package core"));
}

TEST(RealUvProject, FrozenOrLockedInExtraArgsReplacesTheDefault) {
    test::TempDir d;
    d.write("pyproject.toml", "[project]\nname = \"p\"\nversion = \"1\"\n");
    d.write("uv.lock", "version = 1\n");
    for (const char* flag : {"--frozen", "--locked"}) {
        auto spec = d.write(
            "spec.yaml", std::string("name: p\nfrom: {base: python:3.12-slim}\nlayers:\n"
                                     "  - uv_project: {pyproject: pyproject.toml, extra_args: \"") +
                             flag + "\"}\n");
        auto img = image_of(spec);
        std::string df = img.dockerfile;
        auto line = df.substr(df.find("uv sync"));
        line = line.substr(0, line.find('\n'));
        EXPECT_FALSE(contains(line, "--locked --") && std::string(flag) == "--frozen") << line;
        std::size_t n = 0;
        for (auto at = line.find(flag); at != std::string::npos; at = line.find(flag, at + 1)) {
            ++n;
        }
        EXPECT_EQ(n, 1u) << line;
        EXPECT_FALSE(contains(line, "--frozen") && contains(line, "--locked")) << line;
    }
}

TEST(RealUvProject, NoLockIsAWarningAndResolvesInTheBuild) {
    test::TempDir d;
    d.write("pyproject.toml", "[project]\nname = \"p\"\nversion = \"1\"\n");
    auto spec = d.write("spec.yaml", "name: p\nfrom: {base: python:3.12-slim}\nlayers:\n"
                                     "  - uv_project: pyproject.toml\n");
    auto img = image_of(spec);
    ASSERT_EQ(img.plan.warnings.size(), 1u);
    EXPECT_TRUE(contains(img.plan.warnings[0].message, "no uv.lock"));
    EXPECT_FALSE(contains(img.dockerfile, "--locked"));
    // uv writes the lock it resolves: into a writable mount, thrown away with it.
    EXPECT_TRUE(contains(img.dockerfile, "source=layers/0,target=/tmp/imgspec/layers/0,rw"))
        << img.dockerfile;
}

TEST(RealSecrets, BareKeyIsAnEnvironmentVariableNamedAsTheSdkNamesIt) {
    test::TempDir d;
    auto spec = d.write("spec.yaml",
                        "name: s\nfrom: {base: busybox}\nlayers:\n"
                        "  - commands: ['test -n \"$GITHUB_PAT\"']\n"
                        "    secret_mounts: [github-pat, {key: CREDS, mount: /root/.netrc}]\n");
    auto img = image_of(spec);
    EXPECT_TRUE(contains(img.dockerfile,
                         "GITHUB_PAT=\"$(cat /run/secrets/github-pat)\" && export GITHUB_PAT"))
        << img.dockerfile;
    EXPECT_TRUE(contains(img.dockerfile, "type=secret,id=CREDS,target=/root/.netrc,required=true"));
    EXPECT_FALSE(contains(img.dockerfile, "CREDS=")) << "a mounted secret is a file only";
    ASSERT_EQ(img.plan.secrets.size(), 2u);
    EXPECT_EQ(img.plan.secrets[0].env, "GITHUB_PAT")
        << "the host's variable, as the SDK looks it up";
}

TEST(RealSecrets, TokenInIndexUrlIsExpandedByTheStepsShellOnly) {
    test::TempDir d;
    auto spec = d.write(
        "spec.yaml",
        "name: s\nfrom: {base: python:3.12-slim}\nlayers:\n"
        "  - pip_packages: ['private-pkg', 'tool @ git+https://$PAT@git.example.com/t.git']\n"
        "    index_url: https://__token__:$PAT@pypi.example.com/simple\n"
        "    secret_mounts: [PAT]\n");
    auto img = image_of(spec);
    EXPECT_TRUE(contains(img.dockerfile,
                         "--index-url https://__token__:\"${PAT}\"@pypi.example.com/simple"))
        << img.dockerfile;
    EXPECT_TRUE(contains(img.dockerfile, "'tool @ git+https://'\"${PAT}\"@git.example.com/t.git"))
        << img.dockerfile;
    // Not a secret of this step: an error, never a shell expansion.
    auto bad = d.write("bad.yaml", "name: s\nfrom: {base: python:3.12-slim}\nlayers:\n"
                                   "  - pip_packages: [x]\n"
                                   "    index_url: https://$(id)@host/simple\n"
                                   "  - pip_packages: [y]\n"
                                   "    index_url: https://$HOME@host/simple\n");
    auto errs = errors_of(bad);
    ASSERT_EQ(errs.size(), 2u);
    EXPECT_TRUE(contains(errs[0], "not a valid index URL")) << errs[0];
    EXPECT_TRUE(contains(errs[1], "'$HOME' is not a secret exported in this step")) << errs[1];
}

TEST(RealSecrets, GroupAndMountCannotAddOptionsOrInstructions) {
    test::TempDir d;
    auto spec = d.write(
        "spec.yaml",
        "name: s\nfrom: {base: busybox}\nlayers:\n"
        "  - commands: ['true']\n"
        "    secret_mounts: [{key: A, mount: '/x,mode=0777'}, {key: B, group: \"g\\nRUN id\"}]\n");
    auto errs = errors_of(spec);
    ASSERT_EQ(errs.size(), 2u);
    EXPECT_TRUE(contains(errs[0], "not a valid mount point")) << errs[0];
    EXPECT_TRUE(contains(errs[1], "group")) << errs[1];
}

TEST(RealEnv, DollarExpandsAsInADockerfileAndBackslashDollarIsLiteral) {
    test::TempDir d;
    auto spec = d.write("spec.yaml", "name: e\nfrom: {base: busybox}\nlayers:\n"
                                     "  - env_vars:\n"
                                     "      PATH: /opt/conda/bin:$PATH\n"
                                     "      A: ${HOME:-/root}/x ${B:+set}\n"
                                     "      PRICE: 'costs \\$5 and \"quotes\"'\n");
    auto img = image_of(spec);
    EXPECT_TRUE(contains(img.dockerfile, "PATH=\"/opt/conda/bin:$PATH\"")) << img.dockerfile;
    EXPECT_TRUE(contains(img.dockerfile, "A=\"${HOME:-/root}/x ${B:+set}\"")) << img.dockerfile;
    EXPECT_TRUE(contains(img.dockerfile, "PRICE=\"costs \\$5 and \\\"quotes\\\"\""))
        << img.dockerfile;
    auto bad = d.write("bad.yaml",
                       "name: e\nfrom: {base: busybox}\nlayers:\n  - env_vars: {A: '${B?}'}\n");
    auto errs = errors_of(bad);
    ASSERT_EQ(errs.size(), 1u);
    EXPECT_TRUE(contains(errs[0], "${NAME:-word}")) << errs[0];
}

TEST(RealUsers, InstallsRunAsUidGidAndTheFinalUserIsRestored) {
    test::TempDir d;
    auto base =
        d.write("base.yaml", "name: b\nfrom: {base: busybox}\nlayers:\n  - commands: ['true']\n");
    auto img = image_of(base);
    EXPECT_TRUE(contains(img.dockerfile, "\nUSER 0:0\n"));
    EXPECT_FALSE(contains(img.dockerfile, "\nUSER 0\n"));
    EXPECT_TRUE(contains(img.dockerfile, "ARG IMGSPEC_BASE_USER=0:0\nUSER $IMGSPEC_BASE_USER\n"))
        << img.dockerfile;
    auto own = d.write(
        "own.yaml",
        "name: b\nuser: 1000:1000\nfrom: {base: busybox}\nlayers:\n  - commands: ['true']\n");
    EXPECT_TRUE(contains(image_of(own).dockerfile, "\nUSER 1000:1000\n"));
    auto deb = d.write("deb.yaml", "name: f\nfrom: {debian_base: {}}\n");
    auto debian = image_of(deb);
    EXPECT_TRUE(contains(debian.dockerfile, "flyte==2.0.1")) << "flyte pinned by default";
    EXPECT_TRUE(contains(debian.dockerfile, "ENV UV_COMPILE_BYTECODE=1 PYTHONPATH=/root"));
    EXPECT_EQ(debian.dockerfile.substr(debian.dockerfile.size() - 11), "USER flyte\n");
}

// A base without Python gets it from apt_packages before the venv is made; commands still run in
// the venv (they may call pip); a spec without Python layers makes none.
TEST(RealPython, TheVenvStartsAtTheFirstLayerThatRunsInIt) {
    test::TempDir d;
    // Where each step is in the Dockerfile: apt, the venv, the command, pip (npos: not there).
    auto at = [&](const std::string& layers) {
        auto spec = d.write("spec.yaml", "name: v\nfrom: {base: ubuntu:24.04}\nlayers:\n" + layers);
        const std::string df = image_of(spec).dockerfile;
        std::vector<std::size_t> out;
        for (const char* step : {"apt-get install", "uv venv", "echo hi", "uv pip install"}) {
            out.push_back(df.find(step));
        }
        return out;
    };
    auto p = at("  - apt_packages: [python3]\n  - pip_packages: [requests]\n");
    EXPECT_LT(p[0], p[1]); // apt, then the venv
    EXPECT_LT(p[1], p[3]); // the venv, then pip
    p = at("  - apt_packages: [python3]\n  - commands: [\"echo hi\"]\n"
           "  - pip_packages: [requests]\n");
    EXPECT_LT(p[0], p[1]);
    EXPECT_LT(p[1], p[2]); // commands run in the venv
    p = at("  - commands: [\"echo hi\"]\n");
    EXPECT_EQ(p[1], std::string::npos); // no Python layer: no venv
}

TEST(RealPython, VersionIsMadeByUvAndCheckedWithPip) {
    test::TempDir d;
    auto spec =
        d.write("spec.yaml", "name: p\npython_version: \"3.11\"\nfrom: {base: python:3.10-slim}\n"
                             "layers:\n  - pip_packages: [numpy]\n");
    auto uv = image_of(spec);
    EXPECT_TRUE(contains(uv.dockerfile, "uv venv /opt/venv --python 3.11")) << uv.dockerfile;
    Config pip = test::test_config();
    pip.installer.value = "pip";
    auto p = image_of(spec, pip);
    EXPECT_TRUE(contains(p.dockerfile, "sys.version_info[:2] != (3, 11)")) << p.dockerfile;
    auto old = d.write("old.yaml", "name: p\npython_version: \"2.7\"\nfrom: {base: busybox}\n");
    auto errs = errors_of(old);
    ASSERT_EQ(errs.size(), 1u);
    EXPECT_TRUE(contains(errs[0], "not a supported Python version")) << errs[0];
}

TEST(RealPython, ProjectsRequiresPythonIsCheckedWhenTheImagesPythonIsKnown) {
    test::TempDir d;
    d.write("pyproject.toml", "[project]\nname = \"p\"\nversion = \"1\"\n"
                              "requires-python = \">=3.13\"\n");
    d.write("uv.lock", "version = 1\n");
    // debian_base: imgspec installs the Python, so it knows it (3.11 given; the default 3.12).
    for (const char* base : {"{debian_base: {python_version: \"3.11\", install_flyte: false}}",
                             "{debian_base: {install_flyte: false}}"}) {
        auto spec = d.write("spec.yaml", std::string("name: p\nfrom: ") + base +
                                             "\nlayers:\n  - uv_project: pyproject.toml\n");
        auto errors = errors_of(spec);
        ASSERT_EQ(errors.size(), 1u) << base;
        EXPECT_TRUE(contains(errors[0], "layers[0].uv_project.pyproject: the project requires "
                                        "Python >=3.13 but the image has 3."))
            << errors[0];
        EXPECT_TRUE(contains(errors[0], "set python_version")) << errors[0];
    }
    // An image from `base:` may have any Python: nothing to compare, unless python_version says.
    auto any = d.write("spec.yaml", "name: p\nfrom: {base: python:3.12-slim}\nlayers:\n"
                                    "  - uv_project: pyproject.toml\n");
    EXPECT_NO_THROW(image_of(any));
    auto said = d.write("spec.yaml", "name: p\npython_version: \"3.12\"\n"
                                     "from: {base: python:3.12-slim}\nlayers:\n"
                                     "  - uv_project: pyproject.toml\n");
    EXPECT_EQ(errors_of(said).size(), 1u);
    // A range the Python is in; and a poetry 2 project ([project] too).
    d.write("pyproject.toml", "[project]\nname = \"p\"\nversion = \"1\"\n"
                              "requires-python = \">=3.11,<3.13\"\n");
    d.write("poetry.lock", "# poetry\n");
    auto ok = d.write("spec.yaml", "name: p\nfrom: {debian_base: {python_version: \"3.12\", "
                                   "install_flyte: false}}\nlayers:\n"
                                   "  - uv_project: pyproject.toml\n"
                                   "  - poetry_project: pyproject.toml\n");
    EXPECT_NO_THROW(image_of(ok));
    auto old = d.write("spec.yaml", "name: p\nfrom: {debian_base: {python_version: \"3.10\", "
                                    "install_flyte: false}}\nlayers:\n"
                                    "  - poetry_project: pyproject.toml\n");
    auto errors = errors_of(old);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_TRUE(contains(errors[0], "layers[0].poetry_project.pyproject: the project requires "
                                    "Python >=3.11,<3.13 but the image has 3.10"))
        << errors[0];
}

TEST(RealRuntime, SettingsRenderSafely) {
    test::TempDir d;
    auto spec = d.write("spec.yaml", R"(name: r
from: {base: busybox}
entrypoint: ["python", "-m", "app"]
cmd: echo "$HOME" && run
labels: {org.opencontainers.image.source: "https://example.com/a \"b\" $X", version: 3}
expose: [8080, "9090/udp"]
stopsignal: SIGINT
healthcheck: {test: "curl -f http://localhost/ || exit 1", interval: 30s, retries: 3}
)");
    auto img = image_of(spec);
    const std::string& df = img.dockerfile;
    EXPECT_TRUE(contains(df, "ENTRYPOINT [\"python\", \"-m\", \"app\"]\n")) << df;
    EXPECT_TRUE(contains(df, "CMD [\"/bin/sh\", \"-c\", \"echo \\\"$HOME\\\" && run\"]\n")) << df;
    EXPECT_TRUE(contains(
        df, "LABEL \"org.opencontainers.image.source\"=\"https://example.com/a \\\"b\\\" \\$X\"\n"))
        << df;
    EXPECT_TRUE(contains(df, "LABEL \"version\"=\"3\"\n")) << df;
    EXPECT_TRUE(contains(df, "EXPOSE 8080\nEXPOSE 9090/udp\n")) << df;
    EXPECT_TRUE(contains(df, "STOPSIGNAL SIGINT\n")) << df;
    EXPECT_TRUE(contains(df, "HEALTHCHECK --interval=30s --retries=3 CMD [\"/bin/sh\", \"-c\", "
                             "\"curl -f http://localhost/ || exit 1\"]\n"))
        << df;
    auto bad = d.write("bad.yaml", "name: r\nfrom: {base: busybox}\nexpose: [\"80; rm -rf "
                                   "/\"]\nstopsignal: \"KILL\\nRUN id\"\n");
    EXPECT_EQ(errors_of(bad).size(), 2u);
}

TEST(RealTwins, ScalarsWhereTextIsExpectedKeepTheirSourceTextInBothFormats) {
    test::TempDir d;
    for (const char* v :
         {"0x1F", "1_000", "0o17", "+1", "3.10", "42", "-7", "true", "0", "1e3", "0b101"}) {
        auto yaml = d.write(
            "t.yaml",
            std::string("name: t\nfrom: {base: busybox}\nlayers:\n  - env_vars: {A: ") + v + "}\n");
        auto toml = d.write(
            "t.toml",
            std::string("name = \"t\"\nfrom = {base = \"busybox\"}\n[[layers]]\nenv_vars = {A = ") +
                v + "}\n");
        auto y = image_of(yaml);
        EXPECT_TRUE(contains(y.dockerfile, std::string("ENV A=\"") + v + "\"")) << v << "\n"
                                                                                << y.dockerfile;
        EXPECT_EQ(y.dockerfile, image_of(toml).dockerfile) << v;
        EXPECT_EQ(y.uri, image_of(toml).uri) << v;
    }
}

TEST(RealCopies, DockerignoreAppliesToCopiesBeforeIt) {
    test::TempDir d;
    d.write("app/main.py", "print(1)\n");
    d.write("app/.env", "SECRET=1\n");
    d.write("rules", ".env\n**/.env\n");
    auto spec = d.write("spec.yaml", "name: c\nfrom: {base: busybox}\nlayers:\n"
                                     "  - source_folder: {src: app, dst: /app}\n"
                                     "  - dockerignore: rules\n");
    auto img = image_of(spec);
    EXPECT_TRUE(has_path(img, "layers/0/main.py"));
    EXPECT_FALSE(has_path(img, "layers/0/.env"))
        << "a later dockerignore layer applies to earlier copies";
}

TEST(RealCopies, FromDockerfileKeepsTheFoldersOwnFiles) {
    test::TempDir d;
    d.write("Dockerfile", "FROM busybox\nCOPY Dockerfile /\n");
    d.write("prod.Dockerfile", "FROM busybox\nCOPY Dockerfile .dockerignore /\n");
    d.write(".dockerignore", "*.log\n");
    d.write("debug.log", "x\n");
    auto spec = d.write("spec.yaml", "name: d\nfrom: {dockerfile: prod.Dockerfile}\n");
    auto img = image_of(spec);
    EXPECT_EQ(img.plan.dockerfile_path, "prod.Dockerfile");
    EXPECT_TRUE(has_path(img, "Dockerfile"));
    EXPECT_TRUE(has_path(img, ".dockerignore"));
    EXPECT_FALSE(has_path(img, "debug.log"));
    auto before = img.uri;
    d.write("Dockerfile", "FROM busybox\nCOPY Dockerfile /etc/\n");
    EXPECT_NE(image_of(spec).uri, before) << "editing the folder's Dockerfile changes the tag";
}

TEST(RealPoetry, InstallProjectBuildsAWheelAndKeepsGroupOptionsOnTheDependencies) {
    test::TempDir d;
    d.write("pyproject.toml", "[tool.poetry]\nname = \"p\"\nversion = \"1\"\n");
    d.write("poetry.lock", "");
    auto spec =
        d.write("spec.yaml",
                "name: p\nfrom: {base: python:3.12-slim}\nlayers:\n"
                "  - poetry_project: {pyproject: pyproject.toml, extra_args: \"--without dev\", "
                "project_install_mode: install_project}\n");
    auto img = image_of(spec);
    EXPECT_FALSE(contains(img.dockerfile, "--only-root")) << img.dockerfile;
    EXPECT_TRUE(
        contains(img.dockerfile, "poetry install --no-interaction --no-root --without dev"));
    EXPECT_TRUE(contains(img.dockerfile, "poetry build --no-interaction --format wheel"));
    EXPECT_TRUE(contains(img.dockerfile, "--no-deps /tmp/imgspec-wheel/*.whl"));
}

// Poetry 1.8's non-package mode (an application: `poetry build` refuses it): install_project
// installs the dependencies only, with a warning, and the project's tree stays out of the context.
TEST(RealPoetry, PackageModeFalseInstallsTheDependenciesOnly) {
    test::TempDir d;
    d.write("app/pyproject.toml", "[tool.poetry]\nname = \"app\"\nversion = \"0.1.0\"\n"
                                  "package-mode = false\n\n[tool.poetry.dependencies]\n"
                                  "python = \"^3.11\"\nrequests = \"^2.31\"\n");
    d.write("app/poetry.lock", "# poetry\n");
    d.write("app/main.py", "print('app')\n");
    auto spec = d.write("spec.yaml", "name: p\nfrom: {base: python:3.12-slim}\nlayers:\n"
                                     "  - poetry_project: {pyproject: app/pyproject.toml, "
                                     "project_install_mode: install_project}\n");
    auto img = image_of(spec);
    EXPECT_TRUE(contains(img.dockerfile, "poetry install --no-interaction --no-root"));
    EXPECT_FALSE(contains(img.dockerfile, "poetry build")) << img.dockerfile;
    EXPECT_FALSE(has_path(img, "layers/0/project/main.py"));
    ASSERT_EQ(img.plan.warnings.size(), 1u);
    EXPECT_TRUE(contains(img.plan.warnings[0].message, "package-mode = false"));
    EXPECT_EQ(img.plan.warnings[0].path, "layers[0].poetry_project");
    // A package (the default) is still built and installed.
    d.write("app/pyproject.toml", "[tool.poetry]\nname = \"app\"\nversion = \"0.1.0\"\n"
                                  "package-mode = true\n");
    img = image_of(spec);
    EXPECT_TRUE(contains(img.dockerfile, "poetry build")) << img.dockerfile;
    EXPECT_TRUE(has_path(img, "layers/0/project/main.py"));
}

TEST(RealScript, LocalFileDependencyIsCopiedNeverAHostPath) {
    test::TempDir d;
    d.write("libs/mylib/pyproject.toml", "[project]\nname = \"mylib\"\n");
    auto script = "# /// script\n# dependencies = [\"mylib @ file://" +
                  (d.path() / "libs/mylib").string() + "\"]\n# ///\nimport mylib\n";
    d.write("train.py", script);
    auto spec = d.write("spec.yaml", "name: s\nfrom: {uv_script: train.py}\n");
    auto img = image_of(spec);
    EXPECT_FALSE(contains(img.dockerfile, d.path().string())) << img.dockerfile;
    EXPECT_TRUE(contains(img.dockerfile, "'mylib @ file:///tmp/imgspec/layers/0/libs/mylib'"))
        << img.dockerfile;
    EXPECT_TRUE(has_path(img, "layers/0/libs/mylib/pyproject.toml"));
    // Outside the spec's folder: an error that says so.
    test::TempDir other;
    other.write("lib/pyproject.toml", "");
    d.write("train.py", "# /// script\n# dependencies = [\"lib @ file://" +
                            (other.path() / "lib").string() + "\"]\n# ///\n");
    auto errs = errors_of(spec);
    ASSERT_EQ(errs.size(), 1u);
    EXPECT_TRUE(contains(errs[0], "outside the spec's folder")) << errs[0];
}

TEST(RealWarnings, SaveAFailedBuild) {
    test::TempDir d;
    d.write("parent.yaml",
            "name: p\nextendable: true\nplatform: linux/amd64\nfrom: {base: busybox}\n"
            "layers:\n  - commands: ['true']\n");
    auto child = d.write(
        "child.yaml", "name: c\nplatform: [linux/amd64, linux/arm64]\nfrom: {spec: parent.yaml}\n"
                      "layers:\n  - commands: ['RUN echo hi']\n");
    auto img = image_of(child);
    std::string all;
    for (const auto& w : img.plan.warnings) {
        all += w.message + "\n";
    }
    EXPECT_TRUE(contains(all, "built for linux/arm64 but its parent")) << all;
    EXPECT_TRUE(contains(all, "runs a program named RUN")) << all;
    auto deb =
        d.write("deb.yaml",
                "name: f\nfrom: {debian_base: {flyte_version: \"2.0.1\", install_flyte: false}}\n");
    EXPECT_EQ(image_of(deb).plan.warnings.size(), 1u);
    d.write("proj/pyproject.toml", "[tool.poetry]\nname = \"p\"\n");
    d.write("proj/poetry.lock", "");
    d.write("proj/.venv/bin/python", "");
    auto venv = d.write("venv.yaml", "name: v\nfrom: {base: python:3.12-slim}\nlayers:\n"
                                     "  - poetry_project: {pyproject: proj/pyproject.toml, "
                                     "project_install_mode: install_project}\n");
    auto w = image_of(venv).plan.warnings;
    ASSERT_EQ(w.size(), 1u);
    EXPECT_TRUE(contains(w[0].message, "proj/.venv")) << w[0].message;
}

// Issue 13, items 2 and 3: a secret's file is left out of the context however it is named.
TEST(SecretFiles, TildeAndHardLinksAreRecognised) {
    test::TempDir d;
    d.write("app/token.txt", "s3cret\n");
    d.write("app/main.py", "print(1)\n");
    fs::create_hard_link(d / "app/token.txt", d / "app/innocent.txt");
    const char* old_home = std::getenv("HOME");
    std::string saved = old_home ? old_home : "";
    setenv("HOME", (d / "app").c_str(), 1);
    auto spec = d.write("spec.yaml", "name: s\nfrom: {base: busybox}\nlayers:\n"
                                     "  - source_folder: {src: app, dst: /app}\n"
                                     "secrets:\n  TOKEN: {file: ~/token.txt}\n");
    auto img = image_of(spec);
    setenv("HOME", saved.c_str(), 1);
    EXPECT_TRUE(has_path(img, "layers/0/main.py"));
    EXPECT_FALSE(has_path(img, "layers/0/token.txt"))
        << "~/ is expanded where the path is compared";
    EXPECT_FALSE(has_path(img, "layers/0/innocent.txt"))
        << "a hard link to the secret is the secret";
    std::string warnings;
    for (const auto& w : img.plan.warnings) {
        warnings += w.message + "\n";
    }
    EXPECT_TRUE(contains(warnings, "hard link")) << warnings;
}
