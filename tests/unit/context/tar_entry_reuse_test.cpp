// The tar writer fills one libarchive entry for every header: nothing of an entry (a symlink's
// target, a file's size) may leak into the headers after it.

#include <imgspec/context/tar_writer.hpp>
#include <imgspec/util/sha256.hpp>

#include "unit/context/tar_capture.hpp"

#include <gtest/gtest.h>

#include <string>

using imgspec::plan::Entry;
using imgspec::plan::EntryType;
using imgspec::plan::Manifest;

namespace {

Entry make(const std::string& path, EntryType type, const std::string& content_or_target) {
    Entry e;
    e.path = path;
    e.type = type;
    if (type == EntryType::symlink) {
        e.link_target = content_or_target;
        e.mode = 0777;
    } else if (type == EntryType::file) {
        e.content = content_or_target;
        e.size = e.content.size();
        e.digest = imgspec::util::sha256(e.content);
    } else {
        e.mode = 0755;
    }
    return e;
}

} // namespace

TEST(TarEntryReuse, EachHeaderIsTheSameAsWrittenAlone) {
    const Entry entries[] = {make("a", EntryType::file, "0123456789"),
                             make("b", EntryType::symlink, "a-rather-long-target/of/a/link"),
                             make("c", EntryType::directory, ""),
                             make("d", EntryType::symlink, "x"), make("e", EntryType::file, "")};
    Manifest all;
    std::string expected;
    for (const Entry& e : entries) {
        all.entries.push_back(e);
        std::string alone = imgspec::test::capture_tar(Manifest{{e}}).bytes;
        expected += alone.substr(0, alone.size() - 1024); // without the end marker
    }
    EXPECT_EQ(imgspec::test::capture_tar(all).bytes, expected + std::string(1024, '\0'));
}
