// The lock file's format: canonical text, a strict reader with file:line diagnostics, the
// version check, and the rules that say whether a lock matches a spec and whether an image moved.

#include "unit/test_util.hpp"

#include <imgspec/core/error.hpp>
#include <imgspec/lock/lock_file.hpp>

#include <gtest/gtest.h>

#include <string>

using namespace imgspec;

namespace {

std::string digest(char c) {
    return "sha256:" + std::string(64, c);
}

lock::Lock sample() {
    lock::Lock l;
    l.images.push_back({"python:3.12-slim",
                        digest('a'),
                        {{"linux/arm64", digest('c')}, {"linux/amd64", digest('b')}},
                        0});
    l.images.push_back({"docker/dockerfile:1.10", digest('d'), {}, 0});
    return l;
}

// The first diagnostic of parse_lock(text), "" when it parses.
Diagnostic first_error(const std::string& text) {
    try {
        lock::parse_lock(text, "spec.yaml.lock");
    } catch (const SpecError& e) {
        EXPECT_EQ(e.kind(), ErrorKind::invalid_spec);
        return e.diagnostics().at(0);
    }
    return {};
}

} // namespace

TEST(LockFile, FormatIsSortedAndReadsBack) {
    std::string text = lock::format_lock(sample());
    // Sorted by reference, then by platform, whatever the order in memory.
    EXPECT_LT(text.find("docker/dockerfile:1.10"), text.find("python:3.12-slim"));
    EXPECT_LT(text.find("linux/amd64"), text.find("linux/arm64"));
    EXPECT_NE(text.find("version = 1\n"), std::string::npos);
    EXPECT_NE(text.find("platforms.\"linux/amd64\" = \"" + digest('b') + "\"\n"),
              std::string::npos);
    lock::Lock back = lock::parse_lock(text, "x.lock");
    ASSERT_EQ(back.images.size(), 2u);
    EXPECT_EQ(back.images[0].reference, "docker/dockerfile:1.10");
    EXPECT_TRUE(back.images[0].platforms.empty());
    EXPECT_EQ(back.images[1].platforms.at("linux/arm64"), digest('c'));
    EXPECT_GT(back.images[1].line, back.images[0].line);
    EXPECT_EQ(lock::format_lock(back), text);
}

TEST(LockFile, PathIsBesideTheSpec) {
    EXPECT_EQ(lock::lock_path("a/image.yaml"), "a/image.yaml.lock");
    EXPECT_EQ(lock::lock_path("image.toml"), "image.toml.lock");
}

TEST(LockFile, NewerVersionIsRefusedWithItsLine) {
    Diagnostic d = first_error("# a comment\nversion = 2\n\n[[image]]\nsurprise = 1\n");
    EXPECT_EQ(d.mark.line, 2);
    EXPECT_NE(d.message.find("newer"), std::string::npos);
    EXPECT_NE(d.hint.find("update imgspec"), std::string::npos);
}

TEST(LockFile, CorruptTextGivesTheLine) {
    std::string text = lock::format_lock(sample());
    // A merge conflict left in it.
    text.insert(text.find("[[image]]"), "<<<<<<< HEAD\n");
    Diagnostic d = first_error(text);
    EXPECT_EQ(d.file, "spec.yaml.lock");
    EXPECT_EQ(d.mark.line, 6);
    EXPECT_EQ(first_error("").message, "the lock file is empty");
}

