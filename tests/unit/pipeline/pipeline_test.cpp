// The pipeline renders a `from: spec` chain once, root first, and hands the rendered parents on
// (build and the graph of images use them instead of rendering again).

#include "unit/test_util.hpp"

#include <imgspec/pipeline/pipeline.hpp>

#include <gtest/gtest.h>

#include <string>

using namespace imgspec;

namespace {

pipeline::Image image_of(const std::filesystem::path& spec) {
    plan::PlanOptions options;
    options.use_cache = false;
    return pipeline::resolve_image(spec, test::test_config(), options);
}

// The diagnostics resolving `spec` gives, "file: message" a line; fails the test if it resolves.
std::string errors_of(const std::filesystem::path& spec) {
    try {
        image_of(spec);
    } catch (const SpecError& e) {
        std::string all;
        for (const auto& diag : e.diagnostics()) {
            all += diag.file + ": " + diag.message + "\n";
        }
        return all;
    }
    ADD_FAILURE() << spec << " was accepted";
    return {};
}

} // namespace

TEST(Pipeline, ChainIsRenderedRootFirstAndShared) {
    test::TempDir d;
    d.write("root.yaml", "name: r\nextendable: true\nfrom: {base: busybox}\n"
                         "layers:\n  - env_vars: {A: '1'}\n");
    d.write("mid.yaml", "name: m\nextendable: true\nfrom: {spec: root.yaml}\n"
                        "layers:\n  - env_vars: {B: '2'}\n");
    auto top =
        d.write("top.yaml", "name: t\nfrom: {spec: mid.yaml}\nlayers:\n  - env_vars: {C: '3'}\n");
    auto img = image_of(top);
    auto chain = pipeline::chain_of(img);
    ASSERT_EQ(chain.size(), 3u);
    EXPECT_EQ(chain[0], &img);
    EXPECT_EQ(chain[1]->plan.name, "m");
    EXPECT_EQ(chain[2]->plan.name, "r");
    EXPECT_EQ(chain[2]->parent, nullptr);
    // Each image's FROM is its rendered parent's URI, and each parent is what rendering that
    // spec alone gives.
    EXPECT_EQ(img.plan.base_image, chain[1]->uri);
    EXPECT_EQ(chain[1]->plan.base_image, chain[2]->uri);
    EXPECT_EQ(chain[1]->uri, image_of(d / "mid.yaml").uri);
    EXPECT_EQ(chain[2]->uri, image_of(d / "root.yaml").uri);
    EXPECT_NE(img.dockerfile.find("FROM " + chain[1]->uri), std::string::npos) << img.dockerfile;
}

TEST(Pipeline, ReleasedPlanRendersTheSameImage) {
    test::TempDir d;
    d.write("root.yaml", "name: r\nextendable: true\nfrom: {base: busybox}\n"
                         "layers:\n  - env_vars: {A: '1'}\n");
    auto top =
        d.write("top.yaml", "name: t\nfrom: {spec: root.yaml}\nlayers:\n  - env_vars: {C: '3'}\n");
    auto img = image_of(top);
    std::string uri = img.uri;
    std::string parent_uri = img.parent->uri;
    auto again =
        pipeline::resolve_plan(pipeline::release_plan(std::move(img)), test::test_config());
    EXPECT_EQ(again.uri, uri);
    ASSERT_NE(again.parent, nullptr);
    EXPECT_EQ(again.parent->uri, parent_uri);
}

// Planning walks the chain without recursion: a chain just under the cap plans, each level holding
// its parent's plan; the cap and a cycle are the errors they were.
TEST(Pipeline, DeepChainIsPlannedRootFirst) {
    test::TempDir d;
    d.write("s0.yaml", "name: s0\nextendable: true\nfrom: {base: busybox}\n");
    // s<i>.yaml extends s<i-1>.yaml, for i in [from, to).
    auto extend = [&d](int from, int to) {
        for (int i = from; i < to; ++i) {
            std::string n = std::to_string(i);
            std::string parent = std::to_string(i - 1);
            d.write("s" + n + ".yaml",
                    "name: s" + n + "\nextendable: true\nfrom: {spec: s" + parent + ".yaml}\n");
        }
    };
    const int depth = 60;
    extend(1, depth);
    auto img = image_of(d / ("s" + std::to_string(depth - 1) + ".yaml"));
    auto chain = pipeline::chain_of(img);
    ASSERT_EQ(chain.size(), static_cast<std::size_t>(depth));
    const plan::Plan* p = &img.plan;
    int levels = 1;
    while (p->parent) {
        p = p->parent.get();
        ++levels;
    }
    EXPECT_EQ(levels, depth);
    EXPECT_EQ(p->name, "s0");

    extend(depth, 70);
    try {
        image_of(d / "s69.yaml");
        FAIL() << "a chain of 70 specs was accepted";
    } catch (const SpecError&) {
        FAIL() << "the depth cap is one error, not a diagnostic per level";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("more than 64 deep"), std::string::npos) << e.what();
    }
}

TEST(Pipeline, BrokenParentIsReportedByEveryChild) {
    test::TempDir d;
    d.write("root.yaml", "name: r\nextendable: true\nfrom: {base: busybox}\nlayers:\n"
                         "  - pip_pakages: [x]\n");
    d.write("mid.yaml", "name: m\nextendable: true\nfrom: {spec: root.yaml}\n");
    auto top = d.write("top.yaml", "name: t\nfrom: {spec: mid.yaml}\n");
    std::string all = errors_of(top);
    // The root's own error first, then each child's line, innermost first.
    auto root = all.find("pip_pakages");
    auto mid = all.find("the parent spec 'root.yaml' is invalid");
    auto topl = all.find("the parent spec 'mid.yaml' is invalid");
    ASSERT_NE(root, std::string::npos) << all;
    ASSERT_NE(mid, std::string::npos) << all;
    ASSERT_NE(topl, std::string::npos) << all;
    EXPECT_LT(root, mid) << all;
    EXPECT_LT(mid, topl) << all;
}

TEST(Pipeline, CycleIsAnError) {
    test::TempDir d;
    d.write("a.yaml", "name: a\nextendable: true\nfrom: {spec: b.yaml}\n");
    auto b = d.write("b.yaml", "name: b\nextendable: true\nfrom: {spec: a.yaml}\n");
    std::string all = errors_of(b);
    EXPECT_NE(all.find("specs extend each other in a cycle: b.yaml -> a.yaml -> b.yaml"),
              std::string::npos)
        << all;
}
