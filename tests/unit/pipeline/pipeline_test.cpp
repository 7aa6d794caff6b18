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
