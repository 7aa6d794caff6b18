#include "common.hpp"

#include <imgspec/core/error.hpp>
#include <imgspec/init/project.hpp>
#include <imgspec/spec/names.hpp>
#include <imgspec/util/atomic_file.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>
#include <memory>

namespace fs = std::filesystem;

namespace imgspec::app {

namespace {

struct InitArgs {
    std::string dir = ".";
    bool toml = false;
    bool force = false;
    bool print = false;
    std::string name;
    std::string base;
};

void write_file(const fs::path& file, const std::string& text) {
    util::AtomicFile out(file.string());
    out.write(text.data(), text.size());
    out.commit();
}

// The path as the user would type it: "imgspec.yaml" for the current folder, else DIR/imgspec.yaml.
std::string shown(const std::string& dir, const std::string& file) {
    return dir == "." ? file : (fs::path(dir) / file).string();
}

int run_init(const InitArgs& args) {
    init::Project project = init::detect(args.dir);
    if (!args.name.empty()) {
        if (std::string why = spec::check_image_name(args.name); !why.empty()) {
            throw Error(ErrorKind::usage, fmt::format("--name {}: {}", args.name, why));
        }
        project.name = args.name;
    }
    // The spec copies the whole folder: without a .dockerignore, .git and .venv would be shipped.
    const bool copies_folder =
        project.kind != init::Kind::script && project.kind != init::Kind::dockerfile;
    const bool write_ignore =
        !args.print && copies_folder && !project.shipped.empty() && !project.has_dockerignore;
    std::vector<std::string> shipped = project.shipped;
    if (write_ignore) {
        project.shipped.clear(); // the .dockerignore written below leaves them out
    }
    const std::string text = init::spec_text(project, {.toml = args.toml, .base = args.base});
    if (args.print) {
        std::cout << text;
        return 0;
    }
    const std::string file = args.toml ? "imgspec.toml" : "imgspec.yaml";
    const fs::path path = fs::path(args.dir) / file;
    std::error_code ec;
    if (fs::exists(fs::symlink_status(path, ec)) && !args.force) {
        throw Error(ErrorKind::other, fmt::format("{} exists already", shown(args.dir, file)),
                    "pass --force to replace it, or --print to see the new spec");
    }
    write_file(path, text);
    spdlog::info("wrote {} (found: {})", shown(args.dir, file),
                 project.found.empty() ? "no project files" : util::join(project.found, ", "));
    if (write_ignore) {
        write_file(fs::path(args.dir) / ".dockerignore", init::dockerignore_text(project));
        spdlog::info("wrote {}: .git, .venv and caches stay out of the image",
                     shown(args.dir, ".dockerignore"));
    } else if (copies_folder && !shipped.empty()) {
        spdlog::warn("{} would be copied into the image: add {} to {}",
                     util::join(shipped, " and "), util::join(shipped, ", "),
                     shown(args.dir, ".dockerignore"));
    }
    std::cout << shown(args.dir, file) << "\n";
    return 0;
}

} // namespace

void add_init(CLI::App& app, GlobalOptions& /*global*/, Selected& selected) {
    auto args = std::make_shared<InitArgs>();
    auto* cmd = app.add_subcommand(
        "init", "Write a starting spec for an existing project (uv, Poetry, pip, a script)");
    cmd->add_option("DIR", args->dir, "The project's folder (default: the current one)");
    cmd->add_flag("--toml", args->toml, "Write imgspec.toml instead of imgspec.yaml");
    cmd->add_flag("--force", args->force, "Replace an existing spec");
    cmd->add_flag("--print", args->print, "Print the spec on stdout; write no file");
    cmd->add_option("--name", args->name,
                    "Image name (default: the project's name, else the folder's)")
        ->type_name("NAME");
    cmd->add_option("--base", args->base,
                    "Base image (default: python:VERSION-slim-bookworm, VERSION from "
                    ".python-version, else 3.12)")
        ->type_name("IMAGE");
    cmd->footer(
        "Detects uv.lock / pyproject.toml (uv or Poetry), requirements.txt, a PEP 723 script,\n"
        "a Dockerfile and .python-version; installs dependencies before copying the source.\n"
        "Writes a .dockerignore when .git or .venv would be copied and there is none.\n"
        "Prints the spec's path on stdout; never replaces a file without --force.\n"
        "\nExamples:\n"
        "  imgspec init && imgspec build imgspec.yaml\n"
        "  imgspec init path/to/project --toml\n"
        "  imgspec init --print | imgspec render - --dockerfile");
    cmd->callback([&selected, args] { selected = [args] { return run_init(*args); }; });
}

} // namespace imgspec::app
