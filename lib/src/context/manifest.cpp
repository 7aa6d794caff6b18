#include <imgspec/context/manifest.hpp>

#include <imgspec/util/sha256.hpp>

#include <algorithm>
#include <string_view>

namespace imgspec::context {

using plan::Entry;
using plan::EntryType;
using plan::Manifest;

Manifest context_manifest(const Manifest& files, std::string dockerfile, const std::string& path) {
    return context_manifest(Manifest(files), std::move(dockerfile), path);
}

Manifest context_manifest(Manifest&& files, std::string dockerfile, const std::string& path) {
    Manifest m{std::move(files.entries)};
    files.entries.clear();
    auto by_path = [](const Entry& a, const Entry& b) { return a.path < b.path; };
    // The plan's files come sorted; the Dockerfile goes in at its place (a sort of the whole
    // context was 5 % of a run that found every digest in the stat cache).
    if (!std::is_sorted(m.entries.begin(), m.entries.end(), by_path)) {
        std::sort(m.entries.begin(), m.entries.end(), by_path);
    }
    Entry df;
    df.path = path;
    df.type = EntryType::file;
    df.mode = 0644;
    df.size = dockerfile.size();
    df.digest = util::sha256(dockerfile);
    df.content = std::move(dockerfile);
    auto at = std::lower_bound(m.entries.begin(), m.entries.end(), df, by_path);
    // A user's Dockerfile (from: dockerfile) is a file of the context already: it stays as it is.
    if (at == m.entries.end() || at->path != path) {
        m.entries.insert(at, std::move(df));
    }
    return m;
}

Manifest files_of_context(Manifest&& context, const std::string& path) {
    Manifest m{std::move(context.entries)};
    context.entries.clear();
    auto df = std::lower_bound(m.entries.begin(), m.entries.end(), std::string_view(path),
                               [](const Entry& e, std::string_view p) { return e.path < p; });
    if (df != m.entries.end() && df->path == path && df->source.empty()) {
        m.entries.erase(df);
    }
    return m;
}

} // namespace imgspec::context
