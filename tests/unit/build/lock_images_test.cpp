// `imgspec lock` and `outdated` over a fake registry: YAML and TOML twins give one lock, a lock
// pins the Dockerfile and changes the tag, a stale lock is an error, a registry that fails leaves
// the old lock, and an update moves only what it names.

#include "unit/test_util.hpp"

#include <imgspec/build/lock_images.hpp>
#include <imgspec/core/error.hpp>
#include <imgspec/util/sha256.hpp>

#include <gtest/gtest.h>

#include <map>
#include <string>

using namespace imgspec;

namespace {

// A registry: reference -> the raw index it serves; every call is recorded.
class FakeRegistry : public util::ProcessRunner {
  public:
    std::map<std::string, std::string> raw;
    bool down = false;
    std::vector<std::string> asked;

    util::ProcessResult run(const util::ProcessSpec& spec) override {
        const std::string& ref = spec.argv.back();
        asked.push_back(ref);
        util::ProcessResult r;
        if (down) {
            r.exit_code = 1;
            r.err = "ERROR: dial tcp 127.0.0.1:5000: connect: connection refused\n";
            return r;
        }
        auto at = ref.find('@');
        std::string key = ref;
        if (at != std::string::npos) { // by digest: whichever index has it
            for (const auto& [k, v] : raw) {
                if ("sha256:" + util::to_hex(util::sha256(v)) == ref.substr(at + 1)) {
                    key = k;
                }
            }
        }
        auto it = raw.find(key);
        if (it == raw.end()) {
            r.exit_code = 1;
            r.err = "ERROR: " + ref + ": not found\n";
            return r;
        }
        r.out = it->second;
        return r;
    }
};

std::string index_of(char a, char b) {
    return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)"
           R"({"digest":"sha256:)" +
           std::string(64, a) +
           R"(","platform":{"os":"linux","architecture":"amd64"}},{"digest":"sha256:)" +
           std::string(64, b) +
           R"(","platform":{"os":"linux","architecture":"arm64","variant":"v8"}}]})";
}

pipeline::Image image_of(const std::filesystem::path& spec, bool with_lock = true) {
    plan::PlanOptions options;
    options.use_cache = false;
    options.read_lock = with_lock;
    Config c = test::test_config();
    c.uv_image.value = "127.0.0.1:5000/uv:1";
    return pipeline::resolve_image(spec, c, options);
}

std::string text_of(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

const char* yaml_spec = "name: app\nplatform: [linux/amd64, linux/arm64]\n"
                        "from: {base: '127.0.0.1:5000/base:1'}\n"
                        "layers:\n  - pip_packages: [requests]\n";
const char* toml_spec = "name = \"app\"\nplatform = [\"linux/arm64\", \"linux/amd64\"]\n"
                        "[from]\nbase = \"127.0.0.1:5000/base:1\"\n"
                        "[[layers]]\npip_packages = [\"requests\"]\n";

} // namespace

TEST(LockImages, YamlAndTomlTwinsGiveOneLock) {
    test::TempDir d;
    auto y = d.write("image.yaml", yaml_spec);
    auto t = d.write("image.toml", toml_spec);
    FakeRegistry reg;
    reg.raw["127.0.0.1:5000/base:1"] = index_of('a', 'b');
    reg.raw["127.0.0.1:5000/uv:1"] = index_of('c', 'd');
    auto out = build::lock_image(image_of(y, false), std::nullopt, lock::lock_path(y), {}, reg);
    build::lock_image(image_of(t, false), std::nullopt, lock::lock_path(t), {}, reg);
    EXPECT_TRUE(out.written);
    EXPECT_EQ(out.resolved,
              (std::vector<std::string>{"127.0.0.1:5000/base:1", "127.0.0.1:5000/uv:1"}));
    std::string text = text_of(lock::lock_path(y));
    EXPECT_EQ(text, text_of(lock::lock_path(t)));
    EXPECT_NE(text.find("platforms.\"linux/arm64\" = \"sha256:" + std::string(64, 'b')),
              std::string::npos);
}

