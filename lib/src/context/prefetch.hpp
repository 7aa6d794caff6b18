#pragma once
// The source files of a build context, read ahead of the tar writer (or the staging) on another
// thread and checked against the manifest (size, digest, or the stat cache's proof) as they are
// read. Private to context (tar_writer.cpp, stage_context.cpp).

#include <imgspec/plan/manifest.hpp>

#include <cstddef>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include <locale.h>

namespace imgspec::context::detail {

// A stretch of one file's bytes in a Batch. `last` ends the file: its bytes are all there and
// proven unchanged, or `error` says why not, to be thrown once the bytes before it are written.
struct Piece {
    std::size_t offset = 0;
    std::size_t size = 0;
    bool last = false;
    std::exception_ptr error;
};

// Reads the source files of `entries` (regular files with Entry::source) in order, on a thread of
// its own when one can be started, else on the caller's thread as pieces are asked for. The
// reading thread uses `locale` so that strerror() in its messages reads as on the writing thread.
class Prefetcher {
  public:
    Prefetcher(const std::vector<plan::Entry>& entries, locale_t locale);
    ~Prefetcher();
    Prefetcher(const Prefetcher&) = delete;
    Prefetcher& operator=(const Prefetcher&) = delete;

    // The next piece of the source files' bytes, in manifest order. It and its bytes stay valid
    // until the next call. A file that failed a check ends in a piece with `error` set.
    const Piece& next();
    const char* data(const Piece& p) const;

  private:
    class Impl;
    std::unique_ptr<Impl> m_impl;
};

// The name the user knows: the file on disk when there is one.
std::string display_name(const plan::Entry& e);

// Throws Error(other): `what` changed while the context was written, with a hint.
[[noreturn]] void throw_changed(const std::string& what, const std::string& detail);

} // namespace imgspec::context::detail
