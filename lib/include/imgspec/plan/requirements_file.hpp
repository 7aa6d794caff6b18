#pragma once
// What a pip requirements file names besides packages: the files it includes (-r, -c), which the
// install needs beside it, and the local paths it installs (-e ., ./pkg, -f ./wheels), which are
// paths on the build machine and not in the image.

#include <string>
#include <string_view>
#include <vector>

namespace imgspec::plan {

struct RequirementsRef {
    enum class Kind {
        include,    // -r / --requirement: another requirements file
        constraint, // -c / --constraint: a constraints file
        local,      // a requirement or option naming a relative local path
        variable,   // ${NAME}, which pip and uv expand from the environment; value: NAME
    };
    Kind kind = Kind::include;
    std::string
        option;        // as written: "-r", "--constraint", "-e", "--find-links"; "" for a bare path
    std::string value; // the path as written
    int line = 0;      // 1-based, of the physical line where the option (or path) starts
    int column = 0;    // 1-based
};

// The references of one requirements file, in order, read as pip reads it (pip's req_file.py):
// lines ending in a backslash joined to the next, comments (`#` at the start or after
// whitespace) removed, then options split on whitespace; `-rFILE`, `-r FILE`,
// `--requirement=FILE` and `--requirement FILE` alike. Includes and constraints given as URLs
// (http:, https:, file:) are left out: pip fetches those itself. Local paths: `-e`/`--editable`
// and `-f`/`--find-links` values and bare requirements that start with `.` or `file:` without
// `//`, and direct references to a file (`name @ file:///path`, as `pip freeze` writes them in a
// conda environment); other absolute paths are not listed (they may be paths in the image).
// Variables: each `${NAME}` (pip's form: upper-case letters, digits, `_`) outside comments.
std::vector<RequirementsRef> requirements_references(std::string_view text);

} // namespace imgspec::plan
