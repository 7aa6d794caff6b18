// A requirements file's includes (-r) and constraints (-c) reach the build beside it, as pip
// reads them; local paths are a warning at their line. Layouts as real projects write them: a
// requirements/ folder with base, production and constraints files (Django's cookiecutter,
// pip-tools' layered requirements).

#include "unit/test_util.hpp"

#include <imgspec/core/error.hpp>
#include <imgspec/pipeline/pipeline.hpp>
#include <imgspec/plan/requirements_file.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace fs = std::filesystem;
using namespace imgspec;
using Kind = plan::RequirementsRef::Kind;

namespace {

std::string refs_of(std::string_view text) {
    std::string out;
    for (const auto& r : plan::requirements_references(text)) {
        const char* k = r.kind == Kind::include      ? "r"
                        : r.kind == Kind::constraint ? "c"
                        : r.kind == Kind::variable   ? "v"
                                                     : "l";
        out += std::string(k) + ":" + r.value + "@" + std::to_string(r.line) + ":" +
               std::to_string(r.column) + " ";
    }
    return out;
}

TEST(RequirementsFile, IncludesInEveryFormPipTakes) {
    EXPECT_EQ(refs_of("-r base.txt\n"
                      "-rshort.txt\n"
                      "--requirement=long.txt\n"
                      "  --requirement   spaced.txt   # comment\n"
                      "-c constraints.txt\n"
                      "--constraint=c2.txt\n"
                      "-cc3.txt\n"),
              "r:base.txt@1:1 r:short.txt@2:1 r:long.txt@3:1 r:spaced.txt@4:3 "
              "c:constraints.txt@5:1 c:c2.txt@6:1 c:c3.txt@7:1 ");
}

TEST(RequirementsFile, PackagesCommentsAndUrlsAreNotReferences) {
    EXPECT_EQ(refs_of("# -r commented.txt\n"
                      "numpy==1.26.4 --hash=sha256:abc # -r trailing.txt\n"
                      "requests[socks]>=2; python_version >= \"3.8\"\n"
                      "-r https://example.com/reqs.txt\n"
                      "-c http://example.com/c.txt\n"
                      "-r file:///abs/reqs.txt\n"
                      "-r /abs/in/image.txt\n"
                      "--index-url https://example.com/simple\n"
                      "pkg#-r not-a-comment.txt\n"
                      "\n"
                      "-r\n"),
              "");
}

TEST(RequirementsFile, ContinuationLinesJoinAndKeepTheirPositions) {
    EXPECT_EQ(refs_of("numpy==1.26 \\\n"
                      "    --hash=sha256:abc \\\n"
                      "    --hash=sha256:def\n"
                      "-r \\\n"
                      "   next.txt\n"
                      "# a comment \\\n"
                      "-r after-comment.txt\r\n"),
              "r:next.txt@4:1 r:after-comment.txt@7:1 ");
}

TEST(RequirementsFile, RelativeLocalPathsAreListed) {
    EXPECT_EQ(refs_of("-e .\n"
                      "--editable=./libs/core\n"
                      "-e git+https://github.com/org/repo.git#egg=repo\n"
                      "./wheels/pkg-1.0-py3-none-any.whl\n"
                      "../sibling\n"
                      "-f ./wheels\n"
                      "--find-links https://example.com/wheels\n"
                      "file:vendored/pkg\n"
                      "file:///opt/pkg\n"
                      "/opt/wheels/pkg.whl\n"),
              "l:.@1:1 l:./libs/core@2:1 l:./wheels/pkg-1.0-py3-none-any.whl@4:1 l:../sibling@5:1 "
              "l:./wheels@6:1 l:file:vendored/pkg@8:1 ");
}

// `pip freeze` in a conda environment: direct references to the build machine's files.
TEST(RequirementsFile, DirectFileReferencesAreListed) {
    EXPECT_EQ(refs_of("numpy @ file:///croot/numpy_1691/work\n"
                      "six@file:///home/u/six-1.16.0-py2.py3-none-any.whl ; python_version>'3'\n"
                      "mylib @ file:./libs/mylib\n"
                      "requests @ https://example.com/requests-2.31.0-py3-none-any.whl\n"
                      "pkg @ git+https://github.com/org/pkg@v1.0\n"),
              "l:file:///croot/numpy_1691/work@1:9 "
              "l:file:///home/u/six-1.16.0-py2.py3-none-any.whl@2:5 l:file:./libs/mylib@3:9 ");
}

// pip's ENV_VAR_RE: ${NAME} of upper-case letters, digits and '_', outside comments.
TEST(RequirementsFile, VariablesInPipsForm) {
    EXPECT_EQ(refs_of("--index-url https://${PIP_USER}:${PIP_TOKEN}@pypi.example.com/simple\n"
                      "--extra-index-url https://$OTHER@x/simple  # ${IN_COMMENT}\n"
                      "pkg @ https://${lower}/${}/${A-B}/${UNCLOSED\n"),
              "v:PIP_USER@1:21 v:PIP_TOKEN@1:33 ");
}

pipeline::Image image_of(const fs::path& spec) {
    plan::PlanOptions options;
    options.use_cache = false;
    return pipeline::resolve_image(spec, test::test_config(), options);
}

std::vector<std::string> errors_of(const fs::path& spec) {
    std::vector<std::string> out;
    for (const auto& d : test::spec_diagnostics([&] { image_of(spec); })) {
        out.push_back(d.format());
    }
    return out;
}

std::vector<std::string> paths_of(const pipeline::Image& img) {
    std::vector<std::string> out;
    for (const auto& e : img.context.entries) {
        if (e.path.rfind("layers/0/", 0) == 0) {
            out.push_back(e.path);
        }
    }
    return out;
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

const std::string spec_head = "name: t\nfrom: {base: \"127.0.0.1:5000/python:3.12-slim\"}\n"
                              "layers:\n";

// cookiecutter-django's layout: production includes base, base pins through a constraints file
// one folder up.
void write_layered(const test::TempDir& d) {
    d.write("requirements/base.txt", "# base\ndjango==4.2.*\n-c ../constraints.txt\n");
    d.write("requirements/production.txt", "-r base.txt  # shared\ngunicorn==22.0.0\n");
    d.write("requirements/local.txt", "-r base.txt\npytest\n");
    d.write("constraints.txt", "django<5\n");
}

TEST(RequirementsLayer, IncludesAndConstraintsAreMountedAtTheirPlaces) {
    test::TempDir d;
    write_layered(d);
    auto spec = d.write("spec.yaml", spec_head + "  - requirements: requirements/production.txt\n");
    pipeline::Image img = image_of(spec);
    EXPECT_EQ(paths_of(img),
              (std::vector<std::string>{"layers/0/constraints.txt", "layers/0/requirements",
                                        "layers/0/requirements/base.txt",
                                        "layers/0/requirements/production.txt"}));
    EXPECT_TRUE(
        contains(img.dockerfile, "--mount=type=bind,source=layers/0,target=/tmp/imgspec/layers/0 "))
        << img.dockerfile;
    EXPECT_TRUE(
        contains(img.dockerfile, "--requirement /tmp/imgspec/layers/0/requirements/production.txt"))
        << img.dockerfile;
    EXPECT_TRUE(img.plan.warnings.empty());
}

TEST(RequirementsLayer, AFileWithoutIncludesKeepsItsOneFileForm) {
    test::TempDir d;
    d.write("deps/requirements.txt", "numpy==1.26.4\n");
    auto spec = d.write("spec.yaml", spec_head + "  - requirements: deps/requirements.txt\n");
    pipeline::Image img = image_of(spec);
    EXPECT_EQ(paths_of(img), (std::vector<std::string>{"layers/0/requirements.txt"}));
    EXPECT_TRUE(contains(img.dockerfile, "--mount=type=bind,source=layers/0/requirements.txt,"
                                         "target=/tmp/imgspec/layers/0/requirements.txt "))
        << img.dockerfile;
}

TEST(RequirementsLayer, AnIncludedFileChangesTheTag) {
    test::TempDir d;
    write_layered(d);
    auto spec = d.write("spec.yaml", spec_head + "  - requirements: requirements/production.txt\n");
    const std::string before = image_of(spec).tag;
    d.write("constraints.txt", "django<4.3\n");
    const std::string after = image_of(spec).tag;
    EXPECT_NE(before, after);
    d.write("requirements/local.txt", "-r base.txt\npytest==8\n"); // not included: no change
    EXPECT_EQ(image_of(spec).tag, after);
}

TEST(RequirementsLayer, IncludeCyclesEndAndEachFileIsMountedOnce) {
    test::TempDir d;
    d.write("a.txt", "-r b.txt\n-r a.txt\n-r ./b.txt\n");
    d.write("b.txt", "-r a.txt\n-c a.txt\n");
    auto spec = d.write("spec.yaml", spec_head + "  - requirements: a.txt\n");
    EXPECT_EQ(paths_of(image_of(spec)),
              (std::vector<std::string>{"layers/0/a.txt", "layers/0/b.txt"}));
}

TEST(RequirementsLayer, BadIncludesPointAtTheirLine) {
    test::TempDir d;
    d.write("requirements/base.txt", "ok==1\n  -r missing.txt\n-c ../../outside.txt\n-r sub\n");
    d.write("requirements/sub/x", "");
    auto spec = d.write("spec.yaml", spec_head + "  - requirements: requirements/base.txt\n");
    auto errors = errors_of(spec);
    ASSERT_EQ(errors.size(), 3u);
    const std::string file = (fs::path(spec).parent_path() / "requirements/base.txt").string();
    EXPECT_EQ(errors[0].rfind(file + ":2:3: error: '-r missing.txt': ", 0), 0u) << errors[0];
    EXPECT_TRUE(contains(errors[0], "requirements/missing.txt' does not exist")) << errors[0];
    EXPECT_TRUE(contains(errors[0], "included by layers[0].requirements in")) << errors[0];
    EXPECT_EQ(errors[1].rfind(file + ":3:1: error: '-c ../../outside.txt' names a file outside "
                                     "the spec's folder",
                              0),
              0u)
        << errors[1];
    EXPECT_EQ(errors[2].rfind(file + ":4:1: error: '-r sub' is not a regular file", 0), 0u)
        << errors[2];
}

TEST(RequirementsLayer, ALocalPathIsAWarningAtItsLine) {
    test::TempDir d;
    d.write("requirements.txt", "flask\n-e .\n");
    auto spec = d.write("spec.yaml", spec_head + "  - requirements: requirements.txt\n");
    pipeline::Image img = image_of(spec);
    ASSERT_EQ(img.plan.warnings.size(), 1u);
    const auto& w = img.plan.warnings[0];
    EXPECT_EQ(w.file, (fs::path(spec).parent_path() / "requirements.txt").string());
    EXPECT_EQ(w.mark.line, 2);
    EXPECT_EQ(w.mark.column, 1);
    EXPECT_TRUE(contains(w.message, "'-e .' is a path on this machine")) << w.message;
    EXPECT_TRUE(contains(w.hint, "uv_project")) << w.hint;
    d.write("requirements.txt", "numpy @ file:///croot/numpy_1691/work\n");
    img = image_of(spec);
    ASSERT_EQ(img.plan.warnings.size(), 1u);
    EXPECT_EQ(img.plan.warnings[0].mark.column, 9);
    EXPECT_TRUE(contains(img.plan.warnings[0].hint, "pip list --format=freeze"))
        << img.plan.warnings[0].hint;
}

// A token variable that no secret or env_vars of the spec sets: a 401 from the index minutes
// into the build, said at validate instead, once a name.
TEST(RequirementsLayer, AVariableNothingSetsIsAWarning) {
    test::TempDir d;
    d.write("requirements/base.txt", "--index-url https://__token__:${PIP_TOKEN}@x/simple\n");
    d.write("requirements.txt", "-r requirements/base.txt\n"
                                "--extra-index-url https://${PIP_TOKEN}@y/simple\n"
                                "--extra-index-url https://${MIRROR_HOST}/simple\n");
    auto spec = d.write("spec.yaml", spec_head + "  - requirements: requirements.txt\n");
    pipeline::Image img = image_of(spec);
    std::vector<std::string> got;
    for (const auto& w : img.plan.warnings) {
        got.push_back(fs::path(w.file).filename().string() + ":" + std::to_string(w.mark.line) +
                      ":" + std::to_string(w.mark.column) + " " +
                      w.message.substr(0, w.message.find(' ')));
    }
    EXPECT_EQ(got, (std::vector<std::string>{"requirements.txt:2:27 '${PIP_TOKEN}'",
                                             "requirements.txt:3:27 '${MIRROR_HOST}'"}));
    EXPECT_TRUE(contains(img.plan.warnings[0].hint, "add secret_mounts: [PIP_TOKEN] to layers[0]"))
        << img.plan.warnings[0].hint;
    // A secret that reaches the step as that variable, and an earlier env_vars, set them.
    spec = d.write("spec.yaml", spec_head + "  - env_vars: {MIRROR_HOST: m.example.com}\n"
                                            "  - requirements: requirements.txt\n"
                                            "    secret_mounts: [pip-token]\n");
    EXPECT_TRUE(image_of(spec).plan.warnings.empty());
    // A secret mounted as a file does not.
    spec = d.write("spec.yaml", spec_head + "  - env_vars: {MIRROR_HOST: m.example.com}\n"
                                            "  - requirements: requirements.txt\n"
                                            "    secret_mounts: [{key: PIP_TOKEN, mount: "
                                            "/root/.pip-token}]\n");
    EXPECT_EQ(image_of(spec).plan.warnings.size(), 1u);
}

} // namespace
