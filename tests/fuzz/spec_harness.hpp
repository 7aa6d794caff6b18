#pragma once
// What fuzz_yaml and fuzz_toml share: the input becomes a spec file in a scratch copy of specs/
// (so the example specs, used as seeds, find the files they name) and goes the way
// `imgspec render` takes it: load_file (size limit, UTF-8 check, the YAML or TOML loader), the
// reader that turns the tree into the spec model, the plan (bases, files, ignore rules; hashing
// off), the Dockerfile and the tag.
//
// The only exception allowed out is imgspec::Error: it is how a spec problem reaches the user
// (exit 3 with file:line:column). Anything else (std::out_of_range, a filesystem_error, ...)
// escapes, and libFuzzer reports it as a crash, as it does ASan and UBSan findings.

#include <imgspec/context/manifest.hpp>
#include <imgspec/core/config.hpp>
#include <imgspec/core/error.hpp>
#include <imgspec/plan/plan.hpp>
#include <imgspec/plan/tag.hpp>
#include <imgspec/render/dockerfile.hpp>
#include <imgspec/spec/model.hpp>

#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

namespace imgspec_fuzz {

namespace fs = std::filesystem;

// The scratch folder: $TMPDIR/imgspec-fuzz-<pid>/specs, a copy of the repository's specs/.
inline fs::path& scratch() {
    static fs::path dir;
    return dir;
}

inline void remove_scratch() {
    std::error_code ec;
    fs::remove_all(scratch().parent_path(), ec);
}

inline void set_up_scratch() {
    spdlog::set_level(spdlog::level::off);
    fs::path top = fs::temp_directory_path() / ("imgspec-fuzz-" + std::to_string(::getpid()));
    fs::remove_all(top);
    fs::create_directories(top);
    fs::copy(fs::path(IMGSPEC_SOURCE_DIR) / "specs", top / "specs", fs::copy_options::recursive);
    scratch() = top / "specs";
    std::atexit(remove_scratch);
}

inline imgspec::Config fuzz_config() {
    imgspec::Config cfg;
    cfg.refs["gpu"] = imgspec::Setting{"nvcr.io/nvidia/cuda:12.4.1-runtime-ubuntu22.04", "fuzz"};
    cfg.registry = imgspec::Setting{"registry.example.com/fuzz", "fuzz"};
    return cfg;
}

inline void write_file(const fs::path& file, const std::uint8_t* data, std::size_t size) {
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        std::perror("fuzz: cannot write the spec file");
        std::abort();
    }
    while (size > 0) {
        ssize_t n = ::write(fd, data, size);
        if (n <= 0) {
            std::perror("fuzz: cannot write the spec file");
            std::abort();
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    ::close(fd);
}

// A spec file read and planned as `imgspec render` does, with hashing off.
inline imgspec::plan::Plan plan_spec_file(const fs::path& file, const imgspec::Config& cfg) {
    imgspec::spec::Spec s = imgspec::spec::read_spec(file);
    imgspec::plan::PlanOptions options;
    options.hash = false;
    options.use_cache = false;
    options.hash_threads = 1;
    return imgspec::plan::make_plan(s, cfg, options);
}

// One input as the spec file fuzz<extension> (".yaml" or ".toml").
inline void run_spec(const std::uint8_t* data, std::size_t size, const char* extension) {
    static const imgspec::Config cfg = fuzz_config();
    const fs::path file = scratch() / (std::string("fuzz") + extension);
    write_file(file, data, size);
    try {
        imgspec::plan::Plan p = plan_spec_file(file, cfg);
        std::string dockerfile = imgspec::render::render_dockerfile(p, cfg);
        imgspec::plan::Manifest context = imgspec::context::context_manifest(p.files, dockerfile);
        std::string tag = imgspec::plan::compute_tag(context, p.platforms);
        if (tag.size() != imgspec::plan::tag_length) {
            __builtin_trap();
        }
    } catch (const imgspec::Error&) {
        // A spec problem, reported to the user: the expected outcome for most inputs.
    }
}

} // namespace imgspec_fuzz
