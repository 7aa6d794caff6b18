// One path on disk into a manifest Entry: its stat, normalized (walk.hpp's stat_entry).

#include <imgspec/plan/walk.hpp>

#include "walk_support.hpp"

#include <imgspec/core/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace imgspec::plan {

namespace {

using detail::cannot_read;

std::string read_link(int dirfd, const char* name, const std::string& p, std::size_t size_hint) {
    // st_size of a symlink is its target's length on most file systems, 0 on some (procfs), so
    // the buffer grows until the target fits with room to spare.
    std::string target(std::max<std::size_t>(size_hint + 1, 256), '\0');
    for (;;) {
        ssize_t n = ::readlinkat(dirfd, name, target.data(), target.size());
        if (n < 0) {
            if (errno == EINVAL || errno == ENOENT) { // stat'ed as a symlink a moment ago
                detail::throw_changed(p, "it is no longer a symlink");
            }
            throw Error(ErrorKind::invalid_spec, cannot_read(p, errno));
        }
        if (static_cast<std::size_t>(n) < target.size()) {
            target.resize(static_cast<std::size_t>(n));
            return target;
        }
        target.resize(target.size() * 2);
    }
}

const char* special_kind(mode_t mode) {
    if (S_ISFIFO(mode)) {
        return "a FIFO";
    }
    if (S_ISSOCK(mode)) {
        return "a socket";
    }
    if (S_ISCHR(mode) || S_ISBLK(mode)) {
        return "a device";
    }
    return "not a regular file, folder or symlink";
}

Entry entry_from(const struct stat& st, int dirfd, const char* name, std::string source,
                 std::string context_path, FileStat* stat) {
    Entry e;
    e.path = std::move(context_path);
    if (S_ISREG(st.st_mode)) {
        e.type = EntryType::file;
        e.mode = detail::file_mode(st);
        e.size = static_cast<std::uint64_t>(st.st_size);
        if (stat != nullptr) {
            *stat = FileStat::from(st);
        }
    } else if (S_ISDIR(st.st_mode)) {
        e.type = EntryType::directory;
        e.mode = 0755;
    } else if (S_ISLNK(st.st_mode)) {
        e.type = EntryType::symlink;
        e.mode = 0777;
        e.link_target = read_link(dirfd, name, source, static_cast<std::size_t>(st.st_size));
    } else {
        throw Error(ErrorKind::invalid_spec,
                    fmt::format("{}: is {}; only regular files, folders and symlinks can be copied",
                                source, special_kind(st.st_mode)),
                    "Remove it from the copied folder, or exclude it.");
    }
    e.source = std::move(source);
    return e;
}

} // namespace

Entry stat_entry(const std::filesystem::path& source, std::string context_path) {
    return stat_entry(source, std::move(context_path), nullptr);
}

Entry stat_entry(const std::filesystem::path& source, std::string context_path, FileStat* stat) {
    return stat_entry_at(AT_FDCWD, source.c_str(), source.string(), std::move(context_path), stat);
}

Entry stat_entry_at(int dirfd, const char* name, std::string source, std::string context_path,
                    FileStat* stat) {
    struct stat st {};
    if (::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        throw Error(ErrorKind::invalid_spec, cannot_read(source, errno));
    }
    return entry_from(st, dirfd, name, std::move(source), std::move(context_path), stat);
}

} // namespace imgspec::plan
