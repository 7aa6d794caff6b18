#include <imgspec/context/tar_writer.hpp>

#include "prefetch.hpp"

#include <imgspec/core/error.hpp>
#include <imgspec/util/fd.hpp>
#include <imgspec/util/sha256.hpp>

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <clocale>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <locale.h>
#include <poll.h>
#include <unistd.h>

namespace imgspec::context {

namespace {

using detail::display_name;
using detail::Piece;
using detail::Prefetcher;
using detail::throw_changed;

// libarchive's output buffer: how many bytes the sink gets per call for most of the stream. It does
// not change the output (bytes_in_last_block is 1), only the number of writes to the pipe.
constexpr int output_block_size = 64 * 1024;

// Sent in place of the end-of-archive marker when writing fails. It is text with no NUL and no
// octal digit, so wherever a reader stands in the stream it fails: reading it as a header gives a
// bad checksum, reading it as file data ends the stream inside an entry.
constexpr std::string_view poison_line =
    "!! imgspec: the build context was aborted; this archive is incomplete !!\n";

// Carries the sink and what happened in it through libarchive's C callback, which must not throw.
struct SinkState {
    const Sink* sink = nullptr;
    std::exception_ptr error; // what the sink threw, rethrown once libarchive has returned
    std::uint64_t bytes = 0;
    bool discard = false; // after a failure: whatever libarchive still writes goes nowhere
};

la_ssize_t write_callback(struct archive* /*a*/, void* client, const void* data, size_t size) {
    auto* state = static_cast<SinkState*>(client);
    if (state->discard) {
        return static_cast<la_ssize_t>(size);
    }
    try {
        (*state->sink)(data, size);
        state->bytes += size;
        return static_cast<la_ssize_t>(size);
    } catch (...) {
        state->error = std::current_exception();
        return -1;
    }
}

bool is_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

class TarArchive {
  public:
    explicit TarArchive(SinkState& state) : m_state(state), m_a(archive_write_new()) {
        if (m_a == nullptr) {
            throw Error(ErrorKind::other, "libarchive: cannot create a tar writer");
        }
        // bytes_in_last_block 1: no padding of the last block to the 10 KiB record size.
        if (archive_write_set_format_pax_restricted(m_a) != ARCHIVE_OK ||
            archive_write_add_filter_none(m_a) != ARCHIVE_OK ||
            archive_write_set_bytes_per_block(m_a, output_block_size) != ARCHIVE_OK ||
            archive_write_set_bytes_in_last_block(m_a, 1) != ARCHIVE_OK ||
            archive_write_open2(m_a, &m_state, nullptr, write_callback, nullptr, nullptr) !=
                ARCHIVE_OK) {
            std::string why = error_text();
            discard_and_free();
            throw Error(ErrorKind::other, fmt::format("cannot start the tar stream: {}", why));
        }
    }

    ~TarArchive() {
        if (m_closed) {
            archive_write_free(m_a);
        } else {
            discard_and_free();
        }
    }

    TarArchive(const TarArchive&) = delete;
    TarArchive& operator=(const TarArchive&) = delete;

    void write_header(archive_entry* entry, const plan::Entry& e) {
        int r = archive_write_header(m_a, entry);
        // Under the C locale (see CLocale) a non-ASCII name cannot be converted to UTF-8, so
        // libarchive warns and records it as raw bytes with "hdrcharset=BINARY": what we want.
        // Any other warning counts as failure.
        if (r == ARCHIVE_WARN && (!is_ascii(e.path) || !is_ascii(e.link_target))) {
            return;
        }
        if (r != ARCHIVE_OK) {
            fail(fmt::format("cannot write the tar header of {}", e.path));
        }
    }

    void write_data(const void* data, std::size_t size, const std::string& path) {
        la_ssize_t n = archive_write_data(m_a, data, size);
        if (n < 0 || static_cast<std::size_t>(n) != size) {
            fail(fmt::format("cannot write {} into the tar stream", path));
        }
    }

    void close() {
        if (archive_write_close(m_a) != ARCHIVE_OK) {
            fail("cannot finish the tar stream");
        }
        m_closed = true;
    }

