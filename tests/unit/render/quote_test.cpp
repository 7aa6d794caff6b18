// Values with spaces, quotes, $, backslashes and newlines render into Dockerfile lines whose
// meaning is the value itself: checked by reading the rendered text back with /bin/sh, a JSON
// parser, and a reader of BuildKit's double-quoted words.

#include "unit/test_util.hpp"

#include <imgspec/pipeline/pipeline.hpp>
#include <imgspec/render/quote.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <sys/wait.h>
#include <unistd.h>

using namespace imgspec;

namespace {

const std::vector<std::string> hostile = {
    "plain",      "with space",     "it's",         "say \"hi\"", "$HOME",
    "${PATH}",    "back\\slash",    "trailing\\",   "`id`",       "$(id)",
    "; rm -rf /", "a && b || c",    "tab\there",    "*.py",       "~user",
    "#comment",   "semi;colon",     "'\"'\"'",      "",           "\\$x",
    "percent%s",  "unicode: ünï ✓", "line1\nline2", "cr\rhere",   "<<EOF"};

// Run /bin/sh with printf to print one quoted word, exactly as a RUN shell would read it.
std::string sh_echo(const std::string& word) {
    std::string script = "printf %s " + word;
    int out[2];
    EXPECT_EQ(pipe(out), 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out[1], 1);
        close(out[0]);
        execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    close(out[1]);
    std::string result;
    std::array<char, 4096> buf{};
    ssize_t n;
    while ((n = read(out[0], buf.data(), buf.size())) > 0) {
        result.append(buf.data(), static_cast<std::size_t>(n));
    }
    close(out[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return result;
}

// BuildKit's reading of a double-quoted word (shell/lex.go processDoubleQuote): a backslash escapes
// '"', '$' and '\'; anything else is literal; '$' starts a variable.
std::string buildkit_unquote(const std::string& word) {
    EXPECT_GE(word.size(), 2u);
    EXPECT_EQ(word.front(), '"');
    EXPECT_EQ(word.back(), '"');
    std::string out;
    for (std::size_t i = 1; i + 1 < word.size(); ++i) {
        char c = word[i];
        if (c == '\\' && i + 2 < word.size() &&
            (word[i + 1] == '"' || word[i + 1] == '$' || word[i + 1] == '\\')) {
            out += word[++i];
            continue;
        }
        EXPECT_NE(c, '$') << "unescaped $ would be expanded in " << word;
        EXPECT_FALSE(c == '"') << "unescaped quote ends the word early in " << word;
        out += c;
    }
    return out;
}

TEST(Quote, ShellQuoteReadsBackThroughSh) {
    for (const auto& v : hostile) {
        if (v.empty()) {
            EXPECT_EQ(render::shell_quote(v), "''");
            continue;
        }
        EXPECT_EQ(sh_echo(render::shell_quote(v)), v) << "value: " << v;
    }
}

TEST(Quote, SafeWordsStayReadable) {
    EXPECT_EQ(render::shell_quote("numpy==2.1"), "numpy==2.1");
    EXPECT_EQ(render::shell_quote("pandas>=2"), "'pandas>=2'");
}

TEST(Quote, JsonReadsBack) {
    auto arr = render::json_array(hostile);
    auto parsed = nlohmann::json::parse(arr);
    ASSERT_EQ(parsed.size(), hostile.size());
    for (std::size_t i = 0; i < hostile.size(); ++i) {
        EXPECT_EQ(parsed[i].get<std::string>(), hostile[i]);
    }
}

TEST(Quote, DockerfileQuoteReadsBack) {
    for (const auto& v : hostile) {
        if (v.find_first_of("\n\r") != std::string::npos) {
            continue; // refused by the spec reader: ENV cannot carry a newline
        }
        EXPECT_EQ(buildkit_unquote(render::dockerfile_quote(v)), v) << "value: " << v;
    }
}

// End to end through the renderer: env values and package strings in a real spec.
TEST(Quote, RenderedEnvAndCommandsKeepTheirMeaning) {
    test::TempDir d;
    d.write("spec.yaml", R"YAML(name: q
from: {base: "busybox:latest"}
layers:
  - env_vars:
      A: 'say "hi" and \$HOME \ back'
      B: "it's `id` $(id)"
  - commands:
      - "printf '%s\n' \"multi\nline\""
      - "echo ends with backslash \\"
      - "cat <<EOF"
)YAML");
    pipeline::Image img = pipeline::resolve_image(d / "spec.yaml", test::test_config());
    const std::string& df = img.dockerfile;
    auto env_at = df.find("ENV A=");
    ASSERT_NE(env_at, std::string::npos) << df;
    auto a_end = df.find(" \\\n", env_at);
    EXPECT_EQ(buildkit_unquote(df.substr(env_at + 6, a_end - env_at - 6)),
              "say \"hi\" and $HOME \\ back");
    auto b_at = df.find("B=", a_end);
    auto b_end = df.find('\n', b_at);
    EXPECT_EQ(buildkit_unquote(df.substr(b_at + 2, b_end - b_at - 2)), "it's `id` $(id)");
    // Commands that the Dockerfile parser could misread use the exec form: exact through JSON.
    std::vector<std::string> scripts;
    std::size_t pos = 0;
    while ((pos = df.find("RUN [", pos)) != std::string::npos) {
        auto end = df.find('\n', pos);
        auto arr = nlohmann::json::parse(df.substr(pos + 4, end - pos - 4));
        ASSERT_EQ(arr.size(), 3u);
        EXPECT_EQ(arr[0], "/bin/sh");
        EXPECT_EQ(arr[1], "-c");
        scripts.push_back(arr[2].get<std::string>());
        pos = end;
    }
    ASSERT_EQ(scripts.size(), 3u) << df;
    EXPECT_EQ(scripts[0], "printf '%s\n' \"multi\nline\"");
    EXPECT_EQ(scripts[1], "echo ends with backslash \\");
    EXPECT_EQ(scripts[2], "cat <<EOF");
    // No line of the Dockerfile ends inside a value: every physical line is an instruction, a
    // continuation we wrote, or a comment.
    EXPECT_EQ(df.find("\nline"), std::string::npos);
}

TEST(Quote, PackageStringsWithShellMetacharactersAreRefused) {
    test::TempDir d;
    for (const char* bad : {"numpy; rm -rf /", "`id`", "$(id)", "a && b", "x|y", "pkg\nother"}) {
        nlohmann::json j = bad;
        d.write("spec.yaml",
                "name: q\nfrom: {base: busybox}\nlayers:\n  - pip_packages: [" + j.dump() + "]\n");
        EXPECT_THROW(pipeline::resolve_image(d / "spec.yaml", test::test_config()), SpecError)
            << bad;
    }
}

} // namespace
