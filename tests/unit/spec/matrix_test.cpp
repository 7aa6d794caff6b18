// Matrices: expansion, naming, overlays, references, the errors with their places, --matrix picks
// and the images' URIs (pipeline::resolve_specs).

#include "unit/test_util.hpp"

#include <imgspec/pipeline/pipeline.hpp>
#include <imgspec/spec/matrix.hpp>
#include <imgspec/spec/model.hpp>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <set>

namespace fs = std::filesystem;
using namespace imgspec;

namespace {

std::vector<spec::Spec> read(const test::TempDir& dir, const std::string& file,
                             const std::string& text) {
    return spec::read_specs(dir.write(file, text));
}

// Every diagnostic of reading `text` as "line:col: path: message".
std::vector<std::string> problems(const std::string& text, const std::string& file = "s.yaml") {
    test::TempDir dir;
    try {
        (void)read(dir, file, text);
    } catch (const SpecError& e) {
        std::vector<std::string> out;
        for (const auto& d : e.diagnostics()) {
            out.push_back(
                fmt::format("{}:{}: {}: {}", d.mark.line, d.mark.column, d.path, d.message));
        }
        return out;
    }
    return {};
}

std::string env_of(const spec::Spec& s, const std::string& name) {
    for (const auto& l : s.layers) {
        if (const auto* e = std::get_if<spec::EnvLayer>(&l.body)) {
            for (const auto& [k, v] : e->vars) {
                if (k == name) {
                    return v;
                }
            }
        }
    }
    return {};
}

const std::string two_axes = R"(name: app
platform: linux/amd64
from: {base: "python:3.12-slim"}
matrix:
  python_version: ["3.11", "3.12"]
  variant:
    cpu: {}
    gpu:
      from: {ref_name: gpu}
      layers:
        - env_vars: {DEVICE: cuda}
layers:
  - env_vars: {PY: "${{ matrix.python_version }}", VARIANT: "v-${{matrix.variant}}"}
)";

TEST(Matrix, ExpandsInWrittenOrderFirstAxisSlowest) {
    test::TempDir dir;
    auto specs = read(dir, "s.yaml", two_axes);
    ASSERT_EQ(specs.size(), 4u);
    std::vector<std::string> names, labels;
    for (const auto& s : specs) {
        names.push_back(s.name);
        labels.push_back(spec::matrix_label(s.matrix));
    }
    EXPECT_EQ(names, (std::vector<std::string>{"app-3.11-cpu", "app-3.11-gpu", "app-3.12-cpu",
                                               "app-3.12-gpu"}));
    EXPECT_EQ(labels[1], "python_version=3.11, variant=gpu");
    EXPECT_EQ(env_of(specs[2], "PY"), "3.12");
    EXPECT_EQ(env_of(specs[2], "VARIANT"), "v-cpu");
}

TEST(Matrix, OverlayReplacesKeysAndAppendsLayers) {
    test::TempDir dir;
    auto specs = read(dir, "s.yaml", two_axes);
    EXPECT_TRUE(std::holds_alternative<spec::ImageBase>(specs[0].base));
    ASSERT_TRUE(std::holds_alternative<spec::RefNameBase>(specs[1].base));
    EXPECT_EQ(std::get<spec::RefNameBase>(specs[1].base).name, "gpu");
    ASSERT_EQ(specs[0].layers.size(), 1u);
    ASSERT_EQ(specs[1].layers.size(), 2u);
    EXPECT_EQ(specs[1].layers[1].path, "layers[1]");
    EXPECT_EQ(env_of(specs[1], "DEVICE"), "cuda");
    EXPECT_EQ(specs[1].layers[1].mark.line, 11); // where the overlay wrote it
}

