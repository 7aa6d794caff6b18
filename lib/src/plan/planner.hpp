#pragma once
// The planner: one spec into one plan. Its parts: plan.cpp (the order of the whole run, and
// make_plan over a chain of specs), planner_base.cpp (the base, one function per form),
// planner_layers.cpp (each layer, one function per kind), planner_files.cpp (paths, the context's
// entries, folder walks, ignore rules, the stat cache), planner_secrets.cpp (secrets and their
// files), planner_python.cpp (uv and Poetry projects, uv scripts). Internal to lib/src/plan.

#include <imgspec/core/error.hpp>
#include <imgspec/plan/dockerignore.hpp>
#include <imgspec/plan/local_sources.hpp>
#include <imgspec/plan/plan.hpp>
#include <imgspec/plan/requirements_file.hpp>
#include <imgspec/plan/stat_cache.hpp>
#include <imgspec/plan/walk.hpp>
#include <imgspec/util/fd.hpp>

#include <cstdint>
#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <unordered_set>
#include <utility>
#include <vector>

namespace imgspec::plan::detail {

namespace fs = std::filesystem;

// Specs extending specs (from: spec): deeper than this is an error, not a stack overflow.
inline constexpr std::size_t max_spec_chain = 64;

using util::read_text;
// Why a named path cannot be used, from the error of stat(2) on it: "does not exist" only when
// nothing is there, so a symlink loop or a folder without search permission says what it is.
std::string cannot_stat(const fs::path& p, std::error_code ec);

// What planning a spec's `from: spec` parent gave: its plan, or what it threw. Parents are planned
// before their children (make_plan walks the chain without recursion), so a child's planner only
// picks the result up where it used to plan the parent itself.
struct ParentResult {
    std::shared_ptr<const Plan> plan;
    std::exception_ptr error;
};

class Planner {
  public:
    Planner(const spec::Spec& s, const Config& cfg, const PlanOptions& opts,
            ParentResult parent = {});

    Plan run();

  private:
    // The parent's plan as make_plan made it (or its exception, thrown here as planning it here
    // would have). Only when the parent file appeared after make_plan looked (a race) is it planned
    // here; the chain's depth cap bounds that recursion.
    std::shared_ptr<const Plan> parent_plan(const fs::path& parent_file, const PlanOptions& popts);

    void error(Mark mark, const std::string& path, std::string message, std::string hint = {});

    void warn(Mark mark, const std::string& path, std::string message, std::string hint);

    // A project copied whole (install_project) with its .venv or .git: megabytes in the context,
    // and a tag that changes with every local install or commit.
    void warn_heavy_folders(const fs::path& project, Mark mark, const std::string& path);

    // What stands at an absolute, lexically normal path: its real path (symlinks resolved),
    // checked to be inside the spec's folder, there, and of the type wanted (none: any).
    struct PathCheck {
        enum Problem { none, outside, missing, wrong_type };
        fs::path canon;
        Problem problem = none;
        std::error_code ec; // of stat(2), for `missing`
    };
    PathCheck check_path(const fs::path& abs, fs::file_type want) const;

    // A spec-relative path resolved and checked to stay inside the spec's folder.
    // Returns the absolute path (symlinks in it resolved), or nullopt after a diagnostic.
    std::optional<fs::path> resolve(const fs::path& p, Mark mark, const std::string& path,
                                    fs::file_type want);

    bool inside(const fs::path& canon) const;

    // The spec-relative path of an absolute path inside the root, '/'-separated ("" for the root).
    std::string rel_of(const fs::path& canon) const;

    // A file inside the root as diagnostics name it: beside the spec as the spec is named.
    std::string display_of(const fs::path& canon) const;

    void add_dir_chain(const std::string& ctx_path);

    void add_synthetic_dir(const std::string& ctx_path);

    void add_entry(Entry e);

    // The stat cache's file for this spec; empty when this run has none (not caching(), no
    // cache folder, or a spec that is not a file).
    const fs::path& cache_file();

