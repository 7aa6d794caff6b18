#include <imgspec/pipeline/explain.hpp>

#include <imgspec/core/error.hpp>
#include <imgspec/plan/stat_cache.hpp>
#include <imgspec/util/atomic_file.hpp>
#include <imgspec/util/sha256.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>

namespace imgspec::pipeline {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr int record_version = 1;

fs::path cache_root(fs::path dir) {
    return dir.empty() ? plan::StatCache::default_dir() : dir;
}

// The spec file's key: 32 hex digits of its absolute path, the stat cache's name for its file.
std::string spec_key(const fs::path& spec_file) {
    return plan::StatCache::file_for({}, spec_file).filename().string();
}

bool is_tag(std::string_view t) {
    return t.size() == 32 && std::all_of(t.begin(), t.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

std::optional<std::string> read_small(const fs::path& file, std::size_t limit) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::string text(limit, '\0');
    in.read(text.data(), static_cast<std::streamsize>(limit));
    text.resize(static_cast<std::size_t>(in.gcount()));
    return text;
}

std::optional<TagRecord> load(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::ostringstream text;
    text << in.rdbuf();
    try {
        return parse_record(text.str());
    } catch (const Error&) {
        return std::nullopt; // a damaged record is as good as none
    }
}

void write_atomically(const fs::path& file, std::string_view text) {
    util::AtomicFile out(file);
    out.write(text);
    out.commit(util::AtomicFile::Durability::unsynced);
}

std::string now_utc() {
    std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

// The layer index of a context path "layers/<n>/...", if it is one.
std::optional<std::size_t> layer_of(std::string_view path) {
    constexpr std::string_view prefix = "layers/";
    if (path.substr(0, prefix.size()) != prefix) {
        return std::nullopt;
    }
    std::string_view rest = path.substr(prefix.size());
    std::size_t n = 0;
    std::size_t i = 0;
    for (; i < rest.size() && rest[i] >= '0' && rest[i] <= '9' && i < 9; ++i) {
        n = n * 10 + static_cast<std::size_t>(rest[i] - '0');
    }
    if (i == 0 || (i < rest.size() && rest[i] != '/')) {
        return std::nullopt;
    }
    return n;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        lines.push_back(line);
    }
    return lines;
}

// The lines that differ between a and b, in order ("- " removed, "+ " added): a longest common
// subsequence over lines. A Dockerfile is a few hundred lines at most; past 4,000 either way the
// whole of both is listed rather than spend quadratic memory.
std::vector<std::string> line_diff(const std::vector<std::string>& a,
                                   const std::vector<std::string>& b) {
    std::vector<std::string> out;
    if (a.size() > 4000 || b.size() > 4000) {
        for (const auto& l : a) {
            out.push_back("- " + l);
        }
        for (const auto& l : b) {
            out.push_back("+ " + l);
        }
        return out;
    }
    const std::size_t n = a.size();
    const std::size_t m = b.size();
    std::vector<std::vector<std::uint16_t>> lcs(n + 1, std::vector<std::uint16_t>(m + 1, 0));
    for (std::size_t i = n; i-- > 0;) {
        for (std::size_t j = m; j-- > 0;) {
            lcs[i][j] = a[i] == b[j] ? static_cast<std::uint16_t>(lcs[i + 1][j + 1] + 1)
                                     : std::max(lcs[i + 1][j], lcs[i][j + 1]);
        }
    }
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < n || j < m) {
        if (i < n && j < m && a[i] == b[j]) {
            ++i;
            ++j;
        } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
            out.push_back("- " + a[i++]); // removed lines before the added ones, as diff does
        } else {
            out.push_back("+ " + b[j++]);
        }
    }
    return out;
}

} // namespace

std::string layer_name(const TagRecord& r, const std::string& path) {
    if (auto n = layer_of(path)) {
        auto it = r.layers.find(*n);
        return it != r.layers.end() ? it->second : fmt::format("layers[{}]", *n);
    }
    return "generated files";
}