TEST(Matrix, YamlAndTomlGiveTheSameImages) {
    test::TempDir dir;
    auto yaml = read(dir, "s.yaml", two_axes);
    auto toml = read(dir, "t.toml", R"(name = "app"
platform = "linux/amd64"
from = { base = "python:3.12-slim" }
layers = [ { env_vars = { PY = "${{ matrix.python_version }}", VARIANT = "v-${{matrix.variant}}" } } ]

[matrix]
python_version = ["3.11", "3.12"]
variant = { cpu = {}, gpu = { from = { ref_name = "gpu" }, layers = [ { env_vars = { DEVICE = "cuda" } } ] } }
)");
    ASSERT_EQ(yaml.size(), toml.size());
    for (std::size_t i = 0; i < yaml.size(); ++i) {
        EXPECT_EQ(yaml[i].name, toml[i].name);
        EXPECT_EQ(yaml[i].matrix, toml[i].matrix);
        EXPECT_EQ(yaml[i].layers.size(), toml[i].layers.size());
        EXPECT_EQ(env_of(yaml[i], "VARIANT"), env_of(toml[i], "VARIANT"));
    }
}

TEST(Matrix, NameFromOverlayOrReferenceHasNoSuffix) {
    test::TempDir dir;
    auto a = read(dir, "a.yaml", R"(name: "py${{ matrix.v }}"
from: {base: "python:3.12-slim"}
matrix: {v: ["3.11", "3.12"]}
)");
    EXPECT_EQ(a[0].name, "py3.11");
    auto b = read(dir, "b.yaml", R"(name: app
from: {base: "python:3.12-slim"}
matrix:
  flavor:
    small: {}
    big: {name: huge}
)");
    EXPECT_EQ(b[0].name, "app-small");
    EXPECT_EQ(b[1].name, "huge");
}

TEST(Matrix, WholeReferenceTakesTheValuesType) {
    test::TempDir dir;
    auto specs = read(dir, "s.yaml", R"(name: app
from: {base: "python:3.12-slim"}
extendable: ${{ matrix.ext }}
matrix: {ext: [true, false]}
)");
    EXPECT_TRUE(specs[0].extendable);
    EXPECT_FALSE(specs[1].extendable);
    EXPECT_EQ(specs[0].name, "app-true");
}

TEST(Matrix, NamePartsAreValidNameCharacters) {
    EXPECT_EQ(spec::matrix_name_part("3.11"), "3.11");
    EXPECT_EQ(spec::matrix_name_part("CUDA 12.4"), "cuda-12.4");
    EXPECT_EQ(spec::matrix_name_part("a__b"), "a__b");
    EXPECT_EQ(spec::matrix_name_part("a---b"), "a---b");
    EXPECT_EQ(spec::matrix_name_part("a..b"), "a-b");
    EXPECT_EQ(spec::matrix_name_part("--x/y--"), "x-y");
    EXPECT_EQ(spec::matrix_name_part("+++"), "");
}

TEST(Matrix, ShapeErrorsHavePlaces) {
    EXPECT_EQ(problems("name: a\nmatrix: {}\n"),
              (std::vector<std::string>{"2:9: matrix: the matrix has no axes"}));
    EXPECT_EQ(problems("name: a\nmatrix:\n  v: []\n"),
              (std::vector<std::string>{"3:6: matrix.v: the axis has no values"}));
    EXPECT_EQ(problems("name: a\nmatrix:\n  v: [[1]]\nlayers: [{workdir: \"/${{ matrix.v }}\"}]\n"),
              (std::vector<std::string>{
                  "3:7: matrix.v[0]: expected a string, number or boolean, got a list"}));
    EXPECT_EQ(
        problems("name: a\nmatrix:\n  v: [x, x]\nlayers: [{workdir: \"/${{ matrix.v }}\"}]\n"),
        (std::vector<std::string>{"3:10: matrix.v[1]: 'x' is given twice"}));
    EXPECT_EQ(problems("name: a\nmatrix: [x]\n"),
              (std::vector<std::string>{"2:9: matrix: expected a map of axis -> list of values or "
                                        "map of value name -> overlay, got a list"}));
}

