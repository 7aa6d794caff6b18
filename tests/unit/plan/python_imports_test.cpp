#include "unit/test_util.hpp"

#include <imgspec/core/error.hpp>
#include <imgspec/plan/python_imports.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

namespace fs = std::filesystem;
using imgspec::Error;
using imgspec::ErrorKind;
using imgspec::plan::PythonImport;
using imgspec::plan::reachable_modules;
using imgspec::plan::scan_imports;
using imgspec::test::TempDir;

namespace {

// "module" for `import module`; "..mod:a,b@3" for `from ..mod import a, b` on line 3.
std::string show(const PythonImport& i) {
    std::string s(static_cast<std::size_t>(i.level), '.');
    s += i.module;
    if (!i.names.empty()) {
        s += ':';
        for (std::size_t k = 0; k < i.names.size(); ++k) {
            s += (k == 0 ? "" : ",") + i.names[k];
        }
    }
    return s + "@" + std::to_string(i.line);
}

std::vector<std::string> scan(std::string_view src) {
    std::vector<std::string> out;
    for (const auto& i : scan_imports(src)) {
        out.push_back(show(i));
    }
    return out;
}

using V = std::vector<std::string>;

TEST(PythonImportsScan, ImportForms) {
    EXPECT_EQ(scan("import a.b as c, d\n"), (V{"a.b@1", "d@1"}));
    EXPECT_EQ(scan("from . import x\n"), (V{".:x@1"}));
    EXPECT_EQ(scan("from ..p.q import (r, s)\n"), (V{"..p.q:r,s@1"}));
    EXPECT_EQ(scan("from ... import x\n"), (V{"...:x@1"}));
    EXPECT_EQ(scan("from .m import *\n"), (V{".m:*@1"}));
    EXPECT_EQ(scan("from a import b as c, d as e\n"), (V{"a:b,d@1"}));
    EXPECT_EQ(scan("import a.b.c\n"), (V{"a.b.c@1"}));
    EXPECT_EQ(scan("from __future__ import annotations\n"), (V{"__future__:annotations@1"}));
    EXPECT_EQ(scan("from .import x\n"), (V{".:x@1"}));
}

TEST(PythonImportsScan, StatementsAndLines) {
    const char* src = "#!/usr/bin/env python\n"
                      "import a; import b\n"
                      "x = 1; from c import d\n"
                      "def f():\n"
                      "    import e\n"
                      "    if x:\n"
                      "        from f import (\n"
                      "            g,  # a comment\n"
                      "            h,\n"
                      "        )\n"
                      "try: import ujson as json\n"
                      "except ImportError: import json\n"
                      "from k \\\n"
                      "    import l\n"
                      "class C: import m\n";
    EXPECT_EQ(scan(src), (V{"a@2", "b@2", "c:d@3", "e@5", "f:g,h@7", "ujson@11", "json@12",
                            "k:l@13", "m@15"}));
}

TEST(PythonImportsScan, StringsAndCommentsAreSkipped) {
    const char* src = "# import no1\n"
                      "s = 'import no2'\n"
                      "t = \"import no3 \\\" import no4\"\n"
                      "u = '''\nimport no5\n'''\n"
                      "v = \"\"\"\nimport no6 \"\" \\\"\"\" \nimport no7\"\"\"\n"
                      "w = r'\\' import no8'\n"
                      "x = rb'import no9' + b\"import no10\" + U'import no11'\n"
                      "y = f'{a!r:>{width}} import no12' + F\"{'import no13'}\"\n"
                      "z = f\"{d[\"key\"]} import no14 {f'{1}'} {{import no15}}\"\n"
                      "q = f'''{\n"
                      "  a +\n"
                      "  b}\nimport no16'''\n"
                      "r = f\"\\N{EM DASH} import no17\"\n"
                      "import yes\n";
    EXPECT_EQ(scan(src), (V{"yes@19"}));
}

TEST(PythonImportsScan, NotImports) {
    const char* src = "important = 1\n"
                      "x.import_module('y')\n"
                      "def g():\n"
                      "    yield from h()\n"
                      "raise E from e\n"
                      "print(a, from_)\n"
                      "d = {1: import_x}\n"
                      "f = lambda: fromage\n"
                      "importlib.import_module('z')\n";
    EXPECT_TRUE(scan(src).empty());
}

TEST(PythonImportsScan, LineEndingsAndContinuations) {
    EXPECT_EQ(scan("import a\r\nimport b\rimport c\n"), (V{"a@1", "b@2", "c@3"}));
    EXPECT_EQ(scan("x = (1,\n 2)\nimport a\n"), (V{"a@3"}));
    EXPECT_EQ(scan("x = 1 + \\\n 2; import a\n"), (V{"a@2"})); // the keyword's line
    EXPECT_EQ(scan("import a"), (V{"a@1"}));                   // no final newline
    EXPECT_EQ(scan("\xEF\xBB\xBFimport a\n"), (V{"a@1"}));     // byte order mark
}

TEST(PythonImportsScan, BrokenCodeDoesNotStopTheScan) {
    // An unterminated single-quoted string ends at its line, as in Python's tokenizer.
    EXPECT_EQ(scan("s = 'oops\nimport a\n"), (V{"a@2"}));
    EXPECT_EQ(scan("s = f'{x\nimport a\n"), (V{"a@2"}));
    EXPECT_EQ(scan("import\nfrom\nfrom x\nfrom . import\nimport a.\n"), (V{".@4", "a@5"}));
    EXPECT_TRUE(scan("'''never closed\nimport a\n").empty());
}

TEST(PythonImportsScan, ArbitraryBytesInLinearTime) {
    std::mt19937 rng(42);
    std::string junk(1 << 16, '\0');
    const std::string alphabet = "import from . ,;:()[]{}'\"\\#\nfrb{}!=\r\t\x80\xff";
    for (int round = 0; round < 50; ++round) {
        for (char& c : junk) {
            c = alphabet[rng() % alphabet.size()];
        }
        (void)scan_imports(junk);
    }
    // Deep nesting must not recurse: 200k nested f-string fields and brackets.
    std::string deep;
    for (int k = 0; k < 200000; ++k) {
        deep += "f'{";
    }
    std::string brackets(400000, '(');
    const auto start = std::chrono::steady_clock::now();
    (void)scan_imports(deep);
    (void)scan_imports(brackets);
    (void)scan_imports(std::string(1 << 20, '.') + "import x");
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(PythonImportsReach, FollowsImportsTransitively) {
    TempDir t;
    const fs::path root = t.path() / "proj";
    fs::create_directories(root);
    TempDir& d = t;
    auto w = [&](const std::string& rel, const std::string& content = "") {
        d.write("proj/" + rel, content);
    };
    w("main.py", "import os, sys\n"
                 "import pkg.sub.mod\n"
                 "from util import helper\n"
                 "from lib import tool, CONSTANT\n"
                 "import requests\n");
    w("pkg/__init__.py", "from .core import thing\n");
    w("pkg/core.py", "thing = 1\n");
    w("pkg/sub/__init__.py");
    w("pkg/sub/mod.py", "from ..core import thing\nfrom . import other\nimport pkg  # cycle\n");
    w("pkg/sub/other.py", "from ...outside import x  # above the root: ignored\n");
    w("util/helper.py", "def f():\n    from .. import main\n"); // util: namespace package
    w("lib/__init__.py", "CONSTANT = 1\n");
    w("lib/tool.py");
    w("lib/unused.py");
    w("unused.py");
    EXPECT_EQ(reachable_modules(root, {"main.py"}),
              (V{"lib/__init__.py", "lib/tool.py", "main.py", "pkg/__init__.py", "pkg/core.py",
                 "pkg/sub/__init__.py", "pkg/sub/mod.py", "pkg/sub/other.py", "util/helper.py"}));
}

TEST(PythonImportsReach, DottedImportLoadsEveryPackage) {
    TempDir t;
    t.write("main.py", "import a.b.c\n");
    t.write("a/__init__.py");
    t.write("a/b/__init__.py");
    t.write("a/b/c.py");
    t.write("a/b/d.py");
    EXPECT_EQ(reachable_modules(t.path(), {"main.py"}),
              (V{"a/__init__.py", "a/b/__init__.py", "a/b/c.py", "main.py"}));
}

TEST(PythonImportsReach, PackageBeatsModuleAndModuleStopsChain) {
    TempDir t;
    t.write("main.py", "import a\nimport m.x\nfrom m import y\n");
    t.write("a.py");
    t.write("a/__init__.py");
    t.write("m.py");
    t.write("m/x.py"); // shadowed by m.py: m is a module, not a package
    t.write("m/y.py");
    EXPECT_EQ(reachable_modules(t.path(), {"main.py"}), (V{"a/__init__.py", "m.py", "main.py"}));
}

TEST(PythonImportsReach, EntryInPackageBringsItsInitsAndRelativeImports) {
    TempDir t;
    t.write("app/__init__.py");
    t.write("app/flows/__init__.py", "from . import shared\n");
    t.write("app/flows/wf.py", "from .tasks import t1\nfrom ..models import M\n");
    t.write("app/flows/tasks.py");
    t.write("app/flows/shared.py");
    t.write("app/models.py");
    t.write("other/x.py");
    EXPECT_EQ(reachable_modules(t.path(), {"./app/flows/wf.py"}),
              (V{"app/__init__.py", "app/flows/__init__.py", "app/flows/shared.py",
                 "app/flows/tasks.py", "app/flows/wf.py", "app/models.py"}));
}

// Absolute imports found where they are at run time: a script's own folder (`python
// scripts/train.py` puts scripts/ first on sys.path) and a src/ layout's src/ (`python -m
// app.main` there, or PYTHONPATH=src). The Flyte SDK ships what the running program loaded, so
// these are in its bundle; a static scan from the root alone missed them.
TEST(PythonImportsReach, ScriptFolderAndSrcLayoutImportsAreFound) {
    TempDir t;
    t.write("scripts/train.py", "import helpers\nfrom config import settings\n");
    t.write("scripts/helpers.py", "import numpy\n");
    t.write("scripts/config/__init__.py");
    t.write("scripts/config/settings.py");
    t.write("scripts/unused.py");
    EXPECT_EQ(reachable_modules(t.path(), {"scripts/train.py"}),
              (V{"scripts/config/__init__.py", "scripts/config/settings.py", "scripts/helpers.py",
                 "scripts/train.py"}));
    t.write("src/app/__init__.py");
    t.write("src/app/main.py", "from app.utils import x\nimport app.db\n");
    t.write("src/app/utils.py");
    t.write("src/app/db/__init__.py", "from app.db.models import M\n");
    t.write("src/app/db/models.py");
    t.write("src/app/unused.py");
    EXPECT_EQ(reachable_modules(t.path(), {"src/app/main.py"}),
              (V{"src/app/__init__.py", "src/app/db/__init__.py", "src/app/db/models.py",
                 "src/app/main.py", "src/app/utils.py"}));
}

TEST(PythonImportsReach, CyclesAndSeveralEntries) {
    TempDir t;
    t.write("a.py", "import b\n");
    t.write("b.py", "import a\nimport c\n");
    t.write("c.py", "from a import *\n");
    t.write("d.py");
    EXPECT_EQ(reachable_modules(t.path(), {"a.py", "d.py", "a.py"}),
              (V{"a.py", "b.py", "c.py", "d.py"}));
}

TEST(PythonImportsReach, FutureAndStdlibShadowsAreIgnoredOrLocal) {
    TempDir t;
    t.write("main.py", "from __future__ import annotations\nimport json\n");
    t.write("__future__.py");
    t.write("json/__init__.py"); // a local package named like a stdlib one is under the root
    EXPECT_EQ(reachable_modules(t.path(), {"main.py"}), (V{"json/__init__.py", "main.py"}));
}

TEST(PythonImportsReach, NeverLeavesTheRootThroughSymlinks) {
    TempDir t;
    t.write("outside/evil.py", "import secret\n");
    t.write("outside/pkg/__init__.py");
    t.write("outside/pkg/mod.py");
    t.write("root/main.py", "import evil\nimport pkg.mod\nimport inside\n");
    t.write("root/real.py");
    const fs::path root = t.path() / "root";
    fs::create_symlink(t.path() / "outside/evil.py", root / "evil.py");
    fs::create_directory_symlink(t.path() / "outside/pkg", root / "pkg");
    fs::create_symlink("real.py", root / "inside.py"); // stays inside: fine
    EXPECT_EQ(reachable_modules(root, {"main.py"}), (V{"inside.py", "main.py"}));
    try {
        (void)reachable_modules(root, {"evil.py"});
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::invalid_spec);
    }
}

TEST(PythonImportsReach, BadEntriesThrowInvalidSpec) {
    TempDir t;
    t.write("main.py");
    t.write("pkg/__init__.py");
    for (const std::string& entry :
         {std::string("missing.py"), std::string("../main.py"), (t.path() / "main.py").string(),
          std::string("pkg"), std::string(""), std::string(".")}) {
        try {
            (void)reachable_modules(t.path(), {entry});
            FAIL() << "no error for entry '" << entry << "'";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::invalid_spec) << entry;
            EXPECT_NE(std::string(e.what()).find("entry"), std::string::npos) << e.what();
        }
    }
    try {
        (void)reachable_modules(t.path() / "nope", {"main.py"});
        FAIL() << "no error for a missing root";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::invalid_spec);
    }
}

} // namespace
