#pragma once
// Which Python files a program loads, found by reading import statements (no Python is run): the
// "loaded_modules" code bundle copies only these.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace imgspec::plan {

// One imported module. `import a.b as c, d` gives {a.b} and {d}; `from . import x` gives level 1,
// module "", names {x}; `from ..p.q import (r, s)` gives level 2, module "p.q", names {r, s};
// `from m import *` gives names {"*"}.
struct PythonImport {
    std::string module;             // dotted, without the leading dots
    int level = 0;                  // leading dots of a relative import
    std::vector<std::string> names; // after "from ... import"; empty for "import"
    int line = 0;                   // 1-based line of the "import" or "from" keyword
};

// The import statements of a Python source, in order, wherever they are (inside functions, if
// and try blocks, after ';' or a compound statement's ':'). Comments and strings of every kind
// (quotes, triple quotes, prefixes, f-strings with nested replacement fields) are skipped, and
// backslash continuations and brackets join lines as Python does. Any bytes are accepted: time
// is linear in the input, and broken code yields what could be read. Never throws.
std::vector<PythonImport> scan_imports(std::string_view source);

// Every .py file under `root` that the `entries` load, as sorted, '/'-separated paths relative
// to `root`, the entries included. Imports are followed transitively (cycles are fine):
//   - `import a.b.c` loads a/__init__.py, a/b/__init__.py and a/b/c.py (or a/b/c/__init__.py);
//     a folder without __init__.py is a namespace package; a module file a.py stops the chain.
//   - `from a import b` also loads a/b.py or a/b/__init__.py when b is a submodule.
//   - absolute imports resolve in `root`, in each entry's folder (sys.path[0] of `python
//     dir/main.py`) and in the folder above the entry's top package (a src/ layout run with
//     `python -m pkg.main`): wherever they may be found at run time.
//   - relative imports resolve against the importing file's package (entries are modules of
//     the package their folder forms under `root`); one reaching above `root` is ignored.
//   - every loaded file brings the __init__.py of each folder between it and `root`.
// Modules that are not under `root` (the standard library, site-packages) and `__future__` are
// ignored. Nothing outside `root` is returned: a file whose real path (symlinks resolved) leaves
// `root` is ignored.
//
// Throws imgspec::Error(ErrorKind::invalid_spec) when `root` is not a folder or an entry is
// absolute, leaves `root`, or is not a file under it; imgspec::Error(ErrorKind::other) when a
// file cannot be read.
std::vector<std::string> reachable_modules(const std::filesystem::path& root,
                                           const std::vector<std::string>& entries);

} // namespace imgspec::plan
