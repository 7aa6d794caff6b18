#include "build_parts.hpp"

#include <imgspec/build/registry_http.hpp>

#include <imgspec/build/registry.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include <unistd.h>

namespace imgspec::build::detail {

using json = nlohmann::json;

// "'ID' (why)" for a secret whose value buildx or imgspec could not read, "" when it is there.
std::string missing_secret(const plan::SecretSource& s) {
    if (!s.env.empty()) {
        const char* v = std::getenv(s.env.c_str());
        if (v == nullptr || *v == '\0') {
            return fmt::format("'{}' (environment variable {} is not set)", s.id, s.env);
        }
        return {};
    }
    std::error_code ec;
    if (!fs::is_regular_file(s.file, ec) || ::access(s.file.c_str(), R_OK) != 0) {
        return fmt::format("'{}' (file {} is missing or unreadable)", s.id, s.file);
    }
    return {};
}

void collect_missing_secrets(const plan::Plan& p, std::vector<std::string>& missing) {
    for (const auto& s : p.secrets) {
        if (auto m = missing_secret(s); !m.empty()) {
            missing.push_back(std::move(m));
        }
    }
    if (p.registry_secret) {
        if (auto m = missing_secret(*p.registry_secret); !m.empty()) {
            missing.push_back("registry_secret " + m);
        }
    }
    if (p.parent) {
        collect_missing_secrets(*p.parent, missing);
    }
}

// A step of imgspec's own that failed because the base image lacks what it runs: apt-get (the base
// is not Debian or Ubuntu), python3 for the venv, or Python's venv module (Debian and Ubuntu ship
// it apart). `line` names the failed process; `err` holds the step's output.
std::string base_image_hint(std::string_view err, std::string_view line) {
    auto missing = [&](std::string_view tool) {
        return util::contains(err, fmt::format("{}: not found", tool)) ||
               util::contains(err, fmt::format("{}: command not found", tool));
    };
    if (util::contains(line, "apt-get install") && missing("apt-get")) {
        return "the base image has no apt-get: apt_packages needs a Debian or Ubuntu base. On "
               "another distribution install with its own package manager in a commands layer "
               "(Alpine: \"apk add --no-cache PKG\"; Fedora, RHEL, UBI: \"dnf install -y PKG\")";
    }
    if (!util::contains(line, " venv /opt/venv")) {
        return {};
    }
    if (missing("python3") || util::contains(err, "No interpreter found")) {
        return "the base image has no python3 for the venv (/opt/venv) that the Python layers "
               "install into: use a base with Python (debian_base, a python image), or install "
               "it in a layer before them (apt_packages: [python3, python3-venv])";
    }
    if (util::contains(err, "ensurepip is not available")) {
        return "the base image's python3 has no venv module (Debian and Ubuntu ship it apart): "
               "add apt_packages: [python3-venv] before the Python layers";
    }
    return {};
}

// The image in buildx's "failed to resolve source metadata for IMAGE: ..." line, "" without one.
std::string unresolved_image(std::string_view line) {
    constexpr std::string_view phrase = "failed to resolve source metadata for ";
    std::size_t at = line.find(phrase);
    if (at == std::string_view::npos) {
        return {};
    }
    std::string_view rest = line.substr(at + phrase.size());
    return std::string(rest.substr(0, rest.find(": ")));
}

Error buildx_failure(const util::ProcessResult& r, const std::string& uri,
                     std::string_view uv_image) {
    std::string line = error_line(r.err);
    std::string l = util::to_lower(line);
    std::string message = fmt::format("buildx failed for {} (exit {}): {}", uri, r.exit_code,
                                      line.empty() ? "no error output" : line);
    // docker's own answer when it has no buildx plugin.
    if (util::contains(r.err, "'buildx' is not a docker command")) {
        return Error(ErrorKind::unavailable,
                     "docker buildx is not available: docker says 'buildx' is not a docker command",
                     docker_hint);
    }
    if (util::contains(l, "cannot connect to the docker daemon") ||
        util::contains(l, "is the docker daemon running") || util::contains(l, "docker.sock")) {
        return Error(ErrorKind::unavailable, message,
                     "is dockerd running? For the local test engine: scripts/engine.sh up");
    }
    if (util::contains(l, "did not complete successfully")) {
        return Error(ErrorKind::build_failed, message, base_image_hint(r.err, line));
    }
    // A docker-driver builder only works while its own docker context is selected.
    if (auto at = line.find("to switch to context \""); at != std::string::npos) {
        std::size_t from = at + 22;
        std::string ctx = line.substr(from, line.find('"', from) - from);
        return Error(ErrorKind::unavailable, message,
                     fmt::format("that builder belongs to the docker context {0}: run with "
                                 "DOCKER_CONTEXT={0} (or `docker context use {0}`)",
                                 ctx));
    }
    // A registry that cannot be reached or refuses the credentials, for the push or a base
    // image. The patterns are matched on buildx's final line only: a RUN step's output that
    // says "connection refused" is a failed build, not an unavailable registry. The registry is
    // the one of the image that could not be resolved (a base, the uv image), else the push's.
    const std::string source = unresolved_image(line);
    std::string hint = registry_hint(line, source.empty() ? uri : source);
    if (!hint.empty() && !source.empty() && source == uv_image) {
        hint += fmt::format(" The Python layers copy uv from the config's uv_image ({}): set it "
                            "to a copy in a registry this engine reaches, or `installer: pip`",
                            uv_image);
    }
    bool registry_step =
        util::contains(l, "failed to push") || util::contains(l, "failed to resolve source") ||
        util::contains(l, "failed to authorize") || util::contains(l, "failed to do request") ||
        util::contains(l, "failed to fetch") || util::contains(l, "pull access denied") ||
        util::contains(l, "unexpected status");
    if (registry_step && !hint.empty()) {
        return Error(ErrorKind::unavailable, message, hint);
    }
    return Error(ErrorKind::build_failed, message);
}

// Two builds of one tag at once (one content hash, so one image): with the docker driver both
// export to the engine's image store, and the one that comes second may fail with
// `image "URI": already exists`. The image is the same; building again (all cached) succeeds.
bool lost_export_race(const util::ProcessResult& r, const std::string& uri) {
    std::string line = error_line(r.err);
    return util::contains(line, fmt::format("image \"{}\": already exists", uri));
}

// A registry's 5xx to a request for this image's own repository while it was pushed: the Debian
// registry (distribution 2.8) answers 500 "invalid checksum digest format" to a HEAD that races the
// tag's own write, as dockerd's push of an index sends several at once (seen in CI). The build
// is cached, so building once more costs the push.
bool transient_push_error(const util::ProcessResult& r, const std::string& uri) {
    std::string line = error_line(r.err);
    auto at = http::locate(uri);
    if (!at || !util::contains(line, "unexpected status") ||
        !util::contains(line, fmt::format("/v2/{}/", at->repository))) {
        return false;
    }
    for (const char* code : {": 500 ", ": 502 ", ": 503 ", ": 504 "}) {
        if (util::contains(line, code)) {
            return true;
        }
    }
    return false;
}

// --output into a file (type oci, docker or tar with dest=FILE): buildx creates the file as the
// build starts, so a failed or interrupted build would leave a partial file, or an empty one in
// place of the previous image. buildx writes a temp file beside it instead (removed on failure and
// on a signal), renamed over the target once buildx succeeded. Rewrites `output` to name the temp
// file; nothing for other outputs (a folder, type=local or registry, quoted fields).
std::unique_ptr<util::AtomicFile> redirect_file_output(std::string& output) {
    if (output.find('"') != std::string::npos) {
        return nullptr;
    }
    std::vector<std::string> fields;
    for (std::size_t from = 0;;) {
        std::size_t comma = output.find(',', from);
        fields.push_back(output.substr(from, comma - from));
        if (comma == std::string::npos) {
            break;
        }
        from = comma + 1;
    }
    std::string type;
    std::size_t dest_at = fields.size();
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (fields[i].rfind("type=", 0) == 0) {
            type = fields[i].substr(5);
        } else if (fields[i].rfind("dest=", 0) == 0) {
            dest_at = i;
        }
    }
    if ((type != "oci" && type != "docker" && type != "tar") || dest_at == fields.size()) {
        return nullptr;
    }
    fs::path dest = fields[dest_at].substr(5);
    std::error_code ec;
    if (dest.empty() || fs::is_directory(dest, ec) ||
        !fs::is_directory(fs::absolute(dest, ec).parent_path(), ec)) {
        return nullptr; // buildx's own error or behaviour
    }
    auto file = std::make_unique<util::AtomicFile>(dest);
    fields[dest_at] = "dest=" + file->temp_path().string();
    output = util::join(fields, ",");
    return file;
}

std::string read_digest(const fs::path& metadata) {
    std::ifstream in(metadata);
    if (!in) {
        return {};
    }
    json doc = json::parse(in, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        spdlog::warn("buildx's metadata file {} is not JSON", printable(metadata.string()));
        return {};
    }
    auto it = doc.find("containerimage.digest");
    return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

std::string mode_name(OutputMode m) {
    switch (m) {
    case OutputMode::push:
        return "push";
    case OutputMode::load:
        return "load";
    case OutputMode::dest:
        return "output";
    case OutputMode::automatic:
        break;
    }
    return "automatic";
}

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

TempFolder::TempFolder() {
    std::string tmpl = (fs::temp_directory_path() / "imgspec-build-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
        throw Error(ErrorKind::other,
                    fmt::format("cannot create a temporary folder in {}: {}",
                                fs::temp_directory_path().string(), std::strerror(errno)));
    }
    m_path = tmpl;
    m_dir_slot = std::make_unique<util::SignalCleanupPath>(m_path);
    m_file_slot = std::make_unique<util::SignalCleanupPath>(metadata_file());
    m_tar_slot = std::make_unique<util::SignalCleanupPath>(image_tar());
}

} // namespace imgspec::build::detail