TEST(LockFile, HandEditsAreFoundWithTheirLines) {
    const std::string head = "version = 1\n[[image]]\n";
    Diagnostic d = first_error(head + "reference = \"python:3\"\ndigest = \"sha256:abc\"\n");
    EXPECT_EQ(d.mark.line, 4);
    EXPECT_NE(d.message.find("not a digest"), std::string::npos);

    d = first_error(head + "reference = \"python:3\"\ndigest = \"" + digest('a') +
                    "\"\nplatform.\"linux/amd64\" = \"" + digest('a') + "\"\n");
    EXPECT_EQ(d.mark.line, 5);
    EXPECT_EQ(d.message, "unknown key");
    EXPECT_EQ(d.hint, "did you mean 'platforms'?");

    d = first_error(head + "reference = \"python:3\"\ndigest = \"" + digest('a') +
                    "\"\nplatforms.\"linux/amd65\" = \"" + digest('a') + "\"\n");
    EXPECT_EQ(d.mark.line, 5);

    d = first_error(head + "reference = \"python:3@" + digest('a') + "\"\ndigest = \"" +
                    digest('a') + "\"\n");
    EXPECT_EQ(d.mark.line, 3);

    d = first_error(head + "digest = \"" + digest('a') + "\"\n");
    EXPECT_NE(d.message.find("missing key 'reference'"), std::string::npos);

    std::string one = "[[image]]\nreference = \"python:3\"\ndigest = \"" + digest('a') + "\"\n";
    d = first_error("version = 1\n" + one + one);
    EXPECT_EQ(d.mark.line, 6);
    EXPECT_NE(d.message.find("locked twice"), std::string::npos);

    d = first_error("version = \"1\"\n");
    EXPECT_EQ(d.mark.line, 1);
    d = first_error("[[image]]\nreference = \"python:3\"\ndigest = \"" + digest('a') + "\"\n");
    EXPECT_NE(d.message.find("missing key"), std::string::npos);
}

TEST(LockFile, ReadLockIsNulloptWithoutAFile) {
    test::TempDir d;
    auto spec = d.write("image.yaml", "name: x\n");
    EXPECT_FALSE(lock::read_lock(spec));
    lock::Lock l = sample();
    l.file = lock::lock_path(spec);
    lock::write_lock(l);
    auto back = lock::read_lock(spec);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->images, lock::parse_lock(lock::format_lock(l), "x").images);
    EXPECT_EQ(back->file, lock::lock_path(spec));
}

TEST(LockStaleness, ReferencesAddedOrRemovedAreMismatches) {
    lock::Lock l = sample();
    lock::Needs needs = {{"python:3.12-slim", {"linux/amd64"}}, {"docker/dockerfile:1.10", {}}};
    EXPECT_TRUE(lock::mismatches(l, needs).empty());
    // A platform the lock lacks is no mismatch: the locked index holds it.
    needs["python:3.12-slim"].insert("linux/s390x");
    EXPECT_TRUE(lock::mismatches(l, needs).empty());
    needs.erase("docker/dockerfile:1.10");
    needs["python:3.13-slim"] = {"linux/amd64"};
    auto wrong = lock::mismatches(l, needs);
    ASSERT_EQ(wrong.size(), 2u);
    EXPECT_EQ(wrong[0], "python:3.13-slim is not locked");
    EXPECT_EQ(wrong[1], "docker/dockerfile:1.10 is locked but no Dockerfile of the spec uses it");
}

TEST(LockStaleness, MovedIsTheIndexDigestAndPlatformsSayWhich) {
    const lock::Lock s = sample();
    const lock::LockedImage& locked = s.images[0];
    lock::LockedImage now = locked;
    EXPECT_FALSE(lock::compare(locked, now).moved());
    // Another platform (or an attestation) changed: the index moved, no locked platform did.
    now.digest = digest('e');
    now.platforms["linux/s390x"] = digest('f');
    lock::Drift d = lock::compare(locked, now);
    EXPECT_TRUE(d.moved());
    EXPECT_TRUE(d.platforms.empty());
    now.platforms["linux/arm64"] = digest('9');
    now.platforms.erase("linux/amd64");
    d = lock::compare(locked, now);
    ASSERT_EQ(d.platforms.size(), 2u);
    EXPECT_EQ(d.platforms.at("linux/arm64").second, digest('9'));
    EXPECT_EQ(d.platforms.at("linux/amd64").second, ""); // gone upstream
}
