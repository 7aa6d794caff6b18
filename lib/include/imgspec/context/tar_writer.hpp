#pragma once
// Writes the build context: the manifest's entries as one deterministic tar stream, the stdin of
// `docker buildx build -`.

#include <imgspec/plan/manifest.hpp>
#include <imgspec/util/progress.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace imgspec::context {

struct TarOptions {
    // Modification time of every entry, in seconds since the epoch: SOURCE_DATE_EPOCH, or 0.
    std::int64_t mtime = 0;
    // Told while the files stream: begin(progress_what, file entries, their bytes), advance(0, n)
    // after each chunk of a file's data, advance(1, 0) after each file, end() after the last block
    // or on failure. Null: nobody watches. Never changes the bytes written.
    util::Progress* progress = nullptr;
    std::string progress_what = "sending context";
};

// Receives the tar bytes in order, in chunks of any size; writes them to a pipe or a file. It may
// throw: write_tar stops and rethrows the same exception.
using Sink = std::function<void(const void* data, std::size_t size)>;

struct TarStats {
    std::uint64_t files = 0; // regular-file entries written (folders and symlinks not counted)
    std::uint64_t bytes = 0; // tar bytes handed to the sink: the archive's size
};

// Streams every manifest entry, in manifest order, as a POSIX tar (pax restricted: a pax extended
// header only where ustar cannot hold a long path or link, a size of 8 GiB or more, or a non-ASCII
// name, which is kept as raw bytes with "hdrcharset=BINARY").
//
// The output depends on the manifest and `options` only, so one manifest gives the same bytes on
// any machine and under any locale (libarchive runs under the C locale on this thread meanwhile,
// the sink too): mtime from `options`, uid/gid 0, no user or group names, no atime/ctime, device
// or inode numbers, no hard links; modes from the entries. There is no padding after the two zero
// blocks that end the archive (as Go's archive/tar writes it); GNU tar, bsdtar and BuildKit read
// it.
//
// Files are read from `Entry::source` by a second thread, ahead of the writing, through 2 MiB of
// buffers (memory does not grow with the context), or taken from `Entry::content` (whose size and
// digest must be set too, as plan::hash_entry does). A file whose `Entry::trusted_stat` equals the
// open file's fstat before and after the read is not hashed again (the stat cache's proof: see
// Entry::trusted_stat); every other file is hashed again while it is read. Every check of a file
// is done before its last bytes are written. If its bytes or size differ from
// `Entry::digest`/`Entry::size`, its stat changed during a trusted copy, or a symlink's target
// differs from `Entry::link_target`, the file changed after the image tag was computed and this
// throws imgspec::Error(ErrorKind::other, "<path> changed while the build context was written
// ...").
//
// On any failure that is not the sink's own, the end-of-archive marker is never written and a
// block of non-tar text is sent instead, so the consumer sees a damaged archive: a tar cut at an
// entry boundary would look complete to Go's archive/tar and libarchive.
//
// Throws imgspec::Error(ErrorKind::other) when a file changed or cannot be read, or libarchive
// fails; rethrows whatever the sink throws.
TarStats write_tar(const plan::Manifest& manifest, const TarOptions& options, const Sink& sink);

// write_tar into a file descriptor (a pipe to docker, or a file). Retries partial writes, EINTR and
// (on a non-blocking fd) EAGAIN. Does not close `fd`.
//
// The caller must ignore SIGPIPE (signal(SIGPIPE, SIG_IGN) or a blocked mask) before writing to a
// pipe; otherwise a consumer that exits early kills this process instead of failing the write.
//
// Throws imgspec::Error(ErrorKind::other, "the consumer closed the stream") on EPIPE, and
// imgspec::Error(ErrorKind::other) on other write errors and on everything write_tar throws.
TarStats write_tar_to_fd(const plan::Manifest& manifest, const TarOptions& options, int fd);

} // namespace imgspec::context
