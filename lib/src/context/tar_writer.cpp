#include <imgspec/context/tar_writer.hpp>

#include <imgspec/core/error.hpp>
#include <imgspec/util/sha256.hpp>

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <clocale>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

namespace imgspec::context {

namespace {

constexpr std::size_t read_buffer_size = 1 << 20;

// libarchive's output buffer: how many bytes the sink gets per call for most of the stream. It does
// not change the output (bytes_in_last_block is 1), only the number of writes to the pipe.
constexpr int output_block_size = 64 * 1024;

// Sent in place of the end-of-archive marker when writing fails. It is text with no NUL and no
// octal digit, so wherever a reader stands in the stream it fails: reading it as a header gives a
// bad checksum, reading it as file data ends the stream inside an entry.
constexpr std::string_view poison_line =
    "!! imgspec: the build context was aborted; this archive is incomplete !!\n";

const char* changed_hint =
    "Something wrote to the file while imgspec was sending it to docker (an editor, a build, a "
    "download?). Wait for it to finish and run imgspec again.";

std::string errno_text(int err) {
    return std::strerror(err);
}

[[noreturn]] void throw_changed(const std::string& what, const std::string& detail) {
    throw Error(ErrorKind::other,
                fmt::format("{} changed while the build context was written ({})", what, detail),
                changed_hint);
}

// The name the user knows: the file on disk when there is one.
std::string display_name(const plan::Entry& e) {
    return e.source.empty() ? e.path : e.source.string();
}

class Fd {
  public:
    explicit Fd(int fd) : m_fd(fd) {}
    ~Fd() {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return m_fd; }

  private:
    int m_fd;
};

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
            throw_changed(display_name(e), fmt::format("readlink: {}", errno_text(err)));
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

// Streams one file's bytes into the archive, hashing them on the way. The header (with the size
// from the manifest) is already written, so any difference must throw before the archive ends.
void stream_file(TarArchive& tar, const plan::Entry& e, std::vector<char>& buffer) {
    util::Sha256 hash;
    if (e.source.empty()) {
        if (e.content.size() != e.size) {
            throw Error(ErrorKind::other,
                        fmt::format("internal error: generated file {} has {} bytes, the manifest "
                                    "says {}",
                                    e.path, e.content.size(), e.size));
        }
        hash.update(e.content);
        tar.write_data(e.content.data(), e.content.size(), e.path);
    } else {
        // O_NONBLOCK: if a FIFO took the file's place, open must not wait for a writer. It does
        // not affect reads from a regular file.
        Fd fd(::open(e.source.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
        if (fd.get() < 0) {
            int err = errno;
            if (err == ENOENT || err == ELOOP) {
                throw_changed(display_name(e),
                              err == ELOOP ? "it is now a symlink" : "it was deleted");
            }
            throw Error(ErrorKind::other,
                        fmt::format("{}: cannot read: {}", display_name(e), errno_text(err)));
        }
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0) {
            int err = errno;
            throw Error(ErrorKind::other,
                        fmt::format("{}: cannot read: {}", display_name(e), errno_text(err)));
        }
        if (!S_ISREG(st.st_mode)) {
            throw_changed(display_name(e), "it is no longer a regular file");
        }
        ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);

        std::uint64_t remaining = e.size;
        // One read past the expected size tells a file that grew from one that did not.
        while (true) {
            std::size_t want = static_cast<std::size_t>(
                std::min<std::uint64_t>(buffer.size(), remaining == 0 ? 1 : remaining));
            ssize_t n = ::read(fd.get(), buffer.data(), want);
            if (n < 0) {
                int err = errno;
                if (err == EINTR) {
                    continue;
                }
                throw Error(ErrorKind::other,
                            fmt::format("{}: cannot read: {}", display_name(e), errno_text(err)));
            }
            if (n == 0) {
                if (remaining != 0) {
                    throw_changed(display_name(e), fmt::format("it has {} bytes, {} were expected",
                                                               e.size - remaining, e.size));
                }
                break;
            }
            if (remaining == 0) {
                throw_changed(display_name(e),
                              fmt::format("it has more than the {} bytes expected", e.size));
            }
            auto got = static_cast<std::size_t>(n);
            hash.update(buffer.data(), got);
            tar.write_data(buffer.data(), got, e.path);
            remaining -= got;
        }
    }
    if (hash.finish() != e.digest) {
        throw_changed(display_name(e), "its content no longer matches the hash in the image tag");
    }
}

void write_entries(TarArchive& tar, const plan::Manifest& manifest, const TarOptions& options,
                   TarStats& stats) {
    std::vector<char> buffer(read_buffer_size);
    for (const plan::Entry& e : manifest.entries) {
        std::unique_ptr<archive_entry, EntryDeleter> entry(archive_entry_new());
        if (!entry) {
            throw Error(ErrorKind::other, "libarchive: out of memory");
        }
        archive_entry* ae = entry.get();
        archive_entry_copy_pathname(ae, e.path.c_str());
        archive_entry_set_perm(ae, static_cast<__LA_MODE_T>(e.mode & 07777));
        archive_entry_set_mtime(ae, static_cast<time_t>(options.mtime), 0);
        archive_entry_set_uid(ae, 0);
        archive_entry_set_gid(ae, 0);
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
            stream_file(tar, e, buffer);
            ++stats.files;
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
                        fmt::format("cannot write the build context: {}", errno_text(err)));
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
    try {
        TarArchive tar(state);
        write_entries(tar, manifest, options, stats);
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
                     [fd](const void* data, std::size_t size) { write_all(fd, data, size); });
}

} // namespace imgspec::context
