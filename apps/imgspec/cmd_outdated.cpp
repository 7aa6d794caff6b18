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

#include <iostream>
#include <memory>

namespace imgspec::app {

namespace {

struct OutdatedArgs {
    std::vector<std::string> specs;
    bool json = false;
};

// "sha256:0123456789ab", enough to tell two digests apart in a line.
std::string short_digest(const std::string& d) {
    return d.empty() ? "(none)" : d.substr(0, 7 + 12);
}

int run_outdated(const GlobalOptions& global, const OutdatedArgs& args) {
    util::install_signal_handlers();
    for (const auto& s : args.specs) {
        if (s == "-") {
            throw Error(ErrorKind::usage, "a spec on standard input has no lock file",
                        "give the spec file");
        }
    }
    Config cfg = load_global_config(global);
    util::PosixProcessRunner posix;
    build::DirectBuildxRunner runner(posix);
    // Every spec and lock is read before the registry is asked.
    std::vector<pipeline::Image> images;
    for (const auto& s : args.specs) {
        images.push_back(resolve(s, {}, cfg));
    }
    Json all = Json::array();
    std::size_t moved = 0;
    std::size_t total = 0;
    for (std::size_t k = 0; k < images.size(); ++k) {
        for (const auto& d : build::outdated(images[k], runner)) {
            ++total;
            moved += d.moved() ? 1 : 0;
            if (args.json) {
                Json platforms = Json::object();
                for (const auto& [p, change] : d.platforms) {
                    platforms[p] = {
                        {"locked", change.first},
                        {"current", change.second.empty() ? Json(nullptr) : Json(change.second)}};
                }
                all.push_back({{"spec", args.specs[k]},
                               {"reference", d.reference},
                               {"locked", d.locked},
                               {"current", d.current},
                               {"moved", d.moved()},
                               {"platforms", platforms}});
            } else if (d.moved()) {
                std::vector<std::string> which;
                for (const auto& [p, change] : d.platforms) {
                    which.push_back(p);
                }
                std::cout << fmt::format(
                    "{}: {} moved: {} -> {} ({})\n", args.specs[k], d.reference,
                    short_digest(d.locked), short_digest(d.current),
                    which.empty() ? "the index only; the images of the spec's platforms are "
                                    "the same"
                                  : util::join(which, ", ") + " changed");
            }
        }
    }
    if (args.json) {
        print_json(all);
    } else if (moved == 0) {
        spdlog::info("all {} locked image{} are current", total, total == 1 ? "" : "s");
    } else {
        spdlog::info("{} of {} locked images moved: `imgspec lock --update SPEC` takes them", moved,
                     total);
    }
    return moved == 0 ? 0 : 1;
}

} // namespace

void add_outdated(CLI::App& app, GlobalOptions& global, Selected& selected) {
    auto args = std::make_shared<OutdatedArgs>();
    auto* cmd = app.add_subcommand(
        "outdated", "List the locked images whose digest moved upstream (exit 1 when any did)");
    cmd->add_option("SPEC", args->specs, "Spec files with a lock file")->required();
    cmd->add_flag("--json", args->json,
                  "Print a JSON array, one object per locked image: spec, reference, locked, "
                  "current, moved, platforms");
    cmd->footer("Examples:\n"
                "  imgspec outdated spec.yaml                 exit 0: nothing moved, 1: some did\n"
                "  imgspec outdated specs/*.yaml --json | jq '.[] | select(.moved)'");
    cmd->callback([&global, &selected, args] {
        selected = [&global, args] { return run_outdated(global, *args); };
    });
}

} // namespace imgspec::app
