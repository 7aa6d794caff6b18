#include <imgspec/context/staging.hpp>

#include "prefetch.hpp"
#include "stage_context.hpp"

#include <imgspec/core/error.hpp>
#include <imgspec/util/sha256.hpp>

#include <spdlog/spdlog.h>

#include <cerrno>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace imgspec::context {

namespace fs = std::filesystem;
using detail::ns_per_second;
using detail::throw_io;
using plan::Entry;
using plan::EntryType;
using plan::FileStat;

namespace {

// The source file still has the digest in the manifest (its stat moved: touched, or rewritten
// with the same bytes).
bool same_content(const Entry& e) {
    util::Fd fd(::open(e.source.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) {
        return false;
    }
    util::Sha256 h;
    std::vector<char> buf(1 << 20);
    for (;;) {
        ssize_t n = ::read(fd.get(), buf.data(), buf.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return false;
        }
        if (n == 0) {
            break;
        }
        h.update(buf.data(), static_cast<std::size_t>(n));
    }
    return h.finish() == e.digest;
}

// The stat a source file has now; it must still be there.
FileStat source_stat(const Entry& e) {
    struct stat st {};
    if (::stat(e.source.c_str(), &st) != 0) {
        detail::throw_changed(detail::display_name(e), "it was deleted");
    }
    return FileStat::from(st);
}

} // namespace

fs::path staging_root(const fs::path& cache_dir, const std::string& name, const std::string& key) {
    std::string readable;
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.';
        readable += ok ? c : '_';
    }
    if (readable.size() > 64) {
        readable.resize(64);
    }
    std::string hash = util::to_hex(util::sha256(key)).substr(0, 16);
    return cache_dir / "contexts" / (readable.empty() ? hash : readable + "-" + hash);
}

std::int64_t staged_mtime_ns(const plan::Digest& digest) {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) {
        v = (v << 8) | digest[static_cast<std::size_t>(i)];
    }
    return static_cast<std::int64_t>(v % static_cast<std::uint64_t>(ns_per_second));
}

StagedFolder::StagedFolder(fs::path root) : m_root(std::move(root)) {}

bool StagedFolder::try_lock() {
    std::error_code ec;
    fs::create_directories(m_root, ec);
    if (ec) {
        throw_io("cannot create", m_root, ec.value());
    }
    fs::path file = m_root / "lock";
    util::Fd fd(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd) {
        throw_io("cannot open", file, errno);
    }
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            return false;
        }
        throw_io("cannot lock", file, errno);
    }
    m_lock = std::move(fd);
    return true;
}

StageStats StagedFolder::stage(const plan::Manifest& manifest, const std::string& skip_path,
                               const std::atomic<bool>* cancel, util::Progress* progress) {
    const fs::path ctx = context_dir();
    m_source_stats.clear();
    StageStats stats =
        detail::stage_context(ctx, m_root / "state", manifest, skip_path, cancel, progress);

    // The stat each source file must still have when buildx starts.
    for (std::size_t i = 0; i < manifest.entries.size(); ++i) {
        const Entry& e = manifest.entries[i];
        if (e.path == skip_path || e.type != EntryType::file || e.source.empty()) {
            continue;
        }
        m_source_stats.emplace_back(i, e.trusted_stat ? *e.trusted_stat : source_stat(e));
    }
    spdlog::debug("staged {}: {} written ({} bytes), {} kept, {} removed", ctx.string(),
                  stats.written, stats.bytes, stats.kept, stats.removed);
    return stats;
}

void StagedFolder::check_sources(const plan::Manifest& manifest) const {
    for (const auto& [i, want] : m_source_stats) {
        const Entry& e = manifest.entries[i];
        if (source_stat(e) != want && !same_content(e)) {
            detail::throw_changed(detail::display_name(e),
                                  "it was modified after its hash went into the image tag");
        }
    }
}

} // namespace imgspec::context
