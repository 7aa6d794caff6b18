#include <imgspec/lock/lock_file.hpp>

#include <imgspec/core/error.hpp>
#include <imgspec/spec/names.hpp>
#include <imgspec/spec/node.hpp>
#include <imgspec/spec/platform.hpp>
#include <imgspec/util/atomic_file.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace imgspec::lock {

namespace fs = std::filesystem;
using spec::Node;

namespace {

// A TOML basic string. References, platforms and digests are checked to hold no quote, backslash
// or control character, but the writer does not rely on it.
std::string quoted(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20 || u == 0x7f) {
            out += fmt::format("\\u{:04X}", static_cast<unsigned>(u));
        } else {
            out += c;
        }
    }
    return out + "\"";
}

bool is_digest(const std::string& d) {
    if (d.size() != 7 + 64 || d.compare(0, 7, "sha256:") != 0) {
        return false;
    }
    return std::all_of(d.begin() + 7, d.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) != 0 || (c >= 'a' && c <= 'f');
    });
}

class Reader {
  public:
    Reader(std::string file, Diagnostics& diags) : m_file(std::move(file)), m_diags(diags) {}

    Lock read(const Node& root) {
        Lock lock;
        if (root.kind != Node::Kind::map) {
            error(root.mark, "", "a lock file is a TOML table with `version` and `[[image]]`");
            return lock;
        }
        const Node* version = root.find("version");
        if (version == nullptr) {
            error(root.mark, "version", "missing key");
        } else if (version->kind != Node::Kind::integer) {
            error(version->mark, "version",
                  fmt::format("expected an integer, got {}", spec::describe(version->kind)));
        } else {
            long v = std::strtol(version->scalar.c_str(), nullptr, 10);
            if (v > format_version) {
                m_diags.error(m_file, version->mark, "version",
                              fmt::format("format version {} is newer than this imgspec reads "
                                          "({})",
                                          version->scalar, format_version),
                              "it was written by a newer imgspec: update imgspec");
                return lock; // the rest may mean something else
            }
            if (v < 1) {
                error(version->mark, "version",
                      fmt::format("unknown format version {}", version->scalar));
            }
        }
        for (std::size_t i = 0; i < root.entries.size(); ++i) {
            const auto& [k, v] = root.entries[i];
            if (k == "version") {
                continue;
            }
            if (k != "image") {
                unknown(root.key_marks[i], k, k, {"version", "image"});
                continue;
            }
            if (v.kind != Node::Kind::list) {
                error(v.mark, k, "expected [[image]] tables");
                continue;
            }
            for (std::size_t j = 0; j < v.items.size(); ++j) {
                image(v.items[j], fmt::format("image[{}]", j), lock);
            }
        }
        std::sort(
            lock.images.begin(), lock.images.end(),
            [](const LockedImage& a, const LockedImage& b) { return a.reference < b.reference; });
        return lock;
    }

  private:
    void error(Mark mark, const std::string& path, const std::string& message,
               const std::string& hint = {}) {
        m_diags.error(m_file, mark, path, message,
                      hint.empty() ? "the lock file is written by `imgspec lock`; do not edit it "
                                     "by hand (`imgspec lock --update SPEC` writes it anew)"
                                   : hint);
    }

    void unknown(Mark mark, const std::string& path, const std::string& key,
                 const std::vector<std::string>& known) {
        std::string hint;
        if (auto near = util::closest_match(key, known); !near.empty()) {
            hint = fmt::format("did you mean '{}'?", near);
        }
        error(mark, path, "unknown key", hint);
    }

    // A string value that is a digest; "" (and a diagnostic) when it is not.
    std::string digest(const Node& n, const std::string& path) {
        if (n.kind != Node::Kind::string) {
            error(n.mark, path, fmt::format("expected a digest, got {}", spec::describe(n.kind)));
            return {};
        }
        if (!is_digest(n.scalar)) {
            error(n.mark, path,
                  fmt::format("'{}' is not a digest (sha256: and 64 lower-case hex digits)",
                              n.scalar));
            return {};
        }
        return n.scalar;
    }