    // The stat cache, opened at the first file (a spec that copies nothing reads no cache).
    StatCache* cache();

    // Whether the walk may leave regular files un-stat'ed for the hashing to stat
    // (WalkOptions::defer_file_stat): every file is hashed next, as there is no record to look
    // up: --no-cache, no cache folder, or no cache file yet (a first run, or a CI machine).
    bool defer_file_stat();

    // Whether this run reads and writes the stat cache (cache() may still find none).
    bool caching() const { return m_opts.hash && m_opts.use_cache; }

    // A file whose stat matches its cache record gets its digest now; hash_pending skips it.
    // `key`: StatCache::key_of(e.source) when the caller computed it.
    void use_cache(Entry& e, const FileStat& st, std::optional<std::uint64_t> key = {});

    // A string, not a path: building a std::filesystem::path parses it, and most specs have no
    // secret files to compare with.
    bool is_secret_file(const std::string& p) const;

    // Copy one file (not following a symlink) to ctx_path. A secret's file is never copied.
    void add_file(const fs::path& source, const std::string& ctx_path, Mark mark,
                  const std::string& path);

    // Threads for the walk and the hashing: PlanOptions::hash_threads, else one per CPU.
    unsigned walk_threads() const;

    // Walk a folder; ctx_prefix receives its contents. Ignore rules use spec-relative paths.
    // The folders are listed on several threads (FolderWalk) and visited here in byte order of
    // their paths.
    void add_tree(const fs::path& dir, const std::string& ctx_prefix, Mark mark,
                  const std::string& path);

    // Read a rules file; they apply to every copy of the spec (several files: in layer order, so
    // a later file's rules win, as later lines do). ctx_path: where the file goes in the
    // context, "" when it is a file of the context already.
    void set_ignore_rules(const fs::path& file, const std::string& ctx_path, Mark mark,
                          const std::string& path);

    void collect_secret(const spec::SecretMount& m, const std::string& path);

    // Each id once, in the order first seen; a set, as one RUN may mount 100k secrets.
    void add_secret(const std::string& key, const std::string& id);

    // Where a secret's value comes from: its definition, else the environment variable of its name.
    SecretSource secret_source(const std::string& key, const std::string& id) const;

    // A secret's file as the build reads it: ~/ is $HOME, a relative path is the spec's folder's.
    // One answer everywhere a secret's path is used or compared.
    fs::path secret_file(const fs::path& file) const;

    // A secret's file under any name: its path, or a hard link to it (same device and inode).
    bool is_secret_identity(const fs::path& p) const;

    // Sorts by path in byte order through an index: an Entry is large to swap. The walk gives
    // each folder's entries in order already, so often there is nothing to do.
    void sort_entries();

    // A uv_project or poetry_project layer's files.
    struct Project {
        const char* kind; // "uv_project"
        const fs::path& pyproject;
        const fs::path& lock;  // as the spec gives it; empty: <lock_name> beside pyproject
        const char* lock_name; // "uv.lock"
        const char* lock_key;  // "uvlock"
        bool install_project;
    };
    void python_project(ResolvedLayer& r, const std::string& dir, const Project& project);
    void uv_version_warnings(const LocalSources& sources, Mark mark, const std::string& path);
    void python_version_check(const LocalSources& sources, Mark mark, const std::string& key);

    // The base (planner_base.cpp): the spec's own settings, then its form's, then the defaults
    // that are still open.
    void resolve_base();
    void base_form(const spec::DebianBase& d);
    void base_form(const spec::ImageBase& b);
    void base_form(const spec::RefNameBase& r);
    void base_form(const spec::UvScriptBase& u);
    void base_form(const spec::DockerfileBase& df);
    // from: spec: the parent checked (a file, no cycle, not too deep), planned, then inherited.
    void base_form(const spec::SpecBase& ps);
    void inherit_from(std::shared_ptr<const Plan> parent, const spec::SpecBase& ps);
    void base_defaults();

