#pragma once
// The parts of build.cpp's Builder that stand on their own: secrets that are missing, buildx's
// failures as errors, file outputs written atomically, the private temporary folder and the
// staging thread. Private to lib/src/build.

#include <imgspec/build/buildx.hpp>
#include <imgspec/context/delivery.hpp>
#include <imgspec/core/error.hpp>
#include <imgspec/plan/plan.hpp>
#include <imgspec/util/atomic_file.hpp>
#include <imgspec/util/process.hpp>
#include <imgspec/util/signals.hpp>

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace imgspec::build::detail {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// "'ID' (why)" for a secret whose value buildx or imgspec could not read, "" when it is there.
std::string missing_secret(const plan::SecretSource& s);
// Every missing secret of the plan and its parents.
void collect_missing_secrets(const plan::Plan& p, std::vector<std::string>& missing);
// What to do when docker or buildx is missing.
inline constexpr const char* docker_hint =
    "install docker and docker-buildx; for the local test engine: scripts/engine.sh up";
// The hint for a step of imgspec's own that failed because the base image lacks what it runs
// (apt-get, python3, Python's venv module); "" for any other failure. `line`: buildx's last
// error line, which names the failed process.
std::string base_image_hint(std::string_view err, std::string_view line);
// The image in buildx's "failed to resolve source metadata for IMAGE: ..." line, "" without one.
std::string unresolved_image(std::string_view line);
// buildx's failure as an Error: unavailable (no buildx plugin, engine, registry, builder's
// context), else build_failed. `uv_image`: the config's, named in the hint when it is the image
// that could not be pulled.
Error buildx_failure(const util::ProcessResult& r, const std::string& uri,
                     std::string_view uv_image = {});
// Two builds of one tag at once (one content hash, so one image): with the docker driver both
// export to the engine's image store, and the one that comes second may fail with
// `image "URI": already exists`. The image is the same; building again (all cached) succeeds.
bool lost_export_race(const util::ProcessResult& r, const std::string& uri);
// A registry's 5xx for this image's repository while it was pushed: transient, built once more.
bool transient_push_error(const util::ProcessResult& r, const std::string& uri);
constexpr int export_race_retries = 2;
// --output into a file (type oci, docker or tar with dest=FILE): buildx creates the file as the
// build starts, so a failed or interrupted build would leave a partial file, or an empty one in
// place of the previous image. buildx writes a temp file beside it instead (removed on failure and
// on a signal), renamed over the target once buildx succeeded. Rewrites `output` to name the temp
// file; nothing for other outputs (a folder, type=local or registry, quoted fields).
std::unique_ptr<util::AtomicFile> redirect_file_output(std::string& output);
// buildx's metadata file's containerimage.digest; "" when there is none.
std::string read_digest(const std::filesystem::path& metadata);
std::string mode_name(OutputMode m);
double seconds_since(Clock::time_point t0);

// A private folder for buildx's metadata file, removed afterwards (and on a signal).
class TempFolder {
  public:
    TempFolder();
    ~TempFolder() {
        std::error_code ec;
        fs::remove_all(m_path, ec);
    }
    TempFolder(const TempFolder&) = delete;
    TempFolder& operator=(const TempFolder&) = delete;
    fs::path metadata_file() const { return m_path / "metadata.json"; }
    fs::path image_tar() const { return oci_image_tar(metadata_file()); }
    const fs::path& path() const { return m_path; }

  private:
    fs::path m_path;
    std::unique_ptr<util::SignalCleanupPath> m_dir_slot;
    std::unique_ptr<util::SignalCleanupPath> m_file_slot;
    std::unique_ptr<util::SignalCleanupPath> m_tar_slot;
};

// The delivery's prepare() on a thread of its own while the existence check runs (start), then
// waited for (finish) or stopped (stop, and by the destructor on every other way out).
class Staging {
  public:
    Staging() = default;
    ~Staging() { stop(); }
    Staging(const Staging&) = delete;
    Staging& operator=(const Staging&) = delete;

    void start(context::Delivery& delivery) {
        m_delivery = &delivery;
        m_done = std::async(std::launch::async, [&delivery] { delivery.prepare(); });
    }
    // Rethrows what prepare() threw; runs prepare() here when start() was not called.
    void finish(context::Delivery& delivery) {
        if (m_done.valid()) {
            m_done.get();
        } else {
            delivery.prepare();
        }
        m_delivery = nullptr;
    }
    // The image exists, or the check failed: what was staged stays for the next build.
    void stop() noexcept {
        if (!m_done.valid()) {
            return;
        }
        m_delivery->cancel();
        try {
            m_done.get();
        } catch (const std::exception& e) {
            spdlog::debug("staging stopped: {}", e.what());
        }
    }

  private:
    context::Delivery* m_delivery = nullptr;
    std::future<void> m_done;
};

} // namespace imgspec::build::detail
