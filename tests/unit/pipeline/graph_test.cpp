// The graph of many images: each image once (keyed by URI), parents before children, conflicting
// URIs and cycles as spec errors; and the spec files that folders and patterns name.

#include "unit/test_util.hpp"

#include <imgspec/core/error.hpp>
#include <imgspec/pipeline/graph.hpp>
#include <imgspec/pipeline/spec_files.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

using namespace imgspec;

namespace {

pipeline::GraphInput input(const std::filesystem::path& spec) {
    plan::PlanOptions options;
    options.use_cache = false;
    return {spec.string(), pipeline::resolve_image(spec, test::test_config(), options)};
}

pipeline::Graph graph_of(const std::vector<std::filesystem::path>& specs) {
    std::vector<pipeline::GraphInput> inputs;
    for (const auto& s : specs) {
        inputs.push_back(input(s));
    }
    return pipeline::make_graph(std::move(inputs));
}

std::size_t index_of(const pipeline::Graph& g, const std::string& name) {
    for (std::size_t i = 0; i < g.nodes.size(); ++i) {
        if (g.nodes[i].image->plan.name == name) {
            return i;
        }
    }
    return g.nodes.size();
}

// A family: base (extendable), two children of it, one grandchild of the first.
void write_family(const test::TempDir& d) {
    d.write("base.yaml", "name: base\nregistry: r.example\nextendable: true\n"
                         "from: {base: busybox}\nlayers:\n  - env_vars: {A: '1'}\n");
    d.write("a.yaml", "name: a\nregistry: r.example\nextendable: true\nfrom: {spec: base.yaml}\n"
                      "layers:\n  - env_vars: {B: '2'}\n");
    d.write("b.yaml", "name: b\nregistry: r.example\nfrom: {spec: base.yaml}\n"
                      "layers:\n  - env_vars: {C: '3'}\n");
    d.write("c.yaml", "name: c\nregistry: r.example\nfrom: {spec: a.yaml}\n"
                      "layers:\n  - env_vars: {D: '4'}\n");
}

std::string what_of(const SpecError& e) {
    std::string all;
    for (const auto& d : e.diagnostics()) {
        all += d.format() + "\n";
    }
    return all;
}

} // namespace

TEST(Graph, SharedParentAppearsOnceBeforeItsChildren) {
    test::TempDir d;
    write_family(d);
    auto g = graph_of({d / "b.yaml", d / "c.yaml"});
    ASSERT_EQ(g.nodes.size(), 4u); // base, a, b, c: base once
    std::size_t base = index_of(g, "base"), a = index_of(g, "a"), b = index_of(g, "b"),
                c = index_of(g, "c");
    ASSERT_LT(c, g.nodes.size());
    EXPECT_LT(base, a);
    EXPECT_LT(base, b);
    EXPECT_LT(a, c);
    EXPECT_EQ(g.nodes[b].deps, std::vector<std::size_t>{base});
    EXPECT_EQ(g.nodes[c].deps, std::vector<std::size_t>{a});
    EXPECT_TRUE(g.nodes[base].deps.empty());
    EXPECT_FALSE(g.nodes[base].requested);
    EXPECT_FALSE(g.nodes[a].requested);
    EXPECT_TRUE(g.nodes[b].requested);
    EXPECT_EQ(g.inputs, (std::vector<std::size_t>{b, c}));
    // The parent node is the rendered parent the child holds: nothing is rendered twice.
    EXPECT_EQ(g.nodes[b].image->parent->uri, g.nodes[base].uri);
    EXPECT_EQ(pipeline::dependents_of(g, base).size(), 3u);
    EXPECT_EQ(pipeline::dependents_of(g, b).size(), 0u);
}

TEST(Graph, OneSpecAloneIsItsChainRootFirst) {
    test::TempDir d;
    write_family(d);
    auto g = graph_of({d / "c.yaml"});
    ASSERT_EQ(g.nodes.size(), 3u);
    EXPECT_EQ(g.nodes[0].image->plan.name, "base");
    EXPECT_EQ(g.nodes[1].image->plan.name, "a");
    EXPECT_EQ(g.nodes[2].image->plan.name, "c");
}