    // One layer being planned (planner_layers.cpp): its result, its folder in the context
    // ("layers/<index>") and where its diagnostics point.
    struct LayerWork {
        ResolvedLayer& r;
        std::string dir;
        const std::string& path;
        Mark mark;
        std::size_t index;
    };
    void resolve_layer(std::size_t index, const spec::Layer& layer);
    void layer_secrets(const LayerWork& w, const std::vector<spec::SecretMount>& mounts,
                       const std::string& key);
    void plan_kind(LayerWork& w, const spec::AptLayer& l);
    void plan_kind(LayerWork& w, const spec::CommandsLayer& l);
    void plan_kind(LayerWork& w, const spec::PipLayer& l);
    void plan_kind(LayerWork& w, const spec::RequirementsLayer& l);
    std::optional<fs::path> requirements_ref(const fs::path& from, const RequirementsRef& ref,
                                             const std::string& key);
    // The names a layer's step has as variables (its secrets, earlier env_vars): a set that
    // unset_variable adds each reported name to, so that it is reported once.
    std::set<std::string> step_variables(const LayerWork& w,
                                         const std::vector<spec::SecretMount>& secrets);
    void unset_variable(const fs::path& from, const RequirementsRef& ref, const std::string& key,
                        std::set<std::string>& set);
    void plan_kind(LayerWork& w, const spec::UvProjectLayer& l);
    void plan_kind(LayerWork& w, const spec::PoetryLayer& l);
    void plan_kind(LayerWork& w, const spec::SourceFolderLayer& l);
    void plan_kind(LayerWork& w, const spec::SourceFileLayer& l);
    void plan_kind(LayerWork& w, const spec::DockerignoreLayer& l);
    void plan_kind(LayerWork& w, const spec::CodeBundleLayer& l);
    void plan_kind(LayerWork& w, const spec::LocalV2Layer& l);
    void plan_kind(LayerWork& w, const spec::LocalV2PluginsLayer& l);
    void plan_kind(LayerWork& w, const spec::WorkdirLayer& l);
    void plan_kind(LayerWork& w, const spec::EnvLayer& l);
    // Chosen only for a kind with no overload above: it fails to compile.
    template <class T> void plan_kind(LayerWork& /*w*/, const T& /*l*/) {
        static_assert(spec::no_case_for<T>, "a layer kind that plans nothing");
    }
    // local_v2 and local_v2_plugins: the wheels of a dist folder.
    void wheels(LayerWork& w, const fs::path& dist);

    // The run's steps (plan.cpp), in order.
    void note_secret_files();
    void read_ignore_rules();
    void user_dockerfile_context();
    void check_layer_order(std::size_t index, bool copied, std::size_t first_copy);
    void hash_entries();
    void uv_script(const spec::UvScriptBase& b);
    std::string local_dependency(const std::string& dep, const fs::path& script_dir);

    const spec::Spec& m_spec;
    const Config& m_cfg;
    const PlanOptions& m_opts;
    std::string m_file;
    fs::path m_root;
    Diagnostics m_diags;
    Plan m_plan;
    Dockerignore m_ignore = Dockerignore::parse("");
    std::string m_ignore_text; // every rules file read, in order
    std::vector<Entry> m_entries;
    std::set<std::string> m_paths;
    std::set<fs::path> m_secret_files;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> m_secret_inodes; // (st_dev, st_ino)
    std::unordered_set<std::string> m_secret_ids;
    ParentResult m_parent;    // the `from: spec` parent's plan, planned before this one
    std::int64_t m_run_start; // before the first stat: the stat cache's racy limit
    bool m_cache_tried = false;
    std::optional<fs::path> m_cache_file; // cache_file(), once computed
    std::optional<StatCache> m_cache;
    std::vector<spec::Layer> m_layers;      // the spec's layers, after uv_script adds its own
    std::set<std::size_t> m_ignore_layers;  // dockerignore layers whose file was read
    std::vector<fs::path> m_script_sources; // a uv_script's local (file:) dependencies
};

} // namespace imgspec::plan::detail
