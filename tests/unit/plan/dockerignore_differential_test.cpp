// The .dockerignore matcher on RE2 against the hand-written engine it replaced
// (legacy_dockerignore.cpp): the same rules must give the same errors and the same answers, on the
// dockerignore corpora of the repository and on random rules and paths full of Go's corner cases.
#include "unit/plan/legacy_dockerignore.hpp"

#include "unit/test_util.hpp"

#include <imgspec/plan/dockerignore.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

using imgspec::plan::Dockerignore;
using imgspec::plan::legacy::LegacyDockerignore;
namespace fs = std::filesystem;

namespace {

// Error messages up to the regular expression engine's own words, which differ ("missing closing
// ]" from one, "missing closing ]: `[a$`" from the other).
std::vector<std::string> error_lines(const std::vector<std::string>& errors) {
    std::vector<std::string> out;
    for (const auto& e : errors) {
        const std::size_t cut = e.find("does not compile");
        out.push_back(cut == std::string::npos ? e : e.substr(0, cut));
    }
    return out;
}

struct Tally {
    std::uint64_t pairs = 0;
    std::uint64_t disagreements = 0;
    std::uint64_t looser_below = 0; // may_include_below: new true where the old said false
    std::uint64_t rule_sets = 0;
    std::uint64_t with_errors = 0; // rule sets with a rejected rule
    std::uint64_t excluded = 0;    // pairs where the path is excluded
};

void print(const char* what, const Tally& t) {
    auto n = [](std::uint64_t v) { return static_cast<unsigned long long>(v); };
    std::printf("%s: %llu rule sets (%llu with rejected rules), %llu pairs (%llu excluded), %llu "
                "disagreements, %llu looser skips\n",
                what, n(t.rule_sets), n(t.with_errors), n(t.pairs), n(t.excluded),
                n(t.disagreements), n(t.looser_below));
}

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

// Compares both matchers on one .dockerignore text and its paths; returns one line per path for
// the golden file ("path excluded may_include_below").
std::string compare(const std::string& rules, const std::vector<std::string>& paths, Tally& t) {
    const Dockerignore now = Dockerignore::parse(rules);
    const LegacyDockerignore old = LegacyDockerignore::parse(rules);
    ++t.rule_sets;
    std::string golden = "rules " + show(rules) + "\n";
    if (error_lines(now.errors()) != error_lines(old.errors()) ||
        now.patterns() != old.patterns()) {
        ++t.disagreements;
        ADD_FAILURE() << "errors differ for rules \"" << show(rules)
                      << "\": " << now.errors().size() << " now, " << old.errors().size()
                      << " before" << (now.errors().empty() ? "" : " (" + now.errors()[0] + ")")
                      << (old.errors().empty() ? "" : " (" + old.errors()[0] + ")");
    }
    golden += "errors " + std::to_string(old.errors().size()) + "\n";
    t.with_errors += old.errors().empty() ? 0 : 1;
    for (const auto& p : paths) {
        ++t.pairs;
        const bool ex_now = now.excluded(p);
        const bool ex_old = old.excluded(p);
        t.excluded += ex_old ? 1 : 0;
        const bool below_now = now.may_include_below(p);
        const bool below_old = old.may_include_below(p);
        if (ex_now != ex_old) {
            ++t.disagreements;
            ADD_FAILURE() << "excluded differs: rules \"" << show(rules) << "\" path \"" << show(p)
                          << "\": " << ex_now << " now, " << ex_old << " before";
        }
        if (below_now != below_old) {
            if (below_now) {
                ++t.looser_below; // walks a folder the old one skipped: the same context
            } else {
                ++t.disagreements;
                ADD_FAILURE() << "may_include_below is stricter: rules \"" << show(rules)
                              << "\" path \"" << show(p) << "\"";
            }
        }
        golden += show(p) + " " + std::to_string(ex_old) + std::to_string(below_old) + "\n";
    }
    return golden;
}

// Deterministic on every platform (std::uniform_int_distribution is not).
class Random {
  public:
    explicit Random(std::uint64_t seed) : m_state(seed) {}
    std::uint64_t next() { // splitmix64
        std::uint64_t z = (m_state += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
    template <class T, std::size_t N> const T& pick(const T (&a)[N]) { return a[below(N)]; }

  private:
    std::uint64_t m_state;
};

// Pieces of rules: globs, '**', classes (negated, named, with ranges, with ']'), escapes that Go's
// regexp reads (\d \b \Q..\E \x41 \C \z), what moby leaves unescaped ('|', '{2}', '^'), what it
// escapes ('.', '+', '(', '$'), invalid UTF-8, a byte order mark and multibyte characters. \p is
// left out: the old engine rejected it where Go (and RE2) accept it.
const char* const rule_pieces[] = {
    "a",
    "b",
    "c",
    "/",
    "/",
    "*",
    "*",
    "**",
    "**/",
    "?",
    "?",
    "[a-c]",
    "[^a]",
    "[!x]",
    "[]a]",
    "[[:alpha:]]",
    "[[:^digit:]]",
    "[\\]]",
    "[a-]",
    "[é-ü]",
    "\\",
    "\\d",
    "\\w",
    "\\s",
    "\\b",
    "\\B",
    "\\A",
    "\\z",
    "\\Q",
    "\\E",
    "\\.",
    "\\*",
    "\\x41",
    "\\x{e9}",
    "\\C",
    "\\n",
    "\\0",
    "\\17",
    "\\8",
    "\\\\",
    "|",
    "{2}",
    "{1,3}",
    "{0}",
    "{",
    "}",
    "{,2}",
    "{1001}",
    "^",
    "$",
    ".",
    "+",
    "(",
    ")",
    "-",
    "]",
    "é",
    "\xff",
    "\xc3",
    "\xe0\x80\x80",
    "\xed\xa0\x80",
    "\xef\xbb\xbf",
    " ",
    "!",
    "\x01",
    "x",
    "ab",
    "a/b",
    "*.txt",
    "**/a",
    "a/**",
    ".*",
};

const char* const path_pieces[] = {
    "a",
    "b",
    "c",
    "x",
    "ab",
    "/",
    "/",
    "/",
    "\n",
    "é",
    "ü",
    "\xff",
    "\xc3",
    "\xe0\x80\x80",
    "\xed\xa0\x80",
    ".",
    "..",
    "1",
    "7",
    "A",
    "_",
    " ",
    "|",
    "{",
    "}",
    "[",
    "]",
    "\\",
    "*",
    "?",
    "$",
    "^",
    "+",
    "(",
    ")",
    "-",
    ".txt",
    "a/b",
    "\x01",
    "!",
    "\xef\xbf\xbd",
};

std::string random_rules(Random& r) {
    std::string text;
    const std::size_t n = 1 + r.below(4);
    for (std::size_t k = 0; k < n; ++k) {
        if (r.below(4) == 0) {
            text += '!';
        }
        const std::size_t len = 1 + r.below(5);
        for (std::size_t j = 0; j < len; ++j) {
            text += r.pick(rule_pieces);
        }
        text += '\n';
    }
    return text;
}

std::string random_path(Random& r) {
    std::string p;
    const std::size_t len = r.below(7);
    for (std::size_t j = 0; j < len; ++j) {
        p += r.pick(path_pieces);
    }
    return p;
}

// Paths a rule set is likely to decide on: each rule with its wildcards filled in, with a folder
// above and a file below.
std::vector<std::string> probe_paths(const std::string& rules) {
    std::set<std::string> out = {"", "a", "a/b", "x/y/z", "src/main.py"};
    std::size_t pos = 0;
    while (pos < rules.size()) {
        std::size_t nl = rules.find('\n', pos);
        if (nl == std::string::npos) {
            nl = rules.size();
        }
        std::string line = rules.substr(pos, nl - pos);
        pos = nl + 1;
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

// The repository's dockerignore corpora: the fuzz seeds (rules, then after a NUL the paths) and
// every .dockerignore of the example specs and test data.
std::vector<std::pair<std::string, std::vector<std::string>>> corpus() {
    std::vector<std::pair<std::string, std::vector<std::string>>> out;
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
    for (const auto& f : files) {
        const std::string input = imgspec::test::read_file(f);
        const std::size_t nul = input.find('\0');
        std::string rules = input.substr(0, nul);
        std::vector<std::string> paths = probe_paths(rules);
        if (nul != std::string::npos) {
            std::string rest = input.substr(nul + 1);
            std::size_t pos = 0;
            while (pos <= rest.size()) {
                std::size_t nl = rest.find('\n', pos);
                if (nl == std::string::npos) {
                    nl = rest.size();
                }
                paths.push_back(rest.substr(pos, nl - pos));
                pos = nl + 1;
            }
        }
        out.emplace_back(std::move(rules), std::move(paths));
    }
    return out;
}

TEST(DockerignoreDifferential, CorpusAgreesAndMatchesGolden) {
    Tally t;
    std::string golden;
    for (const auto& [rules, paths] : corpus()) {
        golden += compare(rules, paths, t);
    }
    const fs::path file = fs::path(IMGSPEC_TEST_DATA) / "dockerignore" / "corpus.golden";
    if (std::getenv("IMGSPEC_UPDATE_GOLDEN") != nullptr) {
        fs::create_directories(file.parent_path());
        std::ofstream(file, std::ios::binary) << golden;
    }
    EXPECT_EQ(golden, imgspec::test::read_file(file));
    EXPECT_EQ(t.disagreements, 0u);
    print("corpus", t);
}

TEST(DockerignoreDifferential, RandomRulesAndPathsAgree) {
    Random r(20261206);
    Tally t;
    constexpr int rule_sets = 16000;
    for (int k = 0; k < rule_sets && t.disagreements < 20; ++k) {
        const std::string rules = random_rules(r);
        std::vector<std::string> paths = probe_paths(rules);
        for (int j = 0; j < 4; ++j) {
            paths.push_back(random_path(r));
        }
        compare(rules, paths, t);
    }
    EXPECT_GE(t.pairs, 100000u);
    EXPECT_EQ(t.disagreements, 0u);
    print("random", t);
}

} // namespace
