#pragma once
// Opening a path without following a symlink at any of its components.

namespace imgspec::util {

// openat(dirfd, path, flags) except that no component of `path` may be a symlink: one that is
// fails with ELOOP, whether it was there before or another process swapped it in during the
// call. With openat2(RESOLVE_NO_SYMLINKS) where the kernel has it (Linux 5.6), else one
// openat(O_PATH | O_DIRECTORY | O_NOFOLLOW) per folder component and O_NOFOLLOW on the last.
// `path` is meant to be free of symlinks (canonical): a component ".." is refused with EXDEV,
// so the result is always below `dirfd` (or below "/" for an absolute path). Returns the
// descriptor, or -1 with errno set. O_CLOEXEC is always added.
int open_nofollow(int dirfd, const char* path, int flags);

// The fallback of open_nofollow, one component at a time, each folder opened relative to the
// descriptor of its parent (the same results; public so that tests run it on any kernel).
int open_nofollow_by_component(int dirfd, const char* path, int flags);

} // namespace imgspec::util
