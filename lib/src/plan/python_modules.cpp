// Which Python files a program loads (python_imports.hpp's reachable_modules): its imports,
// followed transitively through the files under a root.

#include <imgspec/plan/python_imports.hpp>

#include <imgspec/core/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <system_error>

namespace fs = std::filesystem;

namespace imgspec::plan {
namespace {

std::vector<std::string> split_dots(const std::string& module) {
    std::vector<std::string> parts;
    if (module.empty()) {
        return parts;
    }
    std::size_t start = 0;
    for (;;) {
        const std::size_t dot = module.find('.', start);
        parts.push_back(module.substr(start, dot - start));
        if (dot == std::string::npos) {
            break;
        }
        start = dot + 1;
    }
    return parts;
}

std::string join(const std::string& dir, const std::string& name) {
    return dir.empty() ? name : dir + "/" + name;
}

std::string parent_of(const std::string& rel) {
    const std::size_t slash = rel.rfind('/');
    return slash == std::string::npos ? std::string() : rel.substr(0, slash);
}

class Resolver {
  public:
    Resolver(fs::path root, fs::path real_root)
        : m_root(std::move(root)), m_real_root(std::move(real_root)) {
        m_real_prefix = m_real_root.string();
        if (m_real_prefix.empty() || m_real_prefix.back() != '/') {
            m_real_prefix += '/';
        }
    }

    bool is_file(const std::string& rel) { return check(rel, false); }
    bool is_dir(const std::string& rel) { return check(rel, true); }

    // Where an entry puts absolute imports' search: its own folder (sys.path[0] of `python
    // path/to/main.py`) and the folder above its top package (of `python -m pkg.main` there, as a
    // src/ layout runs). The root comes first, always.
    void add_search_roots(const std::string& entry) {
        std::string dir = parent_of(entry);
        add_search_root(dir);
        while (!dir.empty() && is_file(dir + "/__init__.py")) {
            dir = parent_of(dir);
        }
        add_search_root(dir);
    }

    // Records a file to load, with the __init__.py of every folder above it.
    void add(const std::string& rel) {
        if (m_found.insert(rel).second) {
            m_queue.push_back(rel);
        }
        for (std::string dir = parent_of(rel); !dir.empty(); dir = parent_of(dir)) {
            const std::string init = dir + "/__init__.py";
            if (init != rel && is_file(init) && m_found.insert(init).second) {
                m_queue.push_back(init);
            }
        }
    }

    void add_search_root(const std::string& dir) {
        if (std::find(m_search.begin(), m_search.end(), dir) == m_search.end()) {
            m_search.push_back(dir);
        }
    }

    std::vector<std::string> run() {
        while (!m_queue.empty()) {
            const std::string rel = m_queue.front();
            m_queue.pop_front();
            const std::string source = read(rel);
            for (const PythonImport& imp : scan_imports(source)) {
                resolve(rel, imp);
            }
        }
        return {m_found.begin(), m_found.end()};
    }

  private:
    // Whether root/rel is a regular file (or folder) whose real path stays under the root.
    bool check(const std::string& rel, bool dir) {
        auto& cache = dir ? m_dir_cache : m_file_cache;
        if (auto it = cache.find(rel); it != cache.end()) {
            return it->second;
        }
        std::error_code ec;
        const fs::path p = m_root / rel;
        const auto st = fs::status(p, ec);
        bool ok = !ec && (dir ? fs::is_directory(st) : fs::is_regular_file(st));
        if (ok) {
            const fs::path real = fs::canonical(p, ec);
            ok = !ec && real.string().rfind(m_real_prefix, 0) == 0;
        }
        cache.emplace(rel, ok);
        return ok;
    }

    std::string read(const std::string& rel) {
        std::ifstream in(m_root / rel, std::ios::binary);
        std::ostringstream ss;
        ss << in.rdbuf();
        if (!in && !in.eof()) {
            throw Error(ErrorKind::other, fmt::format("cannot read '{}'", (m_root / rel).string()));
        }
        return ss.str();
    }

    void resolve(const std::string& importer, const PythonImport& imp) {
        const std::vector<std::string> parts = split_dots(imp.module);
        for (const auto& p : parts) {
            if (p.empty()) {
                return;
            }
        }
        std::string base;
        if (imp.level == 0) {
            if (parts.empty() || parts[0] == "__future__") {
                return;
            }
            // Each place it may be found at run time; a file more in the image is harmless, a
            // file missing is an ImportError.
            for (const std::string& dir : m_search) {
                load_chain(dir, parts, imp.names);
            }
            return;
        } else {
            // The importer's package is its folder; each extra dot goes one folder up.
            base = parent_of(importer);
            for (int k = 1; k < imp.level; ++k) {
                if (base.empty()) {
                    return; // beyond the top-level package
                }
                base = parent_of(base);
            }
        }
        load_chain(base, parts, imp.names);
    }

    // Imports parts[0], parts[0].parts[1], ... from the folder `dir`, then the names that are
    // submodules of the last package.
    void load_chain(std::string dir, const std::vector<std::string>& parts,
                    const std::vector<std::string>& names) {
        for (const std::string& part : parts) {
            const std::string sub = join(dir, part);
            if (is_file(sub + "/__init__.py")) {
                add(sub + "/__init__.py");
                dir = sub;
            } else if (is_file(sub + ".py")) {
                add(sub + ".py");
                return; // a module: no submodules, and imported names are its attributes
            } else if (is_dir(sub)) {
                dir = sub; // namespace package
            } else {
                return; // not under the root
            }
        }
        for (const std::string& name : names) {
            if (name == "*") {
                continue;
            }
            const std::string sub = join(dir, name);
            if (is_file(sub + "/__init__.py")) {
                add(sub + "/__init__.py");
            } else if (is_file(sub + ".py")) {
                add(sub + ".py");
            }
        }
    }

    fs::path m_root;
    fs::path m_real_root;
    std::string m_real_prefix;
    std::vector<std::string> m_search{std::string()}; // folders absolute imports resolve in
    std::set<std::string> m_found;
    std::deque<std::string> m_queue;
    std::map<std::string, bool> m_file_cache;
    std::map<std::string, bool> m_dir_cache;
};

} // namespace

std::vector<std::string> reachable_modules(const fs::path& root,
                                           const std::vector<std::string>& entries) {
    std::error_code ec;
    if (!fs::is_directory(root, ec)) {
        throw Error(ErrorKind::invalid_spec,
                    fmt::format("code bundle root '{}' is not a folder", root.string()));
    }
    fs::path real_root = fs::canonical(root, ec);
    if (ec) {
        throw Error(ErrorKind::invalid_spec,
                    fmt::format("code bundle root '{}': {}", root.string(), ec.message()));
    }
    Resolver resolver(root, real_root);
    for (const std::string& e : entries) {
        const fs::path rel = fs::path(e).lexically_normal();
        if (e.empty() || rel.is_absolute() || rel.empty() || *rel.begin() == "..") {
            throw Error(ErrorKind::invalid_spec,
                        fmt::format("entry '{}' must be a path relative to '{}' inside it", e,
                                    root.string()));
        }
        std::string r = rel.generic_string();
        if (!r.empty() && r.back() == '/') {
            r.pop_back();
        }
        if (r.empty() || r == "." || !resolver.is_file(r)) {
            throw Error(ErrorKind::invalid_spec,
                        fmt::format("entry '{}' is not a file under '{}'", e, root.string()),
                        "entries name Python files relative to the code bundle's root");
        }
        resolver.add(r);
        resolver.add_search_roots(r);
    }
    return resolver.run();
}

} // namespace imgspec::plan