TagRecord record_of(const Image& img, const fs::path& spec_file) {
    TagRecord r;
    std::error_code ec;
    fs::path abs = fs::weakly_canonical(fs::absolute(spec_file, ec), ec);
    r.spec = abs.string();
    r.tag = img.tag;
    r.uri = img.uri;
    r.computed = now_utc();
    r.platforms = spec::platform_names(img.plan.platforms);
    r.dockerfile = img.dockerfile;
    for (std::size_t i = 0; i < img.plan.layers.size(); ++i) {
        r.layers[i] = fmt::format("layers[{}] {}", i, img.plan.layers[i].layer.kind);
    }
    const fs::path dir = abs.parent_path();
    r.files.reserve(img.context.entries.size());
    for (const auto& e : img.context.entries) {
        if (e.path == img.plan.dockerfile_path && !e.content.empty()) {
            continue;
        }
        TagRecord::File f;
        f.path = e.path;
        f.mode = e.mode;
        if (!e.source.empty()) {
            f.source = fs::path(e.source).lexically_relative(dir).string();
        }
        switch (e.type) {
        case plan::EntryType::file:
            f.type = 'f';
            f.digest = util::to_hex(e.digest);
            break;
        case plan::EntryType::directory:
            f.type = 'd';
            break;
        case plan::EntryType::symlink:
            f.type = 'l';
            f.digest = e.link_target;
            break;
        }
        r.files.push_back(std::move(f));
    }
    return r;
}

std::string record_json(const TagRecord& r) {
    json files = json::array();
    for (const auto& f : r.files) {
        files.push_back(json::array({f.path, std::string(1, f.type), f.mode, f.digest, f.source}));
    }
    json layers = json::object();
    for (const auto& [i, name] : r.layers) {
        layers[std::to_string(i)] = name;
    }
    json j = {{"version", record_version},
              {"spec", r.spec},
              {"tag", r.tag},
              {"uri", r.uri},
              {"computed", r.computed},
              {"platforms", r.platforms},
              {"dockerfile", r.dockerfile},
              {"layers", layers},
              {"files", files}};
    // Invalid UTF-8 (a file name, say) is written as U+FFFD: such a path still compares, as its
    // replacement.
    return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

TagRecord parse_record(std::string_view text) {
    try {
        json j = json::parse(text);
        if (j.at("version").get<int>() != record_version) {
            throw Error(ErrorKind::other, "a tag record of another version");
        }
        TagRecord r;
        r.spec = j.at("spec").get<std::string>();
        r.tag = j.at("tag").get<std::string>();
        r.uri = j.at("uri").get<std::string>();
        r.computed = j.at("computed").get<std::string>();
        r.platforms = j.at("platforms").get<std::vector<std::string>>();
        r.dockerfile = j.at("dockerfile").get<std::string>();
        for (const auto& [k, v] : j.at("layers").items()) {
            r.layers[std::stoul(k)] = v.get<std::string>();
        }
        for (const auto& f : j.at("files")) {
            TagRecord::File file;
            file.path = f.at(0).get<std::string>();
            file.type = f.at(1).get<std::string>().at(0);
            file.mode = f.at(2).get<unsigned>();
            file.digest = f.at(3).get<std::string>();
            file.source = f.at(4).get<std::string>();
            r.files.push_back(std::move(file));
        }
        return r;
    } catch (const json::exception& e) {
        throw Error(ErrorKind::other, std::string("a damaged tag record: ") + e.what());
    } catch (const std::logic_error& e) { // stoul, at(0) of an empty string
        throw Error(ErrorKind::other, std::string("a damaged tag record: ") + e.what());
    }
}

void remember(const Image& img, const fs::path& spec_file, fs::path cache_dir) {
    cache_dir = cache_root(std::move(cache_dir));
    if (cache_dir.empty() || !is_tag(img.tag)) {
        return;
    }
    try {
        const fs::path pointer = cache_dir / "specs" / spec_key(spec_file);
        const std::string line = img.tag + "\n";
        if (read_small(pointer, 64) == line) {
            return; // the tag this spec gave last time: its record is there
        }
        const fs::path tags = cache_dir / "tags";
        fs::create_directories(tags);
        fs::create_directories(pointer.parent_path());
        std::error_code ec;
        if (!fs::is_regular_file(tags / img.tag, ec)) {
            write_atomically(tags / img.tag, record_json(record_of(img, spec_file)));
            plan::remove_stale(tags);
            plan::remove_stale(pointer.parent_path());
        }
        write_atomically(pointer, line);
    } catch (const std::exception&) {
        // A cache that cannot be written costs `explain` its answer, never the command its run.
    }
}

std::optional<TagRecord> last_record(const fs::path& spec_file, fs::path cache_dir) {
    cache_dir = cache_root(std::move(cache_dir));
    if (cache_dir.empty()) {
        return std::nullopt;
    }
    auto line = read_small(cache_dir / "specs" / spec_key(spec_file), 64);
    if (!line || line->size() != 33 || line->back() != '\n') {
        return std::nullopt;
    }
    return record_of_tag(line->substr(0, 32), cache_dir);
}

std::optional<TagRecord> record_of_tag(const std::string& tag, fs::path cache_dir) {
    cache_dir = cache_root(std::move(cache_dir));
    if (cache_dir.empty() || !is_tag(tag)) {
        return std::nullopt;
    }
    auto r = load(cache_dir / "tags" / tag);
    if (r && r->tag != tag) {
        return std::nullopt;
    }
    return r;
}

Explanation explain(const TagRecord& before, const TagRecord& after) {
    Explanation e;
    e.before_tag = before.tag;
    e.after_tag = after.tag;
    e.before_computed = before.computed;
    e.dockerfile = line_diff(lines_of(before.dockerfile), lines_of(after.dockerfile));
    e.platforms_before = before.platforms;
    e.platforms_after = after.platforms;

    // Both lists are sorted by path: one merge pass.
    std::map<std::string, Explanation::Layer> layers;
    auto note = [&](char change, const TagRecord& r, const TagRecord::File& f) {
        if (f.type == 'd') {
            return; // a folder adds nothing a file in it does not say
        }
        std::string layer = layer_name(r, f.path);
        auto& l = layers[layer];
        l.name = layer;
        (change == '+' ? l.added : change == '-' ? l.removed : l.changed) += 1;
        e.files.push_back({change, f.source.empty() ? f.path : f.source, layer});
    };
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < before.files.size() || j < after.files.size()) {
        if (j == after.files.size() ||
            (i < before.files.size() && before.files[i].path < after.files[j].path)) {
            note('-', before, before.files[i++]);
        } else if (i == before.files.size() || after.files[j].path < before.files[i].path) {
            note('+', after, after.files[j++]);
        } else {
            const auto& a = before.files[i++];
            const auto& b = after.files[j++];
            if (a.type != b.type || a.mode != b.mode || a.digest != b.digest) {
                note('~', after, b);
            }
        }
    }
    for (auto& [name, l] : layers) {
        e.layers.push_back(std::move(l));
    }
    return e;
}

