#pragma once
// The lock file: the digest of every external image a spec's Dockerfiles start from (its base, the
// uv image, a syntax image, its `from: spec` parents' bases), so that an upstream move changes the
// tag only when the lock is updated. Written beside the spec as `<spec file>.lock` by
// `imgspec lock`; read (never written) by everything else.
//
// The format is TOML, written canonically (sorted by reference, then by platform), so YAML and
// TOML twins of a spec give byte-identical locks and a diff shows exactly what moved:
//
//   # imgspec lock file: ...
//   version = 1
//
//   [[image]]
//   reference = "python:3.12-slim-bookworm"
//   digest = "sha256:<index or manifest digest>"
//   platforms."linux/amd64" = "sha256:<that platform's manifest digest>"
//   platforms."linux/arm64" = "sha256:..."

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace imgspec::lock {

inline constexpr int format_version = 1;

struct LockedImage {
    std::string reference; // as the Dockerfile names it, without a digest
    std::string digest;    // "sha256:<64 hex>": the index, or the manifest of a one-platform image
    // Normalized platform -> its image manifest's digest. Empty for an image that runs on the
    // build host whatever the target (a `# syntax=` frontend).
    std::map<std::string, std::string> platforms;
    int line = 0; // where its entry starts in the file read; 0 for one made in memory

    bool operator==(const LockedImage& o) const {
        return reference == o.reference && digest == o.digest && platforms == o.platforms;
    }
};

struct Lock {
    std::filesystem::path file;      // where it was read from (or goes)
    std::vector<LockedImage> images; // sorted by reference, each reference once

    // The entry of `reference`, or nullptr.
    const LockedImage* find(std::string_view reference) const;
};

// What a spec's Dockerfiles need locked: reference -> the platforms it is used for (empty for a
// syntax image).
using Needs = std::map<std::string, std::set<std::string>>;

// `<spec file>.lock`: image.yaml -> image.yaml.lock (never clashes with a uv.lock or
// poetry.lock beside it).
std::filesystem::path lock_path(const std::filesystem::path& spec_file);

// The canonical text of a lock (images sorted by reference, platforms sorted).
std::string format_lock(const Lock& lock);

// Parse a lock file's text. `file` names it in messages.
// Throws SpecError (exit 3) with the file, line and column of every problem: TOML syntax (a
// corrupt file, merge-conflict markers), a newer format version, unknown or missing keys, a digest
// that is not sha256:<64 hex>, a reference that is not an image reference or has a digest already,
// an unknown platform, a reference listed twice.
Lock parse_lock(std::string_view text, const std::string& file);

// The lock beside `spec_file`, or nullopt when there is none.
// Throws SpecError as parse_lock, Error(other) when it exists but cannot be read.
std::optional<Lock> read_lock(const std::filesystem::path& spec_file);

// Write `lock` to lock.file atomically (a temp file renamed over it: never half a lock, and the
// old one stays when anything fails). Throws Error(other) on an I/O failure.
void write_lock(const Lock& lock);

// Why `lock` does not match `needs`, one line each ("python:3.13 is not locked", "python:3.12 is
// locked but no Dockerfile of the spec uses it"); empty when it matches. Platforms are not
// compared: the FROM line names the index, which holds every platform (a spec that adds one, or
// `build --platform`, needs no new lock; `imgspec lock` adds the platform's digest from the
// locked index itself).
std::vector<std::string> mismatches(const Lock& lock, const Needs& needs);

// How a locked image compares with what its registry holds now.
struct Drift {
    std::string reference;
    std::string locked;  // digest in the lock
    std::string current; // digest in the registry
    // The locked platforms whose image moved: platform -> (locked, current).
    std::map<std::string, std::pair<std::string, std::string>> platforms;
    // The reference points elsewhere: `lock --update` would change the Dockerfile and the tag.
    bool moved() const { return locked != current; }
};

// `current` as resolved now against `locked`. A moved index whose images for the locked platforms
// are the same (another platform or an attestation changed) is still moved (the FROM line names
// the index), with no platform listed.
Drift compare(const LockedImage& locked, const LockedImage& current);

} // namespace imgspec::lock