TEST(Graph, ParentNamedToo) {
    test::TempDir d;
    write_family(d);
    auto g = graph_of({d / "a.yaml", d / "base.yaml", d / "b.yaml"});
    ASSERT_EQ(g.nodes.size(), 3u);
    std::size_t base = index_of(g, "base");
    EXPECT_EQ(base, 0u);
    EXPECT_TRUE(g.nodes[base].requested);
    EXPECT_EQ(g.inputs[1], base);
}

TEST(Graph, SameImageFromTwoFilesIsOneNode) {
    test::TempDir d;
    d.write("x.yaml", "name: x\nfrom: {base: busybox}\nlayers:\n  - env_vars: {A: '1'}\n");
    d.write("x.toml", "name = \"x\"\n[from]\nbase = \"busybox\"\n[[layers]]\n"
                      "env_vars = {A = \"1\"}\n");
    auto g = graph_of({d / "x.yaml", d / "x.toml"});
    ASSERT_EQ(g.nodes.size(), 1u);
    EXPECT_EQ(g.nodes[0].specs.size(), 2u);
    EXPECT_EQ(g.inputs, (std::vector<std::size_t>{0, 0}));
}

TEST(Graph, OneUriWithTwoContentsIsAnError) {
    test::TempDir d;
    d.write("x1.yaml", "name: x\ntag: v1\nfrom: {base: busybox}\nlayers:\n"
                       "  - env_vars: {A: '1'}\n");
    d.write("x2.yaml", "name: x\ntag: v1\nfrom: {base: busybox}\nlayers:\n"
                       "  - env_vars: {A: '2'}\n");
    try {
        graph_of({d / "x1.yaml", d / "x2.yaml"});
        FAIL() << "no error";
    } catch (const SpecError& e) {
        EXPECT_EQ(e.kind(), ErrorKind::invalid_spec);
        std::string w = what_of(e);
        EXPECT_NE(w.find("x2.yaml"), std::string::npos) << w;
        EXPECT_NE(w.find("x1.yaml"), std::string::npos) << w;
        EXPECT_NE(w.find("x:v1"), std::string::npos) << w;
        EXPECT_NE(w.find("different contents"), std::string::npos) << w;
    }
}

TEST(Graph, BaseBuiltInTheGraphIsADependency) {
    test::TempDir d;
    // A fixed tag that another spec names as its base (not from: spec) is built first.
    d.write("user.yaml", "name: user\nfrom: {base: 'r.example/tool:v1'}\nlayers:\n"
                         "  - env_vars: {U: '1'}\n");
    d.write("tool.yaml", "name: tool\nregistry: r.example\ntag: v1\nfrom: {base: busybox}\n"
                         "layers:\n  - env_vars: {T: '1'}\n");
    auto g = graph_of({d / "user.yaml", d / "tool.yaml"});
    ASSERT_EQ(g.nodes.size(), 2u);
    EXPECT_EQ(g.nodes[0].uri, "r.example/tool:v1");
    EXPECT_EQ(g.nodes[1].deps, std::vector<std::size_t>{0});
    EXPECT_EQ(g.inputs, (std::vector<std::size_t>{1, 0}));
}

TEST(Graph, PassthroughMergesIntoTheImageThatBuildsItsUri) {
    test::TempDir d;
    d.write("tool.yaml", "name: tool\nregistry: r.example\ntag: v1\nfrom: {base: busybox}\n"
                         "layers:\n  - env_vars: {T: '1'}\n");
    d.write("alias.yaml", "from: {base: 'r.example/tool:v1'}\n");
    auto g = graph_of({d / "alias.yaml", d / "tool.yaml"});
    ASSERT_EQ(g.nodes.size(), 1u);
    EXPECT_FALSE(g.nodes[0].image->passthrough);
    EXPECT_EQ(g.nodes[0].specs.size(), 2u);
}