    void image(const Node& n, const std::string& path, Lock& lock) {
        if (n.kind != Node::Kind::map) {
            error(n.mark, path, "expected a table with reference, digest and platforms");
            return;
        }
        LockedImage img;
        img.line = n.mark.line;
        bool ok = true;
        for (std::size_t i = 0; i < n.entries.size(); ++i) {
            const auto& [k, v] = n.entries[i];
            const std::string at = path + "." + k;
            if (k == "reference") {
                if (v.kind != Node::Kind::string) {
                    error(v.mark, at,
                          fmt::format("expected a string, got {}", spec::describe(v.kind)));
                    ok = false;
                } else if (auto e = spec::check_image_ref(v.scalar); !e.empty()) {
                    error(v.mark, at, e);
                    ok = false;
                } else if (v.scalar.find('@') != std::string::npos) {
                    error(v.mark, at, "a locked reference has no digest of its own");
                    ok = false;
                } else {
                    img.reference = v.scalar;
                    if (lock.find(img.reference) != nullptr) {
                        error(v.mark, at, fmt::format("'{}' is locked twice", v.scalar));
                        ok = false;
                    }
                }
            } else if (k == "digest") {
                img.digest = digest(v, at);
                ok = ok && !img.digest.empty();
            } else if (k == "platforms") {
                if (v.kind != Node::Kind::map) {
                    error(v.mark, at, "expected a table of platform = digest");
                    ok = false;
                    continue;
                }
                for (std::size_t j = 0; j < v.entries.size(); ++j) {
                    const auto& [pk, pv] = v.entries[j];
                    auto p = spec::Platform::parse(pk);
                    if (!p || p->str() != pk) {
                        error(v.key_marks[j], at + "." + pk,
                              fmt::format("'{}' is not a platform as imgspec writes it", pk));
                        ok = false;
                        continue;
                    }
                    std::string d = digest(pv, at + "." + pk);
                    ok = ok && !d.empty();
                    img.platforms[pk] = d;
                }
            } else {
                unknown(n.key_marks[i], at, k, {"reference", "digest", "platforms"});
                ok = false;
            }
        }
        for (const char* key : {"reference", "digest"}) {
            if (n.find(key) == nullptr) {
                error(n.mark, path, fmt::format("missing key '{}'", key));
                ok = false;
            }
        }
        if (ok) {
            lock.images.push_back(std::move(img));
        }
    }

    std::string m_file;
    Diagnostics& m_diags;
};

} // namespace

const LockedImage* Lock::find(std::string_view reference) const {
    for (const auto& i : images) {
        if (i.reference == reference) {
            return &i;
        }
    }
    return nullptr;
}

fs::path lock_path(const fs::path& spec_file) {
    fs::path p = spec_file;
    p += ".lock";
    return p;
}

std::string format_lock(const Lock& lock) {
    std::vector<const LockedImage*> sorted;
    for (const auto& i : lock.images) {
        sorted.push_back(&i);
    }
    std::sort(sorted.begin(), sorted.end(), [](const LockedImage* a, const LockedImage* b) {
        return a->reference < b->reference;
    });
    std::string out =
        "# imgspec lock file: the images this spec's Dockerfiles start from, by digest.\n"
        "# Written by `imgspec lock`; `imgspec lock --update [REFERENCE]` refreshes it and\n"
        "# `imgspec outdated` lists what moved upstream. Keep it with the spec; do not edit it.\n";
    out += fmt::format("version = {}\n", format_version);
    for (const LockedImage* i : sorted) {
        out += "\n[[image]]\n";
        out += "reference = " + quoted(i->reference) + "\n";
        out += "digest = " + quoted(i->digest) + "\n";
        for (const auto& [platform, digest] : i->platforms) {
            out += "platforms." + quoted(platform) + " = " + quoted(digest) + "\n";
        }
    }
    return out;
}

Lock parse_lock(std::string_view text, const std::string& file) {
    Node root = spec::load_toml(text, file);
    Diagnostics diags;
    if (root.kind == Node::Kind::null) {
        diags.error(file, {1, 1}, "", "the lock file is empty",
                    "`imgspec lock --update SPEC` writes it anew");
        diags.throw_if_any();
    }
    Lock lock = Reader(file, diags).read(root);
    diags.throw_if_any();
    return lock;
}

std::optional<Lock> read_lock(const fs::path& spec_file) {
    fs::path file = lock_path(spec_file);
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        std::error_code ec;
        if (!fs::exists(fs::symlink_status(file, ec))) {
            return std::nullopt;
        }
        throw Error(ErrorKind::other, fmt::format("cannot read {}: {}", printable(file.string()),
                                                  std::strerror(errno)));
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    Lock lock = parse_lock(ss.str(), file.string());
    lock.file = file;
    return lock;
}

void write_lock(const Lock& lock) {
    util::AtomicFile out(lock.file);
    out.write(format_lock(lock));
    out.commit();
}

std::vector<std::string> mismatches(const Lock& lock, const Needs& needs) {
    std::vector<std::string> out;
    for (const auto& need : needs) {
        if (lock.find(need.first) == nullptr) {
            out.push_back(fmt::format("{} is not locked", need.first));
        }
    }
    for (const auto& i : lock.images) {
        if (needs.count(i.reference) == 0) {
            out.push_back(
                fmt::format("{} is locked but no Dockerfile of the spec uses it", i.reference));
        }
    }
    return out;
}

Drift compare(const LockedImage& locked, const LockedImage& current) {
    Drift d;
    d.reference = locked.reference;
    d.locked = locked.digest;
    d.current = current.digest;
    for (const auto& [platform, digest] : locked.platforms) {
        auto it = current.platforms.find(platform);
        std::string now = it == current.platforms.end() ? std::string() : it->second;
        if (now != digest) {
            d.platforms[platform] = {digest, now};
        }
    }
    return d;
}

} // namespace imgspec::lock
