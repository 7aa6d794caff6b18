// The hand-written matchers of spec/names.cpp (image references, env names) against the regular
// expressions they replaced (distribution/reference's grammar), on fixed cases and on random
// strings over the characters that matter.

#include <imgspec/spec/names.hpp>

#include <gtest/gtest.h>

#include <random>
#include <regex>
#include <string>

namespace imgspec::spec {
namespace {

const std::regex
    name_re(R"([a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*)");
const std::regex registry_re(
    R"(([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9a-fA-F:]+\])(:[0-9]{1,5})?(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*)");
const std::regex tag_re(R"([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})");

bool name_ok(const std::string& s) {
    return !s.empty() && s.size() <= 255 && std::regex_match(s, name_re);
}
bool registry_ok(const std::string& s) {
    return !s.empty() && s.size() <= 255 && s.find("://") == std::string::npos &&
           std::regex_match(s, registry_re);
}
bool tag_ok(const std::string& s) {
    return s.size() <= 128 && std::regex_match(s, tag_re);
}
const std::regex env_re(R"([A-Za-z_][A-Za-z0-9_]*)");
bool env_ok(const std::string& s) {
    return std::regex_match(s, env_re);
}

std::string random_string(std::mt19937& rng, const std::string& alphabet, std::size_t max_len) {
    std::uniform_int_distribution<std::size_t> len(0, max_len);
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
    std::string s(len(rng), ' ');
    for (char& c : s) {
        c = alphabet[pick(rng)];
    }
    return s;
}

TEST(Names, FixedCases) {
    for (const char* s : {"a", "a/b", "a.b", "a_b", "a__b", "a---b", "ml/train-v2", "a___b", "a/",
                          "/a", "A", "a..b", "a-", "-a", "a_-b", "a//b", ""}) {
        EXPECT_EQ(check_image_name(s).empty(), name_ok(s)) << s;
    }
    for (const char* s : {"localhost", "127.0.0.1:5000", "registry.example.com/ml", "[::1]:5000",
                          "[::1", "[]", "a-.b", "a.-b", "-a", "a-", "host:123456", "host:", "a..b",
                          "a/", "host/ml/x", "https://x", "A.B-c.D", "h_x", ""}) {
        EXPECT_EQ(check_registry(s).empty(), registry_ok(s)) << s;
    }
    for (const char* s : {"latest", "v1.0", "_x", ".x", "-x", "a-b.c_d", ""}) {
        EXPECT_EQ(check_tag(s).empty(), tag_ok(s)) << s;
    }
    EXPECT_EQ(check_tag(std::string(128, 'a')), "");
    EXPECT_NE(check_tag(std::string(129, 'a')), "");
    EXPECT_EQ(check_image_ref("busybox@sha256:" + std::string(64, 'a')), "");
    EXPECT_NE(check_image_ref("busybox@sha256:" + std::string(63, 'a')), "");
    EXPECT_NE(check_image_ref("busybox@sha256:" + std::string(64, 'A')), "");
    EXPECT_NE(check_image_ref("busybox@sha512:" + std::string(64, 'a')), "");
}

TEST(Names, RandomAgainstTheRegexes) {
    std::mt19937 rng(20261127);
    const std::string name_chars = "ab0._-/A";
    const std::string registry_chars = "aZ09.-:/_[]f";
    const std::string tag_chars = "aZ9_.-/";
    for (int i = 0; i < 20000; ++i) {
        std::string n = random_string(rng, name_chars, 12);
        ASSERT_EQ(check_image_name(n).empty(), name_ok(n)) << n;
        std::string r = random_string(rng, registry_chars, 14);
        ASSERT_EQ(check_registry(r).empty(), registry_ok(r)) << r;
        std::string t = random_string(rng, tag_chars, 8);
        ASSERT_EQ(check_tag(t).empty(), tag_ok(t)) << t;
        std::string e = random_string(rng, "aZ9_-", 5);
        ASSERT_EQ(check_env_name(e).empty(), env_ok(e)) << e;
    }
}

TEST(Names, SplitImageRef) {
    auto parts = [](std::string_view ref) {
        ImageRefParts p = split_image_ref(ref);
        return p.repository + "|" + p.tag;
    };
    EXPECT_EQ(parts("127.0.0.1:5000/app:abc"), "127.0.0.1:5000/app|abc");
    EXPECT_EQ(parts("127.0.0.1:5000/app"), "127.0.0.1:5000/app|"); // a port is not a tag
    EXPECT_EQ(parts("python:3.12-slim@sha256:0123"), "python|3.12-slim");
    EXPECT_EQ(parts("reg.example.com/team/app@sha256:0123"), "reg.example.com/team/app|");
    EXPECT_EQ(parts("busybox"), "busybox|");
}

} // namespace
} // namespace imgspec::spec
