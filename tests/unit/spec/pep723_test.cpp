#include <imgspec/core/error.hpp>
#include <imgspec/spec/pep723.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

using imgspec::ErrorKind;
using imgspec::SpecError;
using imgspec::spec::read_script_metadata;
using imgspec::spec::ScriptMetadata;

namespace {

// The one diagnostic of the SpecError that reading `text` throws.
imgspec::Diagnostic read_error(const std::string& text) {
    try {
        (void)read_script_metadata(text, "script.py");
    } catch (const SpecError& e) {
        EXPECT_EQ(e.kind(), ErrorKind::invalid_spec);
        EXPECT_EQ(e.diagnostics().size(), 1u) << e.what();
        if (!e.diagnostics().empty()) {
            EXPECT_EQ(e.diagnostics()[0].file, "script.py");
            return e.diagnostics()[0];
        }
        return {};
    }
    ADD_FAILURE() << "no SpecError for:\n" << text;
    return {};
}

TEST(Pep723Read, ReferenceExample) {
    const std::string text = "# /// script\n"
                             "# requires-python = \">=3.11\"\n"
                             "# dependencies = [\n"
                             "#   \"requests<3\",\n"
                             "#   \"rich\",\n"
                             "# ]\n"
                             "# ///\n"
                             "\n"
                             "import requests\n";
    ScriptMetadata m = read_script_metadata(text, "script.py");
    EXPECT_TRUE(m.found);
    EXPECT_EQ(m.block_line, 1);
    EXPECT_EQ(m.dependencies, (std::vector<std::string>{"requests<3", "rich"}));
    ASSERT_TRUE(m.requires_python.has_value());
    EXPECT_EQ(*m.requires_python, ">=3.11");
}

TEST(Pep723Read, BlockAfterShebangWithOtherBlocksAndComments) {
    const std::string text = "#!/usr/bin/env -S uv run\n"
                             "# -*- coding: utf-8 -*-\n"
                             "# /// pyproject\n"
                             "# [tool.x]\n"
                             "# ///\n"
                             "\n"
                             "# /// script\n"
                             "# dependencies = [\"httpx\"]\n"
                             "#\n"
                             "# [tool.uv]\n"
                             "# exclude-newer = \"2024-01-01T00:00:00Z\"\n"
                             "# ///\n"
                             "# a trailing comment\n"
                             "print('hi')\n";
    ScriptMetadata m = read_script_metadata(text, "script.py");
    EXPECT_TRUE(m.found);
    EXPECT_EQ(m.block_line, 7);
    EXPECT_EQ(m.dependencies, (std::vector<std::string>{"httpx"}));
    EXPECT_FALSE(m.requires_python.has_value());
}

TEST(Pep723Read, CrLfAndNoFinalNewline) {
    ScriptMetadata m =
        read_script_metadata("# /// script\r\n# dependencies = [\"a\"]\r\n# ///", "s.py");
    EXPECT_TRUE(m.found);
    EXPECT_EQ(m.dependencies, (std::vector<std::string>{"a"}));
}

TEST(Pep723Read, NoBlock) {
    for (const std::string text :
         {std::string(""), std::string("print(1)\n"),
          std::string("# /// pyproject\n# x = 1\n# ///\n"),
          std::string("# /// script \n# x = 1\n# ///\n"), // a space after the type: not a block
          std::string("    # /// script\n# x = 1\n# ///\n"),
          std::string("s = '''\n#///script\n'''\n")}) {
        ScriptMetadata m = read_script_metadata(text, "s.py");
        EXPECT_FALSE(m.found) << text;
        EXPECT_EQ(m.block_line, 0);
        EXPECT_TRUE(m.dependencies.empty());
    }
}

TEST(Pep723Read, EmptyDependenciesAndNoKeys) {
    ScriptMetadata m = read_script_metadata("# /// script\n#\n# ///\n", "s.py");
    EXPECT_TRUE(m.found);
    EXPECT_TRUE(m.dependencies.empty());
}

TEST(Pep723Read, TwoBlocks) {
    const auto d = read_error("# /// script\n# dependencies = []\n# ///\n"
                              "x = 1\n"
                              "# /// script\n# dependencies = [\"b\"]\n# ///\n");
    EXPECT_EQ(d.mark.line, 5);
    EXPECT_NE(d.message.find("line 1"), std::string::npos) << d.message;
}

TEST(Pep723Read, Unterminated) {
    auto d = read_error("import os\n# /// script\n# dependencies = [\"a\"]\n");
    EXPECT_EQ(d.mark.line, 2);
    EXPECT_NE(d.message.find("not closed"), std::string::npos) << d.message;

    // A blank line breaks the block: Python's reference regex finds nothing, which is a mistake.
    d = read_error("# /// script\n# dependencies = [\n\n#   \"a\",\n# ]\n# ///\n");
    EXPECT_EQ(d.mark.line, 1);
    EXPECT_NE(d.message.find("line 3"), std::string::npos) << d.message;

    d = read_error("# /// script\n#dependencies = []\n# ///\n"); // "#x" is not a content line
    EXPECT_EQ(d.mark.line, 1);
    EXPECT_NE(d.message.find("line 2"), std::string::npos) << d.message;

    d = read_error("# /// script\n# ///\n"); // no content line: the regex needs one
    EXPECT_EQ(d.mark.line, 1);
}

TEST(Pep723Read, GreedyEndUsesLastClosingLine) {
    // The content group is greedy: the block runs to the last "# ///" of the comment run, so
    // the first "# ///" here is TOML content, and invalid.
    const auto d = read_error("# /// script\n# dependencies = []\n# ///\n#\n# ///\n");
    EXPECT_EQ(d.mark.line, 3);
    EXPECT_NE(d.message.find("TOML"), std::string::npos) << d.message;
}

TEST(Pep723Read, ScriptBlockSwallowedByAnotherBlock) {
    // With no gap, the pyproject block runs to the last "# ///" of the comment run and holds the
    // script block; the reference implementation would silently find no script block.
    const auto d = read_error("# /// pyproject\n# [tool.x]\n# ///\n"
                              "# /// script\n# dependencies = [\"httpx\"]\n# ///\n");
    EXPECT_EQ(d.mark.line, 4);
    EXPECT_NE(d.message.find("'# /// pyproject' block"), std::string::npos) << d.message;
}

TEST(Pep723Read, BadTomlLineIsTheScriptLine) {
    const auto d = read_error("#!/usr/bin/env python\n"
                              "# /// script\n"
                              "# dependencies = [\n"
                              "#   \"requests\",\n"
                              "#   oops\n"
                              "# ]\n"
                              "# ///\n");
    EXPECT_EQ(d.mark.line, 5);
    EXPECT_EQ(d.mark.column, 5);
    EXPECT_NE(d.message.find("invalid TOML"), std::string::npos) << d.message;
    EXPECT_NE(d.format().find("script.py:5:5: error:"), std::string::npos) << d.format();

    EXPECT_EQ(read_error("# /// script\n# a = 1\n# b =\n# ///\n").mark.line, 3);
    EXPECT_EQ(read_error("# /// script\n# a = 1\n# a = 2\n# ///\n").mark.line, 3); // duplicate key
}

TEST(Pep723Read, WrongTypes) {
    auto d = read_error(
        "# /// script\n# requires-python = \">=3\"\n# dependencies = \"requests\"\n# ///\n");
    EXPECT_EQ(d.mark.line, 3);
    EXPECT_EQ(d.path, "dependencies");

    d = read_error("# /// script\n# dependencies = [\n#   \"a\",\n#   1,\n# ]\n# ///\n");
    EXPECT_EQ(d.mark.line, 4);
    EXPECT_EQ(d.path, "dependencies");

    d = read_error("# /// script\n# requires-python = 3.11\n# ///\n");
    EXPECT_EQ(d.mark.line, 2);
    EXPECT_EQ(d.path, "requires-python");
}

} // namespace
