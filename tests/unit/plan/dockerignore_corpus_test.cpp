// The .dockerignore matcher on the repository's dockerignore corpora, against the answers of the
// hand-written engine that preceded RE2 (tests/data/dockerignore/corpus.golden). The two agreed
// on these and on 322,564 random rule and path pairs before that engine was deleted (git log of
// this file). IMGSPEC_UPDATE_GOLDEN=1 rewrites the golden file.
#include "unit/test_util.hpp"

#include <imgspec/plan/dockerignore.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

using imgspec::plan::Dockerignore;
namespace fs = std::filesystem;

namespace {

std::string show(std::string_view s) {
    std::string out;
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7F || c == '\\') {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", u);
            out += buf;
        } else {
            out += c;
        }
    }
    return out;
}

std::vector<std::string> lines_of(std::string_view text) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos) {
            nl = text.size();
        }
        out.emplace_back(text.substr(pos, nl - pos));
        pos = nl + 1;
    }
    return out;
}

// Paths a rule set is likely to decide on: each rule with its wildcards filled in, with a folder
// above and a file below.
std::vector<std::string> probe_paths(const std::string& rules) {
    std::set<std::string> out = {"", "a", "a/b", "x/y/z", "src/main.py"};
    for (std::string line : lines_of(rules)) {
        if (!line.empty() && line[0] == '!') {
            line.erase(0, 1);
        }
        if (line.empty() || line[0] == '#') {
            continue;
        }
        std::string filled;
        for (std::size_t i = 0; i < line.size(); ++i) {
            if (line.compare(i, 2, "**") == 0) {
                filled += "d/e";
                ++i;
            } else if (line[i] == '*') {
                filled += "ab";
            } else if (line[i] == '?') {
                filled += 'q';
            } else {
                filled += line[i];
            }
        }
        for (const auto& p : {line, filled}) {
            out.insert(p);
            out.insert(p + "/f");
            out.insert("top/" + p);
            const std::size_t slash = p.rfind('/');
            if (slash != std::string::npos) {
                out.insert(p.substr(0, slash));
            }
        }
    }
    return {out.begin(), out.end()};
}

// The fuzz seeds (rules, then after a NUL the paths) and every .dockerignore of the example specs
// and test data.
std::vector<std::pair<std::string, std::vector<std::string>>> corpus() {
    const fs::path src = IMGSPEC_SOURCE_DIR;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(src / "tests/fuzz/corpus/fuzz_dockerignore")) {
        files.push_back(e.path());
    }
    for (const char* dir : {"specs", "tests/data"}) {
        for (const auto& e : fs::recursive_directory_iterator(src / dir)) {
            if (e.path().filename().string().rfind(".dockerignore", 0) == 0) {
                files.push_back(e.path());
            }
        }
    }
    std::sort(files.begin(), files.end());
    std::vector<std::pair<std::string, std::vector<std::string>>> out;
    for (const auto& f : files) {
        const std::string input = imgspec::test::read_file(f);
        const std::size_t nul = input.find('\0');
        std::string rules = input.substr(0, nul);
        std::vector<std::string> paths = probe_paths(rules);
        if (nul != std::string::npos) {
            for (auto& p : lines_of(std::string_view(input).substr(nul + 1))) {
                paths.push_back(std::move(p));
            }
        }
        out.emplace_back(std::move(rules), std::move(paths));
    }
    return out;
}

TEST(DockerignoreCorpus, AnswersMatchGolden) {
    std::string got;
    for (const auto& [rules, paths] : corpus()) {
        const Dockerignore d = Dockerignore::parse(rules);
        got += "rules " + show(rules) + "\n";
        got += "errors " + std::to_string(d.errors().size()) + "\n";
        for (const auto& p : paths) {
            got += show(p) + " " + std::to_string(d.excluded(p)) +
                   std::to_string(d.may_include_below(p)) + "\n";
        }
    }
    const fs::path file = fs::path(IMGSPEC_TEST_DATA) / "dockerignore" / "corpus.golden";
    if (std::getenv("IMGSPEC_UPDATE_GOLDEN") != nullptr) {
        std::ofstream(file, std::ios::binary) << got;
    }
    EXPECT_EQ(got, imgspec::test::read_file(file));
}

} // namespace
