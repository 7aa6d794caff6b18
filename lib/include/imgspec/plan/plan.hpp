#pragma once
// A spec resolved against the disk, the config and its parent specs: everything the Dockerfile, the
// build context and the tag are computed from.

#include <imgspec/core/config.hpp>
#include <imgspec/core/error.hpp>
#include <imgspec/lock/lock_file.hpp>
#include <imgspec/plan/manifest.hpp>
#include <imgspec/spec/model.hpp>
#include <imgspec/util/progress.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace imgspec::plan {

// Where bind-mounted inputs (requirements, lock files, wheels, local sources) appear inside RUN
// steps: a layer's folder of the context, layers/N, is at <bind_root>/layers/N.
inline constexpr const char* bind_root = "/tmp/imgspec";

// Where one layer's files sit in the build context ("layers/3") and what they are.
struct LayerFiles {
    std::string dir;                // context folder of this layer, "" when it has no files
    std::vector<std::string> names; // for requirements/uv/poetry/local wheels: file names in dir
    // uv_project with local sources (a workspace's members, path dependencies): the layer folder
    // mirrors the spec's folder, the pyproject and lock at `project` (their folder, relative to
    // the spec's) and each local source at its own place, so the dependency step sees them all.
    // requirements with includes (-r, -c): the same, each file at its spec-relative path, `names`
    // the top file first.
    bool mirrored = false;
    std::string project;
    bool locked = true; // uv_project: a uv.lock is there
};

struct ResolvedLayer {
    spec::Layer layer;
    LayerFiles files;
    std::string dst; // source_folder/source_file/code_bundle: resolved destination
};

// A secret that the build needs, with where its value comes from. Never holds the value.
struct SecretSource {
    std::string id;   // BuildKit secret id
    std::string env;  // read from this environment variable, or
    std::string file; // from this file (absolute path)
};

struct Plan;

struct Plan {
    spec::Spec spec;
    std::string name;
    std::string registry;
    std::vector<spec::Platform> platforms; // as written, else the parent's, else the default
    std::string python_version;
    // FROM image; for a `dockerfile` base, empty (the user's Dockerfile is used as is).
    std::string base_image;
    bool debian_base = false; // render the Flyte Debian base steps
    spec::DebianBase debian;
    // (For `from: spec` it is the parent's URI, which pipeline::resolve_plan fills in: planning
    // never renders.)
    std::optional<std::string> user_dockerfile; // from: dockerfile: its content
    // Where the Dockerfile sits in the context: "Dockerfile", or for from: dockerfile the user's
    // file at its own path, so that the folder's other files (a Dockerfile too) stay as they are.
    std::string dockerfile_path = "Dockerfile";
    // python_version was given (not the default): the venv must have it, checked in the build.
    bool python_version_given = false;
    // The user the image runs as, restored after the installs (which run as 0:0): the spec's
    // `user`, flyte for a debian_base, a parent spec's; empty when it is the user of an external
    // image (`base_user_image`), looked up at build time and passed as a build argument.
    std::string final_user;
    std::string base_user_image;
    std::vector<ResolvedLayer> layers;
    Manifest files;                    // every copied file, without the Dockerfile, sorted
    std::vector<SecretSource> secrets; // every secret a RUN step or the registry needs
    std::optional<SecretSource> registry_secret;
    // from: spec. Shared, not owned: a plan is a value that copies whole (build renders a copy of
    // its parent) and a parent is never changed once planned.
    std::shared_ptr<const Plan> parent;
    // Advice that is not an error, with severity warning (an install after the source copy, a
    // secret's file left out of the context); a parent's are in its own plan.
    std::vector<Diagnostic> warnings;
    // The lock beside the spec (lock::lock_path), read for the outermost spec of a chain only:
    // the whole chain renders with it (pipeline). Null when there is none.
    std::shared_ptr<const lock::Lock> lock;
};

struct PlanOptions {
    unsigned hash_threads = 0; // 0 -> hardware concurrency
    bool hash = true;          // read and hash file contents
    // Take the digest of a file whose stat data (size, mtime, ctime, inode, device) did not change
    // since the last run from the stat cache instead of reading it (see plan/stat_cache.hpp), and
    // update the cache. `--no-cache` sets it to false: every file is read, the cache is neither
    // read nor written.
    bool use_cache = true;
    // Folder of the stat cache; empty: $XDG_CACHE_HOME/imgspec, else ~/.cache/imgspec.
    std::filesystem::path cache_dir;
    // Specs being planned, outermost first: a `from: spec` chain that returns to one is a cycle.
    std::vector<std::filesystem::path> chain;
    // Told about the files read for hashing (see plan::hash_pending): a "hashing" phase per spec
    // that has files to read, none when every digest comes from the stat cache. Null: nobody
    // watches.
    util::Progress* progress = nullptr;
    // Read the lock file beside the spec (Plan::lock). `imgspec lock` plans without it, since it
    // writes the lock anew.
    bool read_lock = true;
};

// Resolve a spec. Checks every referenced file (exists, right type, inside the spec's folder),
// resolves `from: spec` chains (cycles, non-extendable parents), ref names, uv scripts (PEP 723),
// code bundles and ignore rules, and hashes the files.
// Throws SpecError for problems in the spec or its files, Error for I/O failures.
Plan make_plan(const spec::Spec& spec, const Config& config, const PlanOptions& options = {});

// Read and plan a spec file.
Plan plan_file(const std::filesystem::path& file, const Config& config,
               const PlanOptions& options = {});

} // namespace imgspec::plan