  private:
    // After a failure, closing would send the rest of the buffer and the end-of-archive marker,
    // making a truncated context look complete. archive_write_fail() avoids that but leaks
    // libarchive's output buffer (3.6), so the archive is closed into a sink that drops it all.
    void discard_and_free() {
        m_state.discard = true;
        archive_write_close(m_a);
        archive_write_free(m_a);
    }

    [[noreturn]] void fail(const std::string& what) {
        if (m_state.error) {
            std::rethrow_exception(m_state.error);
        }
        throw Error(ErrorKind::other, fmt::format("{}: {}", what, error_text()));
    }

    std::string error_text() const {
        const char* why = archive_error_string(m_a);
        return why ? why : "libarchive error";
    }

    SinkState& m_state;
    struct archive* m_a;
    bool m_closed = false;
};

// libarchive's pax writer converts names from the current locale's charset to UTF-8, and records
// them as raw bytes (hdrcharset=BINARY) when that fails, so a non-ASCII name would give other
// bytes under LANG=C.UTF-8 than under LANG=C. Writing under the C locale, on this thread only,
// always takes the raw-bytes path: Linux names are bytes, and BuildKit (Go's archive/tar), GNU tar
// and bsdtar all read them back unchanged. ASCII names need no conversion and no pax header.
class CLocale {
  public:
    CLocale() : m_c(::newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(nullptr))) {
        if (m_c == static_cast<locale_t>(nullptr)) {
            throw Error(ErrorKind::other, "cannot create the C locale");
        }
        m_previous = ::uselocale(m_c);
    }
    ~CLocale() {
        ::uselocale(m_previous);
        ::freelocale(m_c);
    }
    CLocale(const CLocale&) = delete;
    CLocale& operator=(const CLocale&) = delete;
    locale_t get() const { return m_c; }