TEST(Graph, CycleOfImagesIsAnError) {
    test::TempDir d;
    d.write("p.yaml", "name: p\nregistry: r.example\ntag: v1\nfrom: {base: 'r.example/q:v1'}\n"
                      "layers:\n  - env_vars: {P: '1'}\n");
    d.write("q.yaml", "name: q\nregistry: r.example\ntag: v1\nfrom: {base: 'r.example/p:v1'}\n"
                      "layers:\n  - env_vars: {Q: '1'}\n");
    d.write("ok.yaml", "name: ok\nfrom: {base: busybox}\nlayers:\n  - env_vars: {O: '1'}\n");
    try {
        graph_of({d / "ok.yaml", d / "p.yaml", d / "q.yaml"});
        FAIL() << "no error";
    } catch (const SpecError& e) {
        std::string w = what_of(e);
        EXPECT_NE(w.find("a cycle of images"), std::string::npos) << w;
        EXPECT_NE(w.find("r.example/p:v1"), std::string::npos) << w;
        EXPECT_NE(w.find("r.example/q:v1"), std::string::npos) << w;
        EXPECT_EQ(w.find("ok"), std::string::npos) << w;
    }
}

TEST(Graph, LabelsAreUnique) {
    test::TempDir d;
    d.write("x1.yaml", "name: x\nfrom: {base: busybox}\nlayers:\n  - env_vars: {A: '1'}\n");
    d.write("x2.yaml", "name: x\nfrom: {base: busybox}\nlayers:\n  - env_vars: {A: '2'}\n");
    d.write("y.yaml", "name: y\nfrom: {base: busybox}\nlayers:\n  - env_vars: {A: '2'}\n");
    auto g = graph_of({d / "x1.yaml", d / "x2.yaml", d / "y.yaml"});
    ASSERT_EQ(g.nodes.size(), 3u);
    EXPECT_NE(g.nodes[0].label, g.nodes[1].label);
    EXPECT_EQ(g.nodes[0].label.rfind("x:", 0), 0u) << g.nodes[0].label;
    EXPECT_EQ(g.nodes[2].label, "y");
}

TEST(SpecFiles, FolderGivesItsSpecFilesSorted) {
    test::TempDir d;
    d.write("envs/b.yaml");
    d.write("envs/a.toml");
    d.write("envs/c.yml");
    d.write("envs/pyproject.toml");
    d.write("envs/.hidden.yaml");
    d.write("envs/notes.txt");
    d.write("envs/sub/d.yaml");
    std::string dir = (d / "envs").string();
    auto files = pipeline::expand_spec_args({dir});
    EXPECT_EQ(files, (std::vector<std::string>{dir + "/a.toml", dir + "/b.yaml", dir + "/c.yml"}));
    EXPECT_TRUE(pipeline::names_many(dir));
    EXPECT_FALSE(pipeline::names_many(dir + "/b.yaml"));
}

TEST(SpecFiles, ImgspecFileWinsInAProjectFolder) {
    test::TempDir d;
    d.write("proj/imgspec.yaml");
    d.write("proj/mkdocs.yml");
    d.write("proj/pyproject.toml");
    std::string dir = (d / "proj").string();
    EXPECT_EQ(pipeline::expand_spec_args({dir}), std::vector<std::string>{dir + "/imgspec.yaml"});
}

TEST(SpecFiles, PatternsAndDuplicates) {
    test::TempDir d;
    d.write("s/a.yaml");
    d.write("s/b.yaml");
    d.write("s/c.toml");
    std::string dir = (d / "s").string();
    auto files = pipeline::expand_spec_args({dir + "/*.yaml", dir + "/a.yaml", dir, "-"});
    EXPECT_EQ(files,
              (std::vector<std::string>{dir + "/a.yaml", dir + "/b.yaml", dir + "/c.toml", "-"}));
    try {
        pipeline::expand_spec_args({dir + "/*.json"});
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::usage);
    }
    d.write("empty/readme.txt");
    EXPECT_THROW(pipeline::expand_spec_args({(d / "empty").string()}), Error);
    // A missing file is left for the reader to report.
    EXPECT_EQ(pipeline::expand_spec_args({dir + "/nope.yaml"}),
              std::vector<std::string>{dir + "/nope.yaml"});
}
