#pragma once
// Helpers shared by unit tests: a fresh temporary folder per test, and file writing.

#include <imgspec/core/config.hpp>
#include <imgspec/core/error.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace imgspec::test {

// Write (or replace) a file; throws std::runtime_error when it cannot be written.
inline void write_file(const std::filesystem::path& p, const std::string& content) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) {
        throw std::runtime_error("cannot write " + p.string());
    }
}

// A temporary folder removed when the test ends.
class TempDir {
  public:
    TempDir() {
        auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        std::string name =
            std::string(info ? info->test_suite_name() : "t") + "." + (info ? info->name() : "x");
        for (auto& c : name) {
            if (c == '/') {
                c = '_';
            }
        }
        std::string templ =
            (std::filesystem::temp_directory_path() / ("imgspec-" + name + "-XXXXXX")).string();
        char* made = mkdtemp(templ.data());
        if (made == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        m_path = made;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::permissions(m_path, std::filesystem::perms::owner_all,
                                     std::filesystem::perm_options::add, ec);
        std::filesystem::remove_all(m_path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return m_path; }
    std::filesystem::path operator/(const std::string& rel) const { return m_path / rel; }

    // Write a file (creating folders), returning its path.
    std::filesystem::path write(const std::string& rel, const std::string& content = {}) const {
        auto p = m_path / rel;
        std::filesystem::create_directories(p.parent_path());
        write_file(p, content);
        return p;
    }

  private:
    std::filesystem::path m_path;
};

inline std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A time limit for a test written for an optimized build: the ASan/UBSan Debug build
// (scripts/sanitize.sh) runs such work about ten times slower, so it gets ten times the limit.
// Quadratic work still takes far longer than that in either build.
inline double time_limit(double seconds) {
#if defined(__SANITIZE_ADDRESS__) || !defined(__OPTIMIZE__)
    return seconds * 10;
#else
    return seconds;
#endif
}

// Content that is not the same byte repeated, so a buffer mix-up changes the hash.
inline std::string pattern(std::size_t size, unsigned seed) {
    std::string s(size, '\0');
    unsigned x = seed * 2654435761u + 1;
    for (auto& c : s) {
        x = x * 1103515245u + 12345u;
        c = static_cast<char>(x >> 16);
    }
    return s;
}

// A config with fixed defaults, unaffected by the user's own config file.
inline Config test_config() {
    Config c;
    c.refs["gpu"] = {"nvcr.io/nvidia/cuda:12.4.1-runtime-ubuntu22.04", "test"};
    return c;
}

// The diagnostics of the SpecError that f() throws; a test failure when it throws none.
template <class F> std::vector<Diagnostic> spec_diagnostics(F&& f) {
    try {
        f();
        ADD_FAILURE() << "expected a SpecError";
    } catch (const SpecError& e) {
        return e.diagnostics();
    }
    return {};
}

} // namespace imgspec::test