  private:
    locale_t m_c;
    locale_t m_previous{};
};

struct EntryDeleter {
    void operator()(archive_entry* e) const { archive_entry_free(e); }
};

void check_symlink(const plan::Entry& e) {
    if (e.source.empty()) {
        return;
    }
    std::string target(4096, '\0');
    for (;;) {
        ssize_t n = ::readlink(e.source.c_str(), target.data(), target.size());
        if (n < 0) {
            int err = errno;
            throw_changed(display_name(e), fmt::format("readlink: {}", util::errno_text(err)));
        }
        if (static_cast<std::size_t>(n) < target.size()) {
            target.resize(static_cast<std::size_t>(n));
            break;
        }
        target.resize(target.size() * 2);
    }
    if (target != e.link_target) {
        throw_changed(display_name(e), fmt::format("the symlink now points to \"{}\", not \"{}\"",
                                                   target, e.link_target));
    }
}

// Writes a generated file (Entry::content), checking it against the digest in the image tag.
void write_content(TarArchive& tar, const plan::Entry& e, const util::ProgressPhase& phase) {
    if (e.content.size() != e.size) {
        throw Error(ErrorKind::other,
                    fmt::format("internal error: generated file {} has {} bytes, the manifest "
                                "says {}",
                                e.path, e.content.size(), e.size));
    }
    tar.write_data(e.content.data(), e.content.size(), e.path);
    phase.advance(0, e.content.size());
    if (util::sha256(e.content) != e.digest) {
        throw_changed(display_name(e), "its content no longer matches the hash in the image tag");
    }
}

// Writes one file's bytes as the Prefetcher read and checked them. The header (with the size
// from the manifest) is already written, so a failure throws before the archive ends.
void write_source(TarArchive& tar, const plan::Entry& e, Prefetcher& files,
                  const util::ProgressPhase& phase) {
    for (;;) {
        const Piece& p = files.next();
        if (p.size > 0) {
            tar.write_data(files.data(p), p.size, e.path);
            phase.advance(0, p.size);
        }
        if (p.error) {
            std::rethrow_exception(p.error);
        }
        if (p.last) {
            return;
        }
    }
}

// The header fields every entry type has, and no symlink target (one archive_entry serves all).
void set_common_fields(archive_entry* ae, const plan::Entry& e, const TarOptions& options) {
    archive_entry_copy_pathname(ae, e.path.c_str());
    archive_entry_set_perm(ae, static_cast<__LA_MODE_T>(e.mode & 07777));
    archive_entry_set_mtime(ae, static_cast<time_t>(options.mtime), 0);
    archive_entry_set_uid(ae, 0);
    archive_entry_set_gid(ae, 0);
    archive_entry_copy_symlink(ae, nullptr);
}

void write_entries(TarArchive& tar, const plan::Manifest& manifest, const TarOptions& options,
                   TarStats& stats, const util::ProgressPhase& phase, locale_t locale) {
    Prefetcher files(manifest.entries, locale);
    // One archive_entry for all, every field set again for each entry (set_common_fields):
    // archive_write_header clones and frees the entry it is given anyway (pax writer), and a new
    // and freed entry per file on top of that was 9 % of this thread's instructions (callgrind,
    // 100,000 small files), mostly malloc and free.
    std::unique_ptr<archive_entry, EntryDeleter> entry(archive_entry_new());
    if (!entry) {
        throw Error(ErrorKind::other, "libarchive: out of memory");
    }
    archive_entry* ae = entry.get();
    for (const plan::Entry& e : manifest.entries) {
        set_common_fields(ae, e, options);
        switch (e.type) {
        case plan::EntryType::directory:
            archive_entry_set_filetype(ae, AE_IFDIR);
            archive_entry_set_size(ae, 0);
            tar.write_header(ae, e);
            break;
        case plan::EntryType::symlink:
            check_symlink(e);
            archive_entry_set_filetype(ae, AE_IFLNK);
            archive_entry_copy_symlink(ae, e.link_target.c_str());
            archive_entry_set_size(ae, 0);
            tar.write_header(ae, e);
            break;
        case plan::EntryType::file:
            archive_entry_set_filetype(ae, AE_IFREG);
            archive_entry_set_size(ae, static_cast<la_int64_t>(e.size));
            tar.write_header(ae, e);
            if (e.source.empty()) {
                write_content(tar, e, phase);
            } else {
                write_source(tar, e, files, phase);
            }
            ++stats.files;
            phase.advance(1, 0);
            break;
        }
    }
}

void write_all(int fd, const void* data, std::size_t size) {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
        ssize_t n = ::write(fd, p, size);
        if (n < 0) {
            int err = errno;
            if (err == EINTR) {
                continue;
            }
            if (err == EAGAIN || err == EWOULDBLOCK) {
                pollfd pfd{fd, POLLOUT, 0};
                ::poll(&pfd, 1, -1);
                continue;
            }
            if (err == EPIPE) {
                throw Error(ErrorKind::other, "the consumer closed the stream",
                            "docker stopped reading the build context; its own error says why");
            }
            throw Error(ErrorKind::other,
                        fmt::format("cannot write the build context: {}", util::errno_text(err)));
        }
        p += n;
        size -= static_cast<std::size_t>(n);
    }
}

} // namespace

TarStats write_tar(const plan::Manifest& manifest, const TarOptions& options, const Sink& sink) {
    CLocale c_locale;
    SinkState state;
    state.sink = &sink;
    TarStats stats;
    std::uint64_t total_files = 0;
    std::uint64_t total_bytes = 0;
    if (options.progress != nullptr) {
        for (const plan::Entry& e : manifest.entries) {
            if (e.type == plan::EntryType::file) {
                ++total_files;
                total_bytes += e.size;
            }
        }
    }
    // end() once the last block is out, or when this throws.
    const util::ProgressPhase phase(options.progress, options.progress_what, total_files,
                                    total_bytes);
    try {
        TarArchive tar(state);
        write_entries(tar, manifest, options, stats, phase, c_locale.get());
        tar.close();
    } catch (...) {
        // The archive is already freed without its end marker. A sink that failed gets nothing
        // more; otherwise it is told, in a way no tar reader accepts, that the stream is broken.
        if (!state.error) {
            std::string poison;
            while (poison.size() < 512) {
                poison += poison_line;
            }
            poison.resize(512);
            try {
                sink(poison.data(), poison.size());
            } catch (...) {
                // The original error matters more than a second one from the sink.
            }
        }
        throw;
    }
    stats.bytes = state.bytes;
    return stats;
}

TarStats write_tar_to_fd(const plan::Manifest& manifest, const TarOptions& options, int fd) {
    return write_tar(manifest, options,
                     [&](const void* data, std::size_t size) { write_all(fd, data, size); });
}

} // namespace imgspec::context
