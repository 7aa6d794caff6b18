// explain: the record of what a tag covered (JSON round trip, kept in the cache) and the
// difference between two records (Dockerfile lines, layers, files, platforms).

#include "unit/test_util.hpp"

#include <imgspec/core/error.hpp>
#include <imgspec/pipeline/explain.hpp>

#include <gtest/gtest.h>

using namespace imgspec;
using pipeline::TagRecord;

namespace {

TagRecord record(std::string tag, std::string dockerfile, std::vector<TagRecord::File> files) {
    TagRecord r;
    r.spec = "/p/spec.yaml";
    r.tag = std::move(tag);
    r.uri = "registry.example.com/x:" + r.tag;
    r.computed = "2026-12-06T19:00:00Z";
    r.platforms = {"linux/amd64"};
    r.dockerfile = std::move(dockerfile);
    r.layers = {{0, "layers[0] pip_packages"}, {1, "layers[1] source_folder"}};
    r.files = std::move(files);
    return r;
}

TagRecord::File file(std::string path, std::string digest, std::string source = {}) {
    return TagRecord::File{std::move(path), std::move(source), 'f', 0644, std::move(digest)};
}

} // namespace

TEST(Explain, RecordRoundTripsThroughJson) {
    auto r = record("0123456789abcdef0123456789abcdef", "FROM x\nRUN true\n",
                    {file("layers/1/a.py", "aa", "src/a.py"),
                     TagRecord::File{"layers/1/l", "src/l", 'l', 0777, "a.py"}});
    auto back = pipeline::parse_record(pipeline::record_json(r));
    EXPECT_EQ(back.tag, r.tag);
    EXPECT_EQ(back.dockerfile, r.dockerfile);
    EXPECT_EQ(back.layers, r.layers);
    EXPECT_EQ(back.files, r.files);
    EXPECT_EQ(back.platforms, r.platforms);
}

TEST(Explain, DamagedRecordIsAnError) {
    for (const char* text : {"", "{", "[]", "{\"version\": 2}", "{\"version\": 1, \"tag\": 3}",
                             "{\"version\":1,\"spec\":\"\",\"tag\":\"\",\"uri\":\"\",\"computed\":"
                             "\"\",\"platforms\":[],\"dockerfile\":\"\",\"layers\":{\"x\":\"\"},"
                             "\"files\":[]}"}) {
        EXPECT_THROW(pipeline::parse_record(text), Error) << text;
    }
}

TEST(Explain, OneChangedFileNamesItsLayerAndNothingElse) {
    std::string df = "FROM x\nRUN pip install numpy\nCOPY layers/1 /app\n";
    auto before = record(
        "a", df, {file("layers/1/a.py", "1", "src/a.py"), file("layers/1/b.py", "1", "src/b.py")});
    auto after = record(
        "b", df, {file("layers/1/a.py", "2", "src/a.py"), file("layers/1/b.py", "1", "src/b.py")});
    auto e = pipeline::explain(before, after);
    EXPECT_FALSE(e.same());
    EXPECT_TRUE(e.dockerfile.empty());
    ASSERT_EQ(e.files.size(), 1u);
    EXPECT_EQ(e.files[0].change, '~');
    EXPECT_EQ(e.files[0].path, "src/a.py");
    ASSERT_EQ(e.layers.size(), 1u);
    EXPECT_EQ(e.layers[0].name, "layers[1] source_folder");
    EXPECT_EQ(e.layers[0].changed, 1);
    auto text = pipeline::explanation_text(e, "spec.yaml");
    EXPECT_NE(text.find("layers[1] source_folder: 1 changed\n  ~ src/a.py\n"), std::string::npos)
        << text;
}

TEST(Explain, AddedRemovedModeAndGeneratedFiles) {
    auto before = record("a", "FROM x\n",
                         {file(".imgspec/dockerignore", "1"), file("layers/1/gone.py", "1"),
                          file("layers/1/mode.sh", "1")});
    auto mode = file("layers/1/mode.sh", "1");
    mode.mode = 0755;
    auto after = record("b", "FROM x\n",
                        {file(".imgspec/dockerignore", "2"), mode, file("layers/1/new.py", "1")});
    auto e = pipeline::explain(before, after);
    ASSERT_EQ(e.files.size(), 4u);
    EXPECT_EQ(e.files[0].change, '~');
    EXPECT_EQ(e.files[0].layer, "generated files");
    EXPECT_EQ(e.files[1].change, '-');
    EXPECT_EQ(e.files[1].path, "layers/1/gone.py");
    EXPECT_EQ(e.files[2].change, '~'); // the mode
    EXPECT_EQ(e.files[3].change, '+');
}

TEST(Explain, DockerfileDiffKeepsOrderAndOnlyChangedLines) {
    auto before = record("a", "FROM x\nRUN a\nRUN b\nCOPY . /\n", {});
    auto after = record("b", "FROM x\nRUN a\nRUN c\nCOPY . /\nUSER 1\n", {});
    auto e = pipeline::explain(before, after);
    std::vector<std::string> want = {"- RUN b", "+ RUN c", "+ USER 1"};
    EXPECT_EQ(e.dockerfile, want);
}

TEST(Explain, SameTagSaysNothingChanged) {
    auto r = record("a", "FROM x\n", {});
    auto e = pipeline::explain(r, r);
    EXPECT_TRUE(e.same());
    EXPECT_NE(pipeline::explanation_text(e, "s.yaml").find("nothing changed"), std::string::npos);
}

TEST(Explain, PlatformsAndJson) {
    auto before = record("a", "FROM x\n", {});
    auto after = record("b", "FROM x\n", {});
    after.platforms = {"linux/amd64", "linux/arm64"};
    auto e = pipeline::explain(before, after);
    auto text = pipeline::explanation_text(e, "s.yaml");
    EXPECT_NE(text.find("platforms: linux/amd64 -> linux/amd64, linux/arm64"), std::string::npos)
        << text;
    auto json = pipeline::explanation_json(e, "s.yaml");
    EXPECT_NE(json.find("\"previous_tag\": \"a\""), std::string::npos) << json;
}
