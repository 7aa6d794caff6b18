// The planner's secrets: each id once, where its value comes from, and its file under any name
// (which is never copied into the context).

#include "planner.hpp"

#include <imgspec/spec/model.hpp>

#include <algorithm>
#include <cstdlib>

#include <sys/stat.h>

namespace imgspec::plan::detail {

void Planner::collect_secret(const spec::SecretMount& m, const std::string& path) {
    std::string id = m.group.empty() ? m.key : m.group + "_" + m.key;
    (void)path;
    add_secret(m.key, id);
}

// Each id once, in the order first seen; a set, as one RUN may mount 100k secrets.
void Planner::add_secret(const std::string& key, const std::string& id) {
    if (m_secret_ids.insert(id).second) {
        m_plan.secrets.push_back(secret_source(key, id));
    }
}

// Where a secret's value comes from: its definition, else the environment variable of its name.
SecretSource Planner::secret_source(const std::string& key, const std::string& id) const {
    SecretSource src{id, {}, {}};
    auto it = m_spec.secrets.find(key);
    if (it == m_spec.secrets.end()) {
        // Undefined: the host's variable as the Flyte SDK names it (github-pat: GITHUB_PAT).
        spec::SecretMount m;
        m.key = id;
        src.env = spec::secret_env_name(m);
    } else if (!it->second.env.empty()) {
        src.env = it->second.env;
    } else {
        src.file = secret_file(it->second.file).string();
    }
    return src;
}

// A secret's file as the build reads it: ~/ is $HOME, a relative path is the spec's folder's.
// One answer everywhere a secret's path is used or compared.
fs::path Planner::secret_file(const fs::path& file) const {
    const std::string& s = file.native();
    if (s.rfind("~/", 0) == 0) {
        const char* home = std::getenv("HOME");
        return (fs::path(home ? home : "") / s.substr(2)).lexically_normal();
    }
    return (file.is_relative() ? m_root / file : file).lexically_normal();
}

// A secret's file under any name: its path, or a hard link to it (same device and inode).
bool Planner::is_secret_identity(const fs::path& p) const {
    struct stat st {};
    if (m_secret_inodes.empty() || ::lstat(p.c_str(), &st) != 0) {
        return false;
    }
    return std::find(m_secret_inodes.begin(), m_secret_inodes.end(),
                     std::pair{static_cast<std::uint64_t>(st.st_dev),
                               static_cast<std::uint64_t>(st.st_ino)}) != m_secret_inodes.end();
}

} // namespace imgspec::plan::detail
