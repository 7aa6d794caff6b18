#include <imgspec/plan/dockerignore.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

using imgspec::plan::Dockerignore;

namespace {

struct MatchCase {
    std::string rules; // .dockerignore text
    std::string path;
    bool excluded;
};

std::ostream& operator<<(std::ostream& os, const MatchCase& c) {
    return os << "rules=\"" << c.rules << "\" path=\"" << c.path << "\" excluded=" << c.excluded;
}

// Expected answers follow moby/patternmatcher's own tests (TestMatches with MatchesOrParentMatches,
// TestMatch from Go's filepath tests, the folder/exception tests) and Docker's documented rules.
const MatchCase match_cases[] = {
    // '**'
    {"**", "file", true},
    {"**", "file/", true},
    {"**/", "file", true},
    {"**", "dir/file", true},
    {"**/", "dir/file/", true},
    {"**/**", "dir/file", true},
    {"dir/**", "dir/file", true},
    {"dir/**", "dir/dir2/file", true},
    {"**/dir", "dir", true},
    {"**/dir", "dir/file", true},
    {"**/dir2/*", "dir/dir2/file", true},
    {"**/dir2/*", "dir/dir2/file/", true},
    {"**/dir2/**", "dir/dir2/dir3/file", true},
    {"**file", "file", true},
    {"**file", "dir/dir/file", true},
    {"**file", "dir/myfile", true}, // moby tests "**file" as a plain suffix
    {"**/file", "dir/dir/file", true},
    {"**/file*", "dir/dir/file.txt", true},
    {"**/file*txt", "dir/dir/file.txt", true},
    {"**/file*.txt*", "dir/dir/file.txt", true},
    {"**/**/*.txt", "dir/dir/file.txt", true},
    {"**/**/*.txt2", "dir/dir/file.txt", false},
    {"**/*.txt", "file.txt", true},
    {"**/**/*.txt", "file.txt", true},
    {"a**/*.txt", "a/file.txt", true},
    {"a**/*.txt", "a/dir/dir/file.txt", true},
    {"a**/b", "ab", true}, // "**/" takes its '/' into an optional group
    {"x*/**/b", "x/b", true},
    {"**/foo/bar", "foo/bar", true},
    {"**/foo/bar", "dir/dir2/foo/bar", true},
    {"abc/**", "abc", false},
    {"abc/**", "abc/def", true},
    {"abc/**", "abc/def/ghi", true},
    {"**/.foo", ".foo", true},
    {"**/.foo", "bar.foo", false},
    {"a**", "abc/def", true}, // a trailing "**" is a plain prefix test
    // '*' stays within one path element
    {"*.go", "main.go", true},
    {"*.go", "a/main.go", false},
    {"a/*.go", "a/main.go", true},
    {"a/*.go", "main.go", false},
    {"a/*.go", "a/b/main.go", false},
    {"**/*.go", "a/b/main.go", true},
    {"a/*.txt", "a/dir/file.txt", false},
    {"a/*.txt**", "a/file.txt", true},
    {"*", "abc", true},
    {"*", "dir/file", true}, // the parent "dir" matches
    {"*c", "abc", true},
    {"a*", "a", true},
    {"a*", "ab/c", true},
    {"a*/b", "abc/b", true},
    {"a*/b", "a/c/b", false},
    {"a*b*c*d*e*/f", "axbxcxdxe/f", true},
    {"a*b*c*d*e*/f", "axbxcxdxexxx/f", true},
    {"a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false},
    {"a*b*c*d*e*/f", "axbxcxdxexxx/fff", false},
    {"a*b?c*x", "abxbbxdbxebxczzx", true},
    {"a*b?c*x", "abxbbxdbxebxczzy", false},
    {"*x", "xxx", true},
    {"a*b", "a/b", false},
    // '?'
    {"abc?def", "abcZdef", true},
    {"abc?def", "abcdef", false},
    {"a?b", "a\u263Ab", true}, // one character, not one byte
    {"a???b", "a\u263Ab", false},
    {"a?b", "a/b", false},
    // classes
    {"a[b-d]e", "ae", false},
    {"a[b-d]e", "ace", true},
    {"a[b-d]e", "aae", false},
    {"a[^b-d]e", "aze", true},
    {"ab[c]", "abc", true},
    {"ab[e-g]", "abc", false},
    {"ab[^c]", "abc", false},
    {"ab[^e-g]", "abc", true},
    {"a[^a]b", "a\u263Ab", true},
    {"[a-\u03B6]*", "\u03B1", true},
    {"*[a-\u03B6]", "A", false},
    {"[\\]a]", "]", true},
    {"[\\-]", "-", true},
    {"[x\\-]", "x", true},
    {"[x\\-]", "-", true},
    {"[x\\-]", "z", false},
    {"[\\-x]", "a", false},
    {"[a-c]at", "bat", true},
    {"[a-c]at", "Bat", false}, // case-sensitive
    {"[!x]y", "!y", true},     // Go globs negate with '^' only: "[!x]" holds '!' and 'x'
    {"[!x]y", "zy", false},
    // escapes
    {"a\\*b", "a*b", true},
    {"a\\*b", "ab", false},
    {"a\\*b", "axb", false},
    {"a\\\\", "a\\", true},
    {"a\\?", "a?", true},
    {"a\\?", "ab", false},
    // characters that are special to regular expressions but not to globs
    {".*", ".foo", true},
    {".*", "foo", false},
    {"abc.def", "abc.def", true},
    {"abc.def", "abcZdef", false},
    {"a(b)c/def", "a(b)c/def", true},
    {"a(b)c/def", "a(b)c/xyz", false},
    {"a.|)$(}+{bc", "a.|)$(}+{bc", true},
    {"dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
     "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true},
    {"dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true},
    {"file[0-9]+.txt", "file1+.txt", true},
    // a folder excludes everything below it
    {"docs", "docs/README.md", true},
    {"docs", "docs/a/b/c", true},
    {"docs", "docsx", false},
    {"node_modules", "node_modules/x/index.js", true},
    // exceptions; the last matching rule wins
    {"docs\n!docs/README.md", "docs/README.md", false},
    {"docs/\n!docs/README.md", "docs/README.md", false},
    {"docs/*\n!docs/README.md", "docs/README.md", false},
    {"docs/*\n!docs/README.md", "docs/other.md", true},
    {"*.go\n!fileutils.go", "fileutils.go", false},
    {"!fileutils.go\n*.go", "fileutils.go", true},
    {"*.md\n!README.md\nREADME.md", "README.md", true},
    {"**\n!util/docker/web", "util/docker/web/foo", false},
    {"**\n!util/docker/web\nutil/docker/web/foo", "util/docker/web/foo", true},
    {"**\n!dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", false},
    {"*\n!src\n!pyproject.toml", "src/pkg/mod.py", false},
    {"*\n!src\n!pyproject.toml", "tests/test_a.py", true},
    {"*\n!src\n!pyproject.toml", "pyproject.toml", false},
    {"a\n!a/b/c", "a/b/c", false},
    {"a\n!a/b/c", "a/b/c/d", false},
    {"a\n!a/b/c", "a/b/d", true},
    {"a\n!a/b/c", "a/b", true},
    // reading the file: comments, blank lines, spaces, leading '/', "./", trailing '/'
    {"# a comment\nfoo", "foo", true},
    {"#foo", "#foo", false},
    {" #foo", "#foo", true}, // only a '#' in the first column starts a comment
    {"\n\n   \n\tfoo  \t\n", "foo", true},
    {"foo\r\n", "foo", true},
    {"/foo", "foo", true},
    {"/foo/bar", "foo/bar", true},
    {"! /foo\n", "foo", false},
    {"*\n! /foo", "foo", false},
    {"./foo", "foo", true},
    {"foo/./bar/../baz", "foo/baz", true},
    {"foo/", "foo", true},
    {"foo/", "foo/x", true},
    {"foo//bar", "foo/bar", true},
    {"\xEF\xBB\xBF"
     "foo",
     "foo", true}, // byte order mark
    // the path is cleaned too
    {"foo", "./foo", true},
    {"foo/bar", "foo//bar/", true},
    {"foo", "/foo", true},
    {"foo", "bar/../foo", true},
    {"*", ".", false}, // never the context root
    {"", "anything", false},
    // moby leaves '|', '{' and '}' unescaped (its escape bitmap drops their bits), so once a
    // pattern is a regular expression they mean alternation and repetition, as in Docker
    {"x|y", "x|y", true}, // no wildcard: a plain string
    {"x|y", "x", false},
    {"a{2}", "a{2}", true},
    {"a{2}", "aa", false},
    {"*.py|*.go", "main.go", true},
    {"*.py|*.go", "src/main.go", true}, // "[^/]*\.go$" is not anchored at the start
    {"*.py|*.go", "a.pyc/x", true},     // nor "^[^/]*\.py" at the end
    {"[x]|y", "zzy", true},
    {"a{2}*", "aab", true},
    {"a{2}*", "ab", false},
    {"a{1,}?", "aaaab", true},
    {"a{,2}*", "a{,2}x", true}, // not a repetition: literal braces
    {"v[0-9]{2}.txt", "v12.txt", true},
    {"v[0-9]{2}.txt", "v1.txt", false},
    // Go regular expressions underneath: '**' does not cross a newline, as in Docker
    {"**/x", "a\nb/x", true}, // suffix test, no expression
    {"**/x*", "a\nb/xy", false},
};

class DockerignoreTable : public testing::TestWithParam<MatchCase> {};

TEST_P(DockerignoreTable, Matches) {
    const MatchCase& c = GetParam();
    Dockerignore d = Dockerignore::parse(c.rules);
    EXPECT_TRUE(d.errors().empty()) << d.errors().front();
    EXPECT_EQ(d.excluded(c.path), c.excluded);
}

INSTANTIATE_TEST_SUITE_P(DockerignoreMoby, DockerignoreTable, testing::ValuesIn(match_cases));

// Patterns Go's filepath.Match rejects, and so patternmatcher.New and Docker.
const char* const bad_patterns[] = {
    "[]a]", "[-]", "[x-]", "[-x]", "\\", "[a-b-c]", "[", "[^", "[^bc", "a[", "abc[def", "ok/\\",
};

class DockerignoreBadPattern : public testing::TestWithParam<const char*> {};

TEST_P(DockerignoreBadPattern, IsReportedAndMatchesNothing) {
    Dockerignore d = Dockerignore::parse(std::string("ok\n") + GetParam() + "\n");
    ASSERT_EQ(d.errors().size(), 1u);
    EXPECT_NE(d.errors()[0].find("line 2"), std::string::npos) << d.errors()[0];
    EXPECT_TRUE(d.excluded("ok"));
    EXPECT_FALSE(d.excluded("a"));
    EXPECT_EQ(d.patterns().size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(DockerignoreGo, DockerignoreBadPattern, testing::ValuesIn(bad_patterns));

TEST(DockerignoreParse, PatternsAsDockerReadsThem) {
    Dockerignore d = Dockerignore::parse("test1\n/test2\n/a/file/here\n\nlastfile\n# this is a "
                                         "comment\n! /inverted/abs/path\n  ./x/../y/  \n");
    const std::vector<std::string> want = {
        "test1", "test2", "a/file/here", "lastfile", "!inverted/abs/path", "y"};
    EXPECT_EQ(d.patterns(), want);
    EXPECT_TRUE(d.errors().empty());
}

TEST(DockerignoreParse, LoneExclamationIsAnError) {
    Dockerignore d = Dockerignore::parse("a\n!\n! \n!/\n");
    ASSERT_EQ(d.errors().size(), 3u);
    EXPECT_NE(d.errors()[0].find("line 2"), std::string::npos);
    EXPECT_NE(d.errors()[1].find("line 3"), std::string::npos);
    EXPECT_NE(d.errors()[2].find("line 4"), std::string::npos);
    EXPECT_TRUE(d.excluded("a"));
}

TEST(DockerignoreParse, PatternDockerCannotCompileIsAnError) {
    // Valid for filepath.Match, but moby's regular expression has a reversed range; Docker fails
    // on it when matching, so it is reported up front.
    Dockerignore d =
        Dockerignore::parse("[z-a]\n[Local-Only]/\n\\y*\na{1001}*\na{2}{3}*\n*{2}\n[a]{3,2}\n");
    EXPECT_EQ(d.errors().size(), 7u);
    EXPECT_FALSE(d.excluded("z"));
}

TEST(DockerignoreParse, GoRegexpEscapesKeepGoMeaning) {
    // moby copies "\d" into the expression, where Go reads it as a digit class.
    Dockerignore d = Dockerignore::parse("v\\d.txt\n");
    EXPECT_TRUE(d.errors().empty());
    EXPECT_TRUE(d.excluded("v1.txt"));
    EXPECT_FALSE(d.excluded("vd.txt"));
}

TEST(DockerignoreParse, EmptyAndDefault) {
    EXPECT_TRUE(Dockerignore().patterns().empty());
    EXPECT_FALSE(Dockerignore().excluded("a"));
    EXPECT_TRUE(Dockerignore().may_include_below("a"));
    Dockerignore d = Dockerignore::parse("# only comments\n\n");
    EXPECT_TRUE(d.patterns().empty());
    EXPECT_TRUE(d.errors().empty());
}

TEST(DockerignoreParse, OverlongLineIsAnError) {
    Dockerignore d = Dockerignore::parse("a\n" + std::string(70000, 'x') + "\nb\n");
    ASSERT_EQ(d.errors().size(), 1u);
    EXPECT_NE(d.errors()[0].find("line 2"), std::string::npos);
}

TEST(DockerignoreWalk, ExcludedFolderWithoutExceptionsCanBeSkipped) {
    Dockerignore d = Dockerignore::parse("node_modules\n*.pyc\n");
    EXPECT_FALSE(d.may_include_below("node_modules"));
    EXPECT_FALSE(d.may_include_below("node_modules/sub"));
    EXPECT_TRUE(d.may_include_below("src")); // not excluded
    EXPECT_TRUE(d.may_include_below(""));
}

TEST(DockerignoreWalk, ExceptionBelowKeepsFolderWalked) {
    Dockerignore d = Dockerignore::parse("a\n!a/b/c\n");
    EXPECT_TRUE(d.may_include_below("a"));
    EXPECT_TRUE(d.may_include_below("a/b"));
    EXPECT_TRUE(d.may_include_below("./a/b/"));
    EXPECT_FALSE(d.may_include_below("a/x"));
    EXPECT_TRUE(d.may_include_below("ab")); // not excluded at all
}

TEST(DockerignoreWalk, WildcardExceptions) {
    Dockerignore d = Dockerignore::parse("a\n!*/keep\n");
    EXPECT_TRUE(d.may_include_below("a"));
    EXPECT_FALSE(d.may_include_below("a/x"));
    EXPECT_FALSE(d.excluded("a/keep"));

    Dockerignore any = Dockerignore::parse("a\n!**/keep\n");
    EXPECT_TRUE(any.may_include_below("a/x/y"));
    EXPECT_FALSE(any.excluded("a/x/y/keep"));
    EXPECT_TRUE(any.excluded("a/x/y/other"));

    Dockerignore prefix = Dockerignore::parse("a\n!a/b/**\n");
    EXPECT_TRUE(prefix.may_include_below("a"));
    EXPECT_TRUE(prefix.may_include_below("a/b"));
    EXPECT_FALSE(prefix.may_include_below("a/c"));

    Dockerignore cls = Dockerignore::parse("*\n![a-c]*/x.py\n");
    EXPECT_TRUE(cls.may_include_below("build"));
    EXPECT_FALSE(cls.may_include_below("dist"));
    EXPECT_FALSE(cls.excluded("build/x.py"));
}

TEST(DockerignoreWalk, SkippingAgreesWithExcluded) {
    // Whenever may_include_below says no, every path below must be excluded.
    const char* rules[] = {"a\n!a/b/c\n",       "a\n!*/keep\n",          "*\n!src\n",
                           "a\n!a/b/**\na/b/x", "**/tmp\n!**/tmp/keep*", "a/*\n!a/?/z",
                           "x\n![x]/y\n"};
    const char* dirs[] = {"a", "a/b", "a/x", "src", "x", "a/b/tmp", "a/q", "a/b/c"};
    const char* tails[] = {"c", "keep", "y", "z", "keep.txt", "b/c", "q/z", "x"};
    for (const char* r : rules) {
        Dockerignore d = Dockerignore::parse(r);
        for (const char* dir : dirs) {
            if (d.may_include_below(dir)) {
                continue;
            }
            for (const char* t : tails) {
                const std::string p = std::string(dir) + "/" + t;
                EXPECT_TRUE(d.excluded(p)) << "rules=" << r << " path=" << p;
            }
        }
    }
}

} // namespace
