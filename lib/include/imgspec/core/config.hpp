#pragma once
// imgspec's own settings: ref names, default registry and builder, and the images that the
// rendered Dockerfiles use. Each value remembers where it came from (`imgspec config`). The
// values only: config/load_config.hpp reads them from the file, the environment and the flags.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace imgspec {

// Where a value comes from, lowest precedence first: default < file < env < flag.
struct Setting {
    std::string value;
    std::string source = "default"; // "default", "file", "env" or "flag"
    std::string origin = {}; // "config.yaml:3", "IMGSPEC_REGISTRY", "--ref"; "" for a default
};

// A boolean setting's value ("true" or "false").
inline bool is_true(const Setting& s) {
    return s.value == "true";
}

struct Config {
    Setting registry; // used when a spec names none
    Setting builder;  // buildx builder; empty -> buildx's current
    Setting debian_base_image{"python:{python_version}-slim-bookworm"}; // {python_version} expands
    Setting uv_image{"ghcr.io/astral-sh/uv:0.8.13"};
    Setting installer{"uv"};                        // "uv" or "pip"
    Setting syntax_image{"docker/dockerfile:1.10"}; // only when a spec needs a newer frontend
    // How the build context reaches the engine (context/delivery.hpp): "sync" (a staged folder,
    // BuildKit sends only what changed) or "tar" (the whole context on buildx's stdin).
    Setting context{"sync"};
    Setting require_lock{"false"}; // "true": build refuses a spec without a lock file
    // Attestations, off unless asked (build/buildx.hpp): "off", "min" or "max" provenance, and an
    // SBOM made by the generator image.
    Setting provenance{"off"};
    Setting sbom{"false"};
    Setting sbom_generator{"docker/buildkit-syft-scanner:stable-1"};
    // Reproducible digests: SOURCE_DATE_EPOCH and rewritten layer timestamps.
    Setting reproducible{"false"};
    Setting source_date_epoch{"0"};
    // A registry cache per image ("registry"), shared by every machine that builds it; "off".
    Setting cache{"off"};
    Setting cache_ref{"{repository}:buildcache"}; // {repository}: the image's URI without its tag
    std::map<std::string, Setting> refs;          // from_ref_name: name -> image URI
    std::filesystem::path file;                   // the config file read, if any
    std::string file_source;                      // how it was found: "flag" (--config), "env"
                                                  // ($IMGSPEC_CONFIG), "default" (XDG), "" (none)
};

} // namespace imgspec
