#pragma once
// Why a tag changed: what an image's tag covered (a record, kept in the cache each time a tag is
// computed for a spec file), and the difference between two records: the Dockerfile lines, then
// the layers whose files changed, then the files, then the platforms.
//
// The cache holds, under <cache>/imgspec (the stat cache's folder, never the project's):
//   specs/<32 hex of the spec file's path>  the last tag computed for that spec ("<tag>\n")
//   tags/<tag>                              what that tag covered (JSON, see record_json)
// Records older than 30 days are deleted when a new one is written (plan::remove_stale).

#include <imgspec/pipeline/pipeline.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imgspec::pipeline {

struct TagRecord {
    struct File {
        std::string path;   // in the context: layers/<n>/...
        std::string source; // on disk, relative to the spec's folder ("" for generated files)
        char type = 'f';    // 'f' file, 'd' folder, 'l' symlink
        unsigned mode = 0;
        std::string digest; // files: SHA-256 hex; symlinks: the target
        bool operator==(const File&) const = default;
    };
    std::string spec; // the spec file's absolute path
    std::string tag;
    std::string uri;
    std::string computed; // when, UTC, ISO 8601
    std::vector<std::string> platforms;
    std::string dockerfile;
    std::map<std::size_t, std::string> layers; // index -> "layers[3] source_folder"
    std::vector<File> files;                   // sorted by path, the Dockerfile left out
};

// What `img` covers. Pure but for the clock (`computed`).
TagRecord record_of(const Image& img, const std::filesystem::path& spec_file);

// The record as JSON and back. parse_record throws Error (other) on a damaged record.
std::string record_json(const TagRecord& record);
TagRecord parse_record(std::string_view json);

// Keeps the record of `img`'s tag as the last one computed for `spec_file` under `cache_dir`
// (empty: the stat cache's default folder). Costs one small read when the tag did not change.
// Best effort: a cache that cannot be written is skipped, never an error.
void remember(const Image& img, const std::filesystem::path& spec_file,
              std::filesystem::path cache_dir = {});

// The record of the last tag computed for `spec_file`, or of `tag`; nullopt when there is none
// (or it is damaged).
std::optional<TagRecord> last_record(const std::filesystem::path& spec_file,
                                     std::filesystem::path cache_dir = {});
std::optional<TagRecord> record_of_tag(const std::string& tag,
                                       std::filesystem::path cache_dir = {});

// The layer a context path belongs to: its name in `record` ("layers[3] source_folder"), or
// "generated files" for the Dockerfile's own files.
std::string layer_name(const TagRecord& record, const std::string& path);

// What a tag covers, small enough for an image annotation (covers_annotation): the Dockerfile's
// SHA-256, the platforms, and one SHA-256 per layer over its files' paths, types, modes and
// digests. Locked base digests are in the Dockerfile (`FROM ref@sha256:...`). `build` writes it
// on every image it pushes, so `explain --against URI` works on a machine that never computed
// that tag.
inline constexpr const char* covers_annotation = "io.imgspec.covers";
struct Covers {
    std::string tag;
    std::string dockerfile; // "sha256:<hex>"
    std::vector<std::string> platforms;
    std::map<std::string, std::string> layers; // layer name -> "sha256:<hex>"
    bool operator==(const Covers&) const = default;
};
Covers covers_of(const TagRecord& record);
// One line of JSON, keys sorted; parse_covers throws Error (other) on anything else.
std::string covers_json(const Covers& covers);
std::string covers_json(const Image& img);
Covers parse_covers(std::string_view json);

struct Explanation {
    std::string before_tag, after_tag;
    std::string before_computed;
    // The Dockerfile's changed lines, in order: "- old line" / "+ new line".
    std::vector<std::string> dockerfile;
    struct Layer {
        std::string name; // "layers[3] source_folder", or "generated files"
        int added = 0, removed = 0, changed = 0;
        bool files_known = true; // false against an annotation: which files is not known
    };
    std::vector<Layer> layers;
    struct File {
        char change; // '+' added, '-' removed, '~' changed
        std::string path;
        std::string layer;
    };
    std::vector<File> files;
    std::vector<std::string> platforms_before, platforms_after;

    bool same() const { return before_tag == after_tag; }
};

// The difference between two records. Pure.
Explanation explain(const TagRecord& before, const TagRecord& after);
// The same against an image's annotation: the Dockerfile's lines and the files are not known,
// only that the Dockerfile and which layers changed.
Explanation explain(const Covers& before, const TagRecord& after);

// For people (several lines) and for scripts (one JSON object).
std::string explanation_text(const Explanation& e, std::string_view spec);
std::string explanation_json(const Explanation& e, std::string_view spec);

} // namespace imgspec::pipeline