TEST(Matrix, ReferenceErrorsHavePlacesAndPaths) {
    auto p = problems(R"(name: a
matrix:
  python_version: ["3.11"]
layers:
  - env_vars: {X: "${{ matrix.python_versoin }}"}
)");
    ASSERT_EQ(p.size(), 2u);
    EXPECT_EQ(p[0], "5:19: layers[0].env_vars.X: 'python_versoin' is not an axis of the matrix");
    EXPECT_EQ(p[1], "3:3: matrix.python_version: the axis is never used: its images would differ "
                    "in their name only");
    EXPECT_EQ(problems("name: a\nmatrix: {v: [x]}\nlayers: [{workdir: \"/${{ matrix.v }\"}]\n"),
              (std::vector<std::string>{"3:20: layers[0].workdir: a malformed matrix reference",
                                        "2:10: matrix.v: the axis is never used: its images "
                                        "would differ in their name only"}));
}

TEST(Matrix, OverlayErrors) {
    EXPECT_EQ(problems("name: a\nmatrix:\n  v:\n    x: {fromm: {base: b}}\n"),
              (std::vector<std::string>{"4:9: matrix.v.x.fromm: unknown key"}));
    EXPECT_EQ(problems("name: a\nmatrix:\n  v:\n    x: {matrix: {}}\n"),
              (std::vector<std::string>{"4:9: matrix.v.x.matrix: unknown key"}));
    EXPECT_EQ(problems("name: a\nmatrix:\n  v:\n    x: 3\n"),
              (std::vector<std::string>{"4:8: matrix.v.x: expected an overlay: a map of top-level "
                                        "spec keys (or {} for none), got an integer"}));
}

TEST(Matrix, TooManyImages) {
    std::string axes;
    for (int a = 0; a < 3; ++a) {
        axes += fmt::format("  a{}: [1, 2, 3, 4, 5, 6, 7]\n", a);
    }
    auto p = problems("name: x\nmatrix:\n" + axes +
                      "layers: [{env_vars: {A: \"${{ matrix.a0 }}${{ matrix.a1 }}${{ matrix.a2 "
                      "}}\"}}]\n");
    EXPECT_EQ(p, (std::vector<std::string>{"3:3: matrix: the matrix gives more than 256 images"}));
}

TEST(Matrix, NeedsAName) {
    EXPECT_EQ(problems("from: {base: b}\nmatrix:\n  v: [x]\nlayers: [{workdir: "
                       "\"/${{ matrix.v }}\"}]\n"),
              (std::vector<std::string>{
                  "3:3: matrix: a spec with a matrix needs a 'name': its images are named after "
                  "it"}));
}

TEST(Matrix, ValueErrorsNameTheirImage) {
    auto p = problems(R"(name: a
from: {base: "python:3.12-slim"}
matrix: {v: ["ok", "Bad Name"]}
layers:
  - workdir: /app
registry: "${{ matrix.v }}.example.com"
)");
    ASSERT_EQ(p.size(), 1u);
    EXPECT_NE(p[0].find("6:11: registry: 'Bad Name.example.com' is not a valid"), std::string::npos)
        << p[0];
    EXPECT_NE(p[0].find("(matrix: v=Bad Name)"), std::string::npos) << p[0];
}

TEST(Matrix, ReadSpecRefusesAMatrix) {
    test::TempDir dir;
    auto f = dir.write("s.yaml", two_axes);
    try {
        (void)spec::read_spec(f);
        FAIL() << "no error";
    } catch (const SpecError& e) {
        ASSERT_EQ(e.diagnostics().size(), 1u);
        EXPECT_EQ(e.diagnostics()[0].path, "matrix");
        EXPECT_EQ(e.diagnostics()[0].mark.line, 5);
    }
}

