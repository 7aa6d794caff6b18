#include <imgspec/pipeline/spec_files.hpp>

#include <imgspec/core/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include <glob.h>

namespace imgspec::pipeline {

namespace fs = std::filesystem;

namespace {

bool has_spec_extension(const fs::path& p) {
    const std::string ext = p.extension().string();
    return ext == ".yaml" || ext == ".yml" || ext == ".toml";
}

bool is_pattern(const std::string& arg) {
    return arg.find_first_of("*?[") != std::string::npos;
}

std::string in_folder(const std::string& dir, const std::string& name) {
    return dir.empty() || dir.back() == '/' ? dir + name : dir + "/" + name;
}

// The spec files of a folder (see expand_spec_args), sorted.
std::vector<std::string> folder_specs(const std::string& dir) {
    std::vector<std::string> all;
    std::vector<std::string> own; // imgspec.*
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        std::error_code ec2;
        if (name.empty() || name[0] == '.' || !has_spec_extension(name) ||
            name == "pyproject.toml" || !it->is_regular_file(ec2)) {
            continue;
        }
        all.push_back(name);
        if (it->path().stem() == "imgspec") {
            own.push_back(name);
        }
    }
    if (ec) {
        throw Error(ErrorKind::usage,
                    fmt::format("{}: cannot list the folder: {}", printable(dir), ec.message()));
    }
    std::vector<std::string>& names = own.empty() ? all : own;
    std::sort(names.begin(), names.end());
    std::vector<std::string> out;
    for (const auto& n : names) {
        out.push_back(in_folder(dir, n));
    }
    if (out.empty()) {
        throw Error(ErrorKind::usage,
                    fmt::format("{}: no spec file in this folder", printable(dir)),
                    "a folder's specs are its *.yaml, *.yml and *.toml files (not pyproject.toml), "
                    "or its imgspec.yaml/.toml when it has one");
    }
    return out;
}

std::vector<std::string> glob_specs(const std::string& pattern) {
    glob_t g{};
    int rc = ::glob(pattern.c_str(), GLOB_MARK, nullptr, &g);
    std::vector<std::string> matches;
    if (rc == 0) {
        for (std::size_t i = 0; i < g.gl_pathc; ++i) {
            matches.emplace_back(g.gl_pathv[i]);
        }
    }
    ::globfree(&g);
    std::vector<std::string> out;
    for (auto& m : matches) {
        if (!m.empty() && m.back() == '/') { // GLOB_MARK: a folder
            m.pop_back();
            auto files = folder_specs(m);
            out.insert(out.end(), files.begin(), files.end());
        } else if (has_spec_extension(m)) {
            out.push_back(m);
        }
    }
    if (out.empty()) {
        throw Error(ErrorKind::usage, fmt::format("{}: no spec file matches", printable(pattern)),
                    "quote a pattern for imgspec to expand it; it matches files ending in .yaml, "
                    ".yml or .toml, and folders");
    }
    return out;
}

} // namespace

bool names_many(const std::string& arg) {
    std::error_code ec;
    if (arg == "-" || fs::is_regular_file(arg, ec)) {
        return false;
    }
    return fs::is_directory(arg, ec) || is_pattern(arg);
}

std::vector<std::string> expand_spec_args(const std::vector<std::string>& args) {
    std::vector<std::string> out;
    std::set<fs::path> seen;
    auto keep = [&](const std::string& file) {
        if (file == "-") {
            out.push_back(file);
            return;
        }
        std::error_code ec;
        fs::path key = fs::weakly_canonical(file, ec);
        if (ec) {
            key = fs::absolute(file).lexically_normal();
        }
        if (seen.insert(key).second) {
            out.push_back(file);
        }
    };
    for (const auto& arg : args) {
        std::error_code ec;
        if (arg == "-" || fs::is_regular_file(arg, ec)) {
            keep(arg);
        } else if (fs::is_directory(arg, ec)) {
            for (const auto& f : folder_specs(arg)) {
                keep(f);
            }
        } else if (is_pattern(arg) && !fs::exists(arg, ec)) {
            for (const auto& f : glob_specs(arg)) {
                keep(f);
            }
        } else {
            keep(arg);
        }
    }
    return out;
}

} // namespace imgspec::pipeline