TEST(LockImages, ALockPinsTheDockerfileAndMovesTheTagOnlyWhenUpdated) {
    test::TempDir d;
    auto y = d.write("image.yaml", yaml_spec);
    pipeline::Image unlocked = image_of(y);
    FakeRegistry reg;
    reg.raw["127.0.0.1:5000/base:1"] = index_of('a', 'b');
    reg.raw["127.0.0.1:5000/uv:1"] = index_of('c', 'd');
    build::lock_image(image_of(y, false), std::nullopt, lock::lock_path(y), {}, reg);
    pipeline::Image locked = image_of(y);
    std::string base_digest = "sha256:" + util::to_hex(util::sha256(index_of('a', 'b')));
    EXPECT_NE(locked.dockerfile.find("FROM 127.0.0.1:5000/base:1@" + base_digest + "\n"),
              std::string::npos);
    EXPECT_NE(locked.dockerfile.find("FROM 127.0.0.1:5000/uv:1@sha256:"), std::string::npos);
    EXPECT_NE(locked.tag, unlocked.tag);
    EXPECT_EQ(locked.plan.base_user_image, "127.0.0.1:5000/base:1@" + base_digest);

    // Upstream moves: the lock (and the tag) stay until updated; outdated says so.
    reg.raw["127.0.0.1:5000/base:1"] = index_of('e', 'b');
    EXPECT_EQ(image_of(y).tag, locked.tag);
    auto drift = build::outdated(image_of(y), reg);
    ASSERT_EQ(drift.size(), 2u);
    EXPECT_TRUE(drift[0].moved());
    EXPECT_EQ(drift[0].platforms.size(), 1u); // amd64 only
    EXPECT_FALSE(drift[1].moved());

    // A plain `lock` keeps the digests; asks nothing.
    reg.asked.clear();
    auto same =
        build::lock_image(image_of(y, false), lock::read_lock(y), lock::lock_path(y), {}, reg);
    EXPECT_FALSE(same.written);
    EXPECT_TRUE(reg.asked.empty());
    // --update=uv resolves uv only: the base stays.
    build::LockRequest only_uv;
    only_uv.update = {"127.0.0.1:5000/uv:1"};
    auto uv =
        build::lock_image(image_of(y, false), lock::read_lock(y), lock::lock_path(y), only_uv, reg);
    EXPECT_FALSE(uv.written);
    EXPECT_EQ(reg.asked, (std::vector<std::string>{"127.0.0.1:5000/uv:1"}));
    // --update: the base moves, and so does the tag.
    build::LockRequest all;
    all.update_all = true;
    auto moved =
        build::lock_image(image_of(y, false), lock::read_lock(y), lock::lock_path(y), all, reg);
    EXPECT_TRUE(moved.written);
    EXPECT_EQ(moved.moved, (std::vector<std::string>{"127.0.0.1:5000/base:1"}));
    EXPECT_NE(image_of(y).tag, locked.tag);
}

TEST(LockImages, AStaleLockIsAnErrorWithTheHint) {
    test::TempDir d;
    auto y = d.write("image.yaml", yaml_spec);
    FakeRegistry reg;
    reg.raw["127.0.0.1:5000/base:1"] = index_of('a', 'b');
    reg.raw["127.0.0.1:5000/uv:1"] = index_of('c', 'd');
    build::lock_image(image_of(y, false), std::nullopt, lock::lock_path(y), {}, reg);
    d.write("image.yaml", "name: app\nplatform: [linux/amd64, linux/arm64]\n"
                          "from: {base: '127.0.0.1:5000/base:2'}\n");
    try {
        image_of(y);
        FAIL() << "a stale lock was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::invalid_spec);
        std::string m = e.what();
        EXPECT_NE(m.find("127.0.0.1:5000/base:2 is not locked"), std::string::npos) << m;
        EXPECT_NE(m.find("127.0.0.1:5000/uv:1 is locked but no Dockerfile"), std::string::npos);
        EXPECT_EQ(e.hint(), "imgspec lock " + y.string());
    }
}

TEST(LockImages, ARegistryThatFailsLeavesTheOldLock) {
    test::TempDir d;
    auto y = d.write("image.yaml", yaml_spec);
    FakeRegistry reg;
    reg.raw["127.0.0.1:5000/base:1"] = index_of('a', 'b');
    reg.raw["127.0.0.1:5000/uv:1"] = index_of('c', 'd');
    build::lock_image(image_of(y, false), std::nullopt, lock::lock_path(y), {}, reg);
    std::string before = text_of(lock::lock_path(y));
    reg.down = true;
    build::LockRequest all;
    all.update_all = true;
    try {
        build::lock_image(image_of(y, false), lock::read_lock(y), lock::lock_path(y), all, reg);
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::unavailable);
    }
    EXPECT_EQ(text_of(lock::lock_path(y)), before);
    // A platform the image does not have is the spec's problem.
    reg.down = false;
    reg.raw["127.0.0.1:5000/base:1"] = R"({"manifests":[{"digest":"sha256:)" +
                                       std::string(64, 'a') +
                                       R"(","platform":{"os":"linux","architecture":"amd64"}}]})";
    try {
        build::lock_image(image_of(y, false), lock::read_lock(y), lock::lock_path(y), all, reg);
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::invalid_spec);
        EXPECT_NE(std::string(e.what()).find("has no image for linux/arm64"), std::string::npos);
    }
    EXPECT_EQ(text_of(lock::lock_path(y)), before);
}