TEST(Matrix, SelectKeepsPickedImages) {
    test::TempDir dir;
    auto specs = read(dir, "s.yaml", two_axes);
    spec::MatrixFilter f;
    f.picks.push_back(spec::parse_matrix_pick("variant=gpu"));
    auto kept = spec::select_matrix(specs, f);
    ASSERT_EQ(kept.size(), 2u);
    EXPECT_EQ(kept[0].name, "app-3.11-gpu");
    f.picks.push_back(spec::parse_matrix_pick("python_version=3.12"));
    kept = spec::select_matrix(specs, f);
    ASSERT_EQ(kept.size(), 1u);
    EXPECT_EQ(kept[0].name, "app-3.12-gpu");
    f.picks.push_back(spec::parse_matrix_pick("python_version=3.11"));
    EXPECT_EQ(spec::select_matrix(specs, f).size(), 2u); // values of one axis add up

    spec::MatrixFilter bad;
    bad.picks.push_back(spec::parse_matrix_pick("varaint=gpu"));
    EXPECT_THROW((void)spec::select_matrix(specs, bad), Error);
    bad.picks = {spec::parse_matrix_pick("variant=tpu")};
    EXPECT_THROW((void)spec::select_matrix(specs, bad), Error);
    EXPECT_THROW((void)spec::parse_matrix_pick("variant"), Error);
}

TEST(Matrix, EachImageHasItsOwnTag) {
    test::TempDir dir;
    auto images = pipeline::resolve_specs(read(dir, "s.yaml", two_axes), test::test_config());
    ASSERT_EQ(images.size(), 4u);
    std::set<std::string> tags;
    for (const auto& img : images) {
        tags.insert(img.tag);
    }
    EXPECT_EQ(tags.size(), 4u);
    EXPECT_EQ(images[0].uri.rfind("app-3.11-cpu:", 0), 0u) << images[0].uri;
}

TEST(Matrix, TwoImagesWithOneUriAreAnError) {
    test::TempDir dir;
    auto specs = read(dir, "s.yaml", R"(name: app
from: {base: "python:3.12-slim"}
tag: v1
matrix:
  v:
    a: {name: same}
    b: {name: same}
layers: [{workdir: /app}]
)");
    try {
        (void)pipeline::resolve_specs(specs, test::test_config());
        FAIL() << "no error";
    } catch (const SpecError& e) {
        ASSERT_EQ(e.diagnostics().size(), 1u);
        EXPECT_EQ(e.diagnostics()[0].path, "matrix");
        EXPECT_EQ(e.diagnostics()[0].mark.line, 5);
        EXPECT_NE(e.diagnostics()[0].message.find("v=a and v=b are one image, same:v1"),
                  std::string::npos)
            << e.diagnostics()[0].message;
    }
}

TEST(Matrix, AParentWithAMatrixIsAnError) {
    test::TempDir dir;
    dir.write("parent.yaml", "name: base\nextendable: true\nfrom: {base: \"python:3.12-slim\"}\n"
                             "matrix: {v: [a]}\nlayers: [{workdir: \"/${{ matrix.v }}\"}]\n");
    auto child = dir.write("child.yaml", "name: child\nfrom: {spec: parent.yaml}\n"
                                         "layers: [{workdir: /app}]\n");
    try {
        (void)pipeline::resolve_image(child, test::test_config());
        FAIL() << "no error";
    } catch (const SpecError& e) {
        ASSERT_EQ(e.diagnostics().size(), 2u);
        EXPECT_EQ(e.diagnostics()[0].path, "matrix");
        EXPECT_NE(e.diagnostics()[0].hint.find("a parent cannot have a matrix"), std::string::npos);
        EXPECT_EQ(e.diagnostics()[1].path, "from.spec");
    }
}

TEST(Matrix, MergedDiagnosticsOnceWhenEveryImageHasThem) {
    Diagnostic d{.file = "s.yaml", .mark = {1, 1}, .path = "x", .message = "m", .hint = ""};
    Diagnostic e{.file = "s.yaml", .mark = {2, 1}, .path = "y", .message = "n", .hint = ""};
    std::vector<std::vector<spec::MatrixValue>> values = {{{"v", "a"}}, {{"v", "b"}}};
    auto merged = spec::merge_matrix_diagnostics({{d, e}, {d}}, values);
    ASSERT_EQ(merged.size(), 2u);
    EXPECT_EQ(merged[0].message, "m");
    EXPECT_EQ(merged[1].message, "n (matrix: v=a)");
}

} // namespace
