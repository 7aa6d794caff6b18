#include <imgspec/plan/stat_cache.hpp>

#include <imgspec/util/fd.hpp>
#include <imgspec/util/sha256.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace imgspec::plan {

namespace fs = std::filesystem;

namespace {

// File layout, native byte order (the order mark rejects a file from another architecture):
//   header: magic[8] order:u32 record_size:u32 count:u64 written_ns:i64 reserved:u64
//   count records of record_size bytes, in the order the files were looked up:
//     key:u64 size:u64 mtime_ns:i64 ctime_ns:i64 ino:u64 dev:u64 digest[32]
//   SHA-256 of everything before it.
constexpr char magic[8] = {'I', 'S', 'S', 'T', 'A', 'T', '\0', '\1'};
constexpr std::uint32_t order_mark = 0x01020304;
constexpr std::size_t header_size = 40;
constexpr std::size_t record_size = 80;
constexpr std::size_t trailer_size = 32;

// Stale cache files (specs deleted or moved, temp folders of tests) go after this long unused.
constexpr auto stale_after = std::chrono::hours(24 * 30);

// A 64-bit hash of the path, eight bytes at a time (a byte-wise FNV showed in the profile of a
// warm run). A collision costs nothing but a re-hash: a record is used only when the file's
// inode, device, size and times match too.
std::uint64_t mix(std::uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

std::uint64_t path_key(std::string_view s) {
    std::uint64_t h = 0x9e3779b97f4a7c15ull ^ s.size();
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
        std::uint64_t w;
        std::memcpy(&w, s.data() + i, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15ull;
        h ^= h >> 29;
    }
    std::uint64_t tail = 0;
    std::memcpy(&tail, s.data() + i, s.size() - i);
    return mix(h ^ tail);
}

template <class T> void put(unsigned char*& p, T v) {
    std::memcpy(p, &v, sizeof v);
    p += sizeof v;
}

template <class T> T get(const unsigned char*& p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    p += sizeof v;
    return v;
}

std::int64_t ns_of(const struct timespec& ts) {
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Reads exactly `size` bytes; false on an error or at the end of the file before that.
bool read_exact(int fd, void* into, std::size_t size) {
    auto* p = static_cast<char*>(into);
    while (size > 0) {
        ssize_t n = ::read(fd, p, size);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        p += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

// A name this cache writes: a record file (32 hex digits, see file_for) or a temporary one
// (".<32 hex>.tmp.XXXXXX", see save).
bool is_cache_name(std::string_view n) {
    auto hex32 = [](std::string_view h) {
        return h.size() == 32 && std::all_of(h.begin(), h.end(), [](char c) {
                   return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
               });
    };
    if (hex32(n)) {
        return true;
    }
    constexpr std::string_view tmp = ".tmp.";
    return n.size() == 1 + 32 + tmp.size() + 6 && n[0] == '.' && hex32(n.substr(1, 32)) &&
           n.substr(33, tmp.size()) == tmp;
}

} // namespace

void remove_stale(const fs::path& dir) {
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR* d = dfd < 0 ? nullptr : ::fdopendir(dfd);
    if (d == nullptr) {
        if (dfd >= 0) {
            ::close(dfd);
        }
        return;
    }
    const std::int64_t limit =
        StatCache::now_ns() -
        std::chrono::duration_cast<std::chrono::nanoseconds>(stale_after).count();
    while (const dirent* de = ::readdir(d)) {
        struct stat st {};
        if (is_cache_name(de->d_name) &&
            ::fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
            ns_of(st.st_mtim) < limit) {
            ::unlinkat(dfd, de->d_name, 0);
        }
    }
    ::closedir(d);
}

FileStat FileStat::from(const struct stat& st) {
    FileStat f;
    f.size = static_cast<std::uint64_t>(st.st_size);
    f.mtime_ns = ns_of(st.st_mtim);
    f.ctime_ns = ns_of(st.st_ctim);
    f.ino = static_cast<std::uint64_t>(st.st_ino);
    f.dev = static_cast<std::uint64_t>(st.st_dev);
    return f;
}

StatCache::StatCache(fs::path file, std::int64_t run_start_ns)
    : m_file(std::move(file)), m_run_start_ns(run_start_ns) {}

// Read in chunks and checksummed on the way, records parsed as they come: no copy of the whole
// file beside the records (it ran at the same time as the walk, and added to its peak memory).
void StatCache::load() {
    m_loaded.clear();
    m_seq_of.clear();
    m_by_key.clear();
    auto reject = [&](const char* why) {
        spdlog::debug("stat cache {}: ignored ({})", m_file.string(), why);
        m_loaded.clear();
    };
    // O_NONBLOCK: a FIFO in the file's place must not wait for a writer; O_NOFOLLOW: nor is a
    // symlink followed. Either is a damaged cache, ignored.
    util::Fd in(::open(m_file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW));
    if (!in) {
        if (errno != ENOENT) {
            spdlog::debug("stat cache {}: cannot open: {}", m_file.string(), std::strerror(errno));
        }
        return;
    }
    struct stat st {};
    if (::fstat(in.get(), &st) != 0 || st.st_size == 0) {
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        return reject("not a regular file");
    }
    const auto size = static_cast<std::size_t>(st.st_size);
    if (size < header_size + trailer_size) {
        return reject("too short");
    }
    unsigned char header[header_size];
    if (!read_exact(in.get(), header, sizeof header)) {
        return reject("truncated or padded");
    }
    if (std::memcmp(header, magic, sizeof magic) != 0) {
        return reject("not a stat cache of this version");
    }
    const unsigned char* q = header + sizeof magic;
    auto order = get<std::uint32_t>(q);
    auto rsize = get<std::uint32_t>(q);
    auto count = get<std::uint64_t>(q);
    if (order != order_mark || rsize != record_size) {
        return reject("written on another kind of machine");
    }
    if (count > (size - header_size - trailer_size) / record_size ||
        size != header_size + count * record_size + trailer_size) {
        return reject("truncated or padded");
    }
    util::Sha256 sum;
    sum.update(header, sizeof header);
    m_loaded.resize(count);
    constexpr std::size_t chunk_records = 1024;
    std::vector<unsigned char> chunk(chunk_records * record_size);
    for (std::size_t at = 0; at < count; at += chunk_records) {
        const std::size_t n = std::min<std::size_t>(chunk_records, count - at);
        if (!read_exact(in.get(), chunk.data(), n * record_size)) {
            return reject("truncated or padded");
        }
        sum.update(chunk.data(), n * record_size);
        q = chunk.data();
        for (std::size_t i = at; i < at + n; ++i) {
            Record& r = m_loaded[i];
            r.key = get<std::uint64_t>(q);
            r.stat.size = get<std::uint64_t>(q);
            r.stat.mtime_ns = get<std::int64_t>(q);
            r.stat.ctime_ns = get<std::int64_t>(q);
            r.stat.ino = get<std::uint64_t>(q);
            r.stat.dev = get<std::uint64_t>(q);
            std::memcpy(r.digest.data(), q, r.digest.size());
            q += r.digest.size();
        }
    }
    unsigned char trailer[trailer_size];
    if (!read_exact(in.get(), trailer, sizeof trailer)) {
        return reject("truncated or padded");
    }
    Digest expected = sum.finish();
    if (std::memcmp(expected.data(), trailer, sizeof trailer) != 0) {
        return reject("checksum mismatch");
    }
    m_seq_of.assign(m_loaded.size(), 0);
}

// Records are in the order the last run looked files up, which is the walk's order: the same this
// run when nothing moved, so lookup() first tries the record after the last hit and reads the
// file front to back, and this index is built only at the first record that is not found that
// way. Keys are hashes, spread evenly: a table of where each top-bits bucket starts finds a
// record in one or two probes (a binary search took ~15 cache misses per file). A counting sort
// by bucket builds it in two passes (a std::sort by key was a third of the load of a 20,000-file
// cache).
void StatCache::index_by_key() {
    m_bucket_bits = 1;
    while ((std::size_t{1} << m_bucket_bits) < m_loaded.size() && m_bucket_bits < 24) {
        ++m_bucket_bits;
    }
    m_buckets.assign((std::size_t{1} << m_bucket_bits) + 1, 0);
    for (const Record& r : m_loaded) {
        ++m_buckets[bucket_of(r.key) + 1];
    }
    for (std::size_t b = 1; b < m_buckets.size(); ++b) {
        m_buckets[b] += m_buckets[b - 1];
    }
    // m_buckets[b] is where bucket b starts; `next` is where its next record goes.
    std::vector<std::uint32_t> next(m_buckets.begin(), m_buckets.end() - 1);
    m_by_key.resize(m_loaded.size());
    for (std::size_t i = 0; i < m_loaded.size(); ++i) {
        m_by_key[next[bucket_of(m_loaded[i].key)]++] = static_cast<std::uint32_t>(i);
    }
}

std::size_t StatCache::bucket_of(std::uint64_t key) const {
    return static_cast<std::size_t>(key >> (64 - m_bucket_bits));
}

fs::path StatCache::default_dir() {
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    if (xdg != nullptr && xdg[0] == '/') {
        return fs::path(xdg) / "imgspec";
    }
    const char* home = std::getenv("HOME");
    if (home != nullptr && home[0] != '\0') {
        return fs::path(home) / ".cache" / "imgspec";
    }
    return {};
}

fs::path StatCache::file_for(const fs::path& dir, const fs::path& spec_file) {
    std::error_code ec;
    fs::path abs = fs::weakly_canonical(fs::absolute(spec_file, ec), ec);
    if (ec) {
        abs = spec_file;
    }
    return dir / "stat" / util::to_hex(util::sha256(abs.string())).substr(0, 32);
}

bool StatCache::may_have_records(const fs::path& file) {
    struct stat st {};
    return ::stat(file.c_str(), &st) == 0 &&
           static_cast<std::size_t>(st.st_size) >= header_size + record_size + trailer_size;
}

std::int64_t StatCache::now_ns() {
    struct timespec ts {};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return ns_of(ts);
}

bool StatCache::racily_clean(const FileStat& st, std::int64_t run_start_ns) {
    std::int64_t limit = run_start_ns - racy_margin_ns;
    return st.mtime_ns >= limit || st.ctime_ns >= limit;
}

std::uint64_t StatCache::key_of(std::string_view source) {
    return path_key(source);
}

std::optional<Digest> StatCache::lookup(std::string_view source, const FileStat& st) {
    return lookup(path_key(source), st);
}

std::optional<Digest> StatCache::lookup(std::uint64_t key, const FileStat& st) {
    std::uint32_t seq = ++m_seq;
    auto hit = [&](std::size_t i) -> std::optional<Digest> {
        if (m_seq_of[i] == 0) {
            ++m_hits;
        }
        m_seq_of[i] = seq;
        m_cursor = i + 1;
        return m_loaded[i].digest;
    };
    if (m_cursor < m_loaded.size() && m_loaded[m_cursor].key == key &&
        m_loaded[m_cursor].stat == st) {
        return hit(m_cursor);
    }
    if (!m_loaded.empty()) {
        ++m_out_of_order;
        if (m_by_key.empty()) {
            index_by_key();
        }
        std::size_t b = bucket_of(key);
        for (std::size_t j = m_buckets[b]; j < m_buckets[b + 1]; ++j) {
            std::size_t i = m_by_key[j];
            if (m_loaded[i].key == key && m_loaded[i].stat == st) {
                return hit(i);
            }
        }
    }
    m_misses.emplace_back(key, seq);
    return std::nullopt;
}

void StatCache::reserve(std::size_t files) {
    std::lock_guard lock(m_mutex);
    m_fresh.reserve(files);
}

bool StatCache::record(std::string_view source, const FileStat& st, const Digest& digest) {
    if (racily_clean(st, m_run_start_ns)) {
        return false;
    }
    Record r{path_key(source), st, digest};
    std::lock_guard lock(m_mutex);
    m_fresh.push_back(r);
    return true;
}

void StatCache::save() noexcept {
    try {
        std::lock_guard lock(m_mutex);
        // Rewritten also when the records are out of this run's order (a file of an older
        // version, or files renamed), so that the next run finds them one after another.
        if (m_fresh.empty() && m_hits == m_loaded.size() && m_out_of_order <= m_hits / 8) {
            return; // the file already says exactly this
        }
        // In the order of this run's lookups (see load()): a fresh record takes the place of the
        // lookup that missed it. Indices, not copies: the cache of a large tree is megabytes.
        std::sort(m_misses.begin(), m_misses.end());
        // A file copied twice (two layers) is hashed twice: keep one record of it.
        auto as_tuple = [](const Record& r) {
            return std::tie(r.key, r.stat.size, r.stat.mtime_ns, r.stat.ctime_ns, r.stat.ino,
                            r.stat.dev);
        };
        std::sort(m_fresh.begin(), m_fresh.end(),
                  [&](const Record& a, const Record& b) { return as_tuple(a) < as_tuple(b); });
        m_fresh.erase(std::unique(m_fresh.begin(), m_fresh.end(),
                                  [&](const Record& a, const Record& b) {
                                      return as_tuple(a) == as_tuple(b);
                                  }),
                      m_fresh.end());
        auto seq_of_fresh = [&](std::uint64_t key) {
            auto it = std::lower_bound(m_misses.begin(), m_misses.end(),
                                       std::pair<std::uint64_t, std::uint32_t>(key, 0));
            return it != m_misses.end() && it->first == key ? it->second : UINT32_MAX;
        };
        const std::size_t fresh_bit = std::size_t{1} << 63;
        std::vector<std::pair<std::uint32_t, std::size_t>> ordered; // (lookup, record)
        ordered.reserve(m_hits + m_fresh.size());
        for (std::size_t i = 0; i < m_loaded.size(); ++i) {
            if (m_seq_of[i] != 0) {
                ordered.emplace_back(m_seq_of[i], i);
            }
        }
        for (std::size_t i = 0; i < m_fresh.size(); ++i) {
            ordered.emplace_back(seq_of_fresh(m_fresh[i].key), i | fresh_bit);
        }
        std::stable_sort(ordered.begin(), ordered.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        auto record_at = [&](std::size_t i) -> const Record& {
            return (i & fresh_bit) != 0 ? m_fresh[i & ~fresh_bit] : m_loaded[i];
        };

        // Temp file beside the target, then rename: concurrent runs replace the file whole and
        // readers see one complete version. No fsync: after a crash a torn file fails its
        // checksum and is ignored, which costs one re-hash, not a wrong tag.
        fs::path dir = m_file.parent_path();
        std::error_code ec;
        fs::create_directories(dir, ec);
        std::string name = m_file.filename().string();
        std::string tmpl = (dir / fmt::format(".{}.tmp.XXXXXX", name)).string();
        int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
        if (fd < 0) {
            spdlog::debug("stat cache {}: cannot write: {}", m_file.string(), std::strerror(errno));
            return;
        }
        // Written through a small buffer, checksummed on the way: no copy of the whole file.
        util::Sha256 sum;
        std::string buf;
        buf.reserve(1 << 16);
        bool ok = true;
        int err = 0;
        auto flush = [&] {
            sum.update(buf);
            if (ok) {
                err = util::write_all(fd, buf.data(), buf.size());
                ok = err == 0;
            }
            buf.clear();
        };
        auto emit = [&](auto fill, std::size_t n) {
            if (buf.size() + n > buf.capacity()) {
                flush();
            }
            std::size_t at = buf.size();
            buf.resize(at + n);
            auto* w = reinterpret_cast<unsigned char*>(buf.data()) + at;
            fill(w);
        };
        emit(
            [&](unsigned char* w) {
                std::memcpy(w, magic, sizeof magic);
                w += sizeof magic;
                put<std::uint32_t>(w, order_mark);
                put<std::uint32_t>(w, static_cast<std::uint32_t>(record_size));
                put<std::uint64_t>(w, ordered.size());
                put<std::int64_t>(w, m_run_start_ns);
                put<std::uint64_t>(w, 0);
            },
            header_size);
        for (const auto& [seq, index] : ordered) {
            const Record& r = record_at(index);
            emit(
                [&](unsigned char* w) {
                    put(w, r.key);
                    put(w, r.stat.size);
                    put(w, r.stat.mtime_ns);
                    put(w, r.stat.ctime_ns);
                    put(w, r.stat.ino);
                    put(w, r.stat.dev);
                    std::memcpy(w, r.digest.data(), r.digest.size());
                },
                record_size);
        }
        flush();
        Digest trailer = sum.finish();
        buf.assign(reinterpret_cast<const char*>(trailer.data()), trailer.size());
        if (ok) {
            err = util::write_all(fd, buf.data(), buf.size());
            ok = err == 0;
        }
        if (::close(fd) != 0 && ok) {
            ok = false;
            err = errno;
        }
        if (!ok || ::rename(tmpl.c_str(), m_file.c_str()) != 0) {
            err = ok ? errno : err;
            ::unlink(tmpl.c_str());
            spdlog::debug("stat cache {}: cannot write: {}", m_file.string(), std::strerror(err));
            return;
        }
        spdlog::debug("stat cache {}: {} records saved", m_file.string(), ordered.size());
        remove_stale(dir);
    } catch (const std::exception& e) {
        spdlog::debug("stat cache {}: not saved: {}", m_file.string(), e.what());
    }
}

} // namespace imgspec::plan
