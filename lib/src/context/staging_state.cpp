// The state file of a staged folder (staging_state.hpp).

#include "staging_state.hpp"

#include <imgspec/util/atomic_file.hpp>

#include <fmt/format.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string_view>

namespace imgspec::context::detail {

namespace fs = std::filesystem;
using plan::EntryType;

namespace {

constexpr std::string_view state_header = "imgspec-staged 1\n";

char type_char(EntryType t) {
    return t == EntryType::file ? 'f' : t == EntryType::symlink ? 'l' : 'd';
}

} // namespace

State read_state(const fs::path& file) {
    State state;
    std::ifstream in(file, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.compare(0, state_header.size(), state_header) != 0) {
        return state;
    }
    std::size_t at = state_header.size();
    auto field = [&](std::string& out) {
        std::size_t end = text.find('\0', at);
        if (end == std::string::npos) {
            return false;
        }
        out = text.substr(at, end - at);
        at = end + 1;
        return true;
    };
    std::string path;
    std::string fields;
    std::string link;
    while (at < text.size()) {
        if (!field(path) || !field(fields) || !field(link)) {
            return {};
        }
        std::istringstream f(fields);
        char t = 0;
        Record r;
        f >> t >> std::oct >> r.mode >> std::dec >> r.digest >> r.st.size >> r.st.mtime_ns >>
            r.st.ctime_ns >> r.st.ino >> r.st.dev;
        if (!f || (t != 'f' && t != 'l' && t != 'd')) {
            return {};
        }
        r.type = t == 'f' ? EntryType::file : t == 'l' ? EntryType::symlink : EntryType::directory;
        r.link = link;
        state[path] = std::move(r);
    }
    return state;
}

void write_state(const fs::path& file, const State& state) {
    std::string text(state_header);
    for (const auto& [path, r] : state) {
        text += path;
        text += '\0';
        text += fmt::format("{} {:o} {} {} {} {} {} {}", type_char(r.type), r.mode,
                            r.digest.empty() ? "-" : r.digest, r.st.size, r.st.mtime_ns,
                            r.st.ctime_ns, r.st.ino, r.st.dev);
        text += '\0';
        text += r.link;
        text += '\0';
    }
    util::AtomicFile out(file, 0600);
    out.write(text);
    out.commit(util::AtomicFile::Durability::unsynced);
}

} // namespace imgspec::context::detail
