#include "common.hpp"
#include "json_output.hpp"

#include <imgspec/build/docker_cli.hpp>
#include <imgspec/build/lock_images.hpp>
#include <imgspec/core/error.hpp>
#include <imgspec/util/process.hpp>
#include <imgspec/util/signals.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>
#include <memory>

namespace imgspec::app {

namespace {

struct LockArgs {
    std::vector<std::string> specs;
    std::optional<std::string> update; // --update (all: "") or --update=REFERENCE
    std::string update_value;
    bool json = false;
};

bool looks_like_spec(const std::string& word) {
    std::error_code ec;
    std::string_view w = word;
    return (w.ends_with(".yaml") || w.ends_with(".yml") || w.ends_with(".toml")) &&
           std::filesystem::is_regular_file(word, ec);
}

int run_lock(const GlobalOptions& global, LockArgs args) {
    util::install_signal_handlers();
    // `lock --update spec.yaml`: the parser took the spec for the reference to update.
    if (args.update && looks_like_spec(*args.update)) {
        args.specs.insert(args.specs.begin(), *args.update);
        args.update = "";
    }
    if (args.specs.empty()) {
        throw Error(ErrorKind::usage, "lock needs at least one SPEC",
                    "imgspec lock SPEC... [--update[=REFERENCE]]");
    }
    for (const auto& s : args.specs) {
        if (s == "-") {
            throw Error(ErrorKind::usage,
                        "a spec on standard input has no folder for its lock file",
                        "lock a spec file");
        }
    }
    Config cfg = load_global_config(global);
    util::PosixProcessRunner posix;
    build::DirectBuildxRunner runner(posix);
    build::LockRequest request;
    request.update_all = args.update && args.update->empty();
    if (args.update && !args.update->empty()) {
        request.update.push_back(*args.update);
    }
    // Every spec is read (and its old lock checked) before the registry is asked for anything.
    struct Job {
        std::string spec;
        pipeline::Image image;
        std::optional<lock::Lock> old;
    };
    std::vector<Job> jobs;
    bool reference_used = request.update.empty();
    for (const auto& s : args.specs) {
        plan::PlanOptions options;
        options.read_lock = false;
        Job job{s, resolve(s, {}, cfg, options), lock::read_lock(s)};
        if (!reference_used) {
            lock::Needs needs = pipeline::lock_needs(job.image);
            reference_used = needs.count(request.update[0]) != 0;
        }
        jobs.push_back(std::move(job));
    }
    if (!reference_used) {
        throw Error(ErrorKind::usage,
                    fmt::format("--update: no Dockerfile of {} uses {}",
                                util::join(args.specs, ", "), *args.update),
                    "give the reference as the lock file writes it, or --update alone for all");
    }
    Json all = Json::array();
    for (auto& job : jobs) {
        std::filesystem::path file = lock::lock_path(job.spec);
        build::LockOutcome out = build::lock_image(job.image, job.old, file, request, runner);
        if (args.json) {
            Json j;
            j["spec"] = job.spec;
            j["lock"] = file.string();
            j["written"] = out.written;
            j["images"] = Json::array();
            for (const auto& i : out.lock.images) {
                j["images"].push_back(
                    {{"reference", i.reference}, {"digest", i.digest}, {"platforms", i.platforms}});
            }
            j["resolved"] = out.resolved;
            j["moved"] = out.moved;
            j["removed"] = out.removed;
            all.push_back(std::move(j));
            continue;
        }
        std::string what = fmt::format("{} image{}", out.lock.images.size(),
                                       out.lock.images.size() == 1 ? "" : "s");
        if (!out.moved.empty()) {
            what += "; moved: " + util::join(out.moved, ", ");
        }
        if (!out.removed.empty()) {
            what += "; removed: " + util::join(out.removed, ", ");
        }
        std::cout << fmt::format("{} {} ({})\n", out.written ? "wrote" : "unchanged", file.string(),
                                 what);
    }
    if (args.json) {
        print_json(all);
    }
    return 0;
}

} // namespace

void add_lock(CLI::App& app, GlobalOptions& global, Selected& selected) {
    auto args = std::make_shared<LockArgs>();
    auto* cmd = app.add_subcommand(
        "lock", "Pin the images the specs' Dockerfiles start from to digests, in SPEC.lock files");
    cmd->add_option("SPEC", args->specs, "Spec files (.yaml, .yml, .toml)");
    auto* update =
        cmd->add_option(
               "--update", args->update_value,
               "Resolve every image again (--update), or only REFERENCE (--update=REFERENCE); "
               "without it, locked images keep their digests")
            ->expected(0, 1)
            ->allow_extra_args(false)
            ->type_name("REFERENCE");
    cmd->add_flag("--json", args->json,
                  "Print a JSON array: spec, lock, written, images, resolved, moved, removed");
    cmd->footer("Examples:\n"
                "  imgspec lock spec.yaml                       write spec.yaml.lock\n"
                "  imgspec lock --update spec.yaml              every image to its digest now\n"
                "  imgspec lock --update=python:3.12-slim spec.yaml\n"
                "  imgspec outdated spec.yaml || imgspec lock --update spec.yaml");
    cmd->callback([&global, &selected, args, update] {
        if (update->count() > 0) {
            args->update = args->update_value;
        }
        selected = [&global, args] { return run_lock(global, *args); };
    });
}

} // namespace imgspec::app