std::string explanation_text(const Explanation& e, std::string_view spec) {
    std::string out;
    if (e.same()) {
        return fmt::format("{}: tag {} is the one computed {} (nothing changed)\n", spec,
                           e.after_tag, e.before_computed);
    }
    out += fmt::format("{}: tag {} (was {}, computed {})\n", spec, e.after_tag, e.before_tag,
                       e.before_computed);
    if (!e.dockerfile.empty()) {
        out += "Dockerfile:\n";
        for (const auto& l : e.dockerfile) {
            out += "  " + printable(l) + "\n";
        }
    }
    for (const auto& l : e.layers) {
        std::vector<std::string> counts;
        for (auto [n, word] : {std::pair{l.changed, "changed"}, std::pair{l.added, "added"},
                               std::pair{l.removed, "removed"}}) {
            if (n > 0) {
                counts.push_back(fmt::format("{} {}", n, word));
            }
        }
        if (!l.files_known) {
            counts.emplace_back("files changed (which is not known: the other tag's file list "
                                "is not on this machine)");
        }
        out += fmt::format("{}: {}\n", l.name, util::join(counts, ", "));
        for (const auto& f : e.files) {
            if (f.layer == l.name) {
                out += fmt::format("  {} {}\n", f.change, printable(f.path));
            }
        }
    }
    if (e.platforms_before != e.platforms_after) {
        out += fmt::format("platforms: {} -> {}\n", util::join(e.platforms_before, ", "),
                           util::join(e.platforms_after, ", "));
    }
    if (e.dockerfile.empty() && e.files.empty() && e.platforms_before == e.platforms_after) {
        out += "nothing this machine recorded differs (a tag of another imgspec version?)\n";
    }
    return out;
}

std::string explanation_json(const Explanation& e, std::string_view spec) {
    json files = json::array();
    for (const auto& f : e.files) {
        files.push_back({{"change", f.change == '+'   ? "added"
                                    : f.change == '-' ? "removed"
                                                      : "changed"},
                         {"path", f.path},
                         {"layer", f.layer}});
    }
    json layers = json::array();
    for (const auto& l : e.layers) {
        layers.push_back({{"layer", l.name},
                          {"added", l.added},
                          {"removed", l.removed},
                          {"changed", l.changed},
                          {"files_known", l.files_known}});
    }
    json j = {{"spec", spec},
              {"tag", e.after_tag},
              {"previous_tag", e.before_tag},
              {"previous_computed", e.before_computed},
              {"changed", !e.same()},
              {"dockerfile", e.dockerfile},
              {"layers", layers},
              {"files", files},
              {"platforms", {{"before", e.platforms_before}, {"after", e.platforms_after}}}};
    return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

} // namespace imgspec::pipeline
