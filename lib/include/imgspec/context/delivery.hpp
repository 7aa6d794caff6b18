#pragma once
// How the build context reaches the engine. One implementation per way:
//   tar   the whole context as one deterministic tar on buildx's stdin (tar_writer.hpp), the
//         Dockerfile inside it;
//   sync  the planned files staged into a persistent folder of imgspec's cache (staging.hpp) that
//         buildx is given as its local context, so that BuildKit's incremental file sync sends
//         only what changed since the last build; the Dockerfile on stdin (`-f -`).
// Either way the engine sees exactly the manifest's entries, with normalized modes, owners 0/0
// and no mtime of the user's, and nothing is pushed when a file changed after it was hashed.

#include <imgspec/context/tar_writer.hpp>
#include <imgspec/plan/manifest.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace imgspec::context {

enum class DeliveryKind { tar, sync };

// "tar" or "sync".
std::string_view delivery_name(DeliveryKind kind);

class Delivery {
  public:
    virtual ~Delivery() = default;

    // The way actually used: a sync delivery whose folder another imgspec holds falls back to tar
    // (see sync_delivery).
    virtual DeliveryKind kind() const = 0;

    // The last arguments of `docker buildx build`: where the Dockerfile and the context come from.
    virtual std::vector<std::string> buildx_args() const = 0;

    // The work before buildx starts (the sync delivery stages its folder); nothing for tar. May run
    // on another thread while the main thread asks the registry whether the image exists; cancel()
    // then makes it stop early, leaving nothing half-written.
    // Throws as the writers do: Error(ErrorKind::other) when a file changed or cannot be read,
    // Error(ErrorKind::interrupted) on SIGINT/SIGTERM.
    virtual void prepare() {}
    virtual void cancel() noexcept {}

    // Writes buildx's standard input, on the process runner's writer thread (ProcessSpec::
    // stdin_writer). A throw stops buildx before its stdin closes, so nothing is pushed.
    // Throws Error(ErrorKind::other) when a file changed after it was hashed.
    virtual void write_stdin(int fd) = 0;
};

// The tar on stdin: `-f DOCKERFILE_PATH -`, the context (Dockerfile included) as write_tar_to_fd
// writes it. `context` must outlive the delivery.
std::unique_ptr<Delivery> tar_delivery(const plan::Manifest& context, std::string dockerfile_path,
                                       TarOptions options);

struct SyncOptions {
    // The image's staged folder (staging_root): its `ctx` is the context buildx reads.
    std::filesystem::path root;
    // For the fallback to the tar, and `tar.progress` is told while files are staged.
    TarOptions tar;
};

// The staged folder: `-f - ROOT/ctx`. prepare() takes the folder's lock and stages the context
// into it (StagedFolder::stage, every entry including the Dockerfile, so the folder holds what
// the tar would); write_stdin() checks that no source file changed since it was hashed
// (StagedFolder::check_sources) and only then writes the Dockerfile: buildx reads its stdin to
// the end before it starts the build, so it has read nothing of the folder while the check runs,
// and a failed check stops it with nothing pushed. The lock is held until the delivery is
// destroyed, after buildx ended, so no other imgspec rewrites the folder while the engine reads
// it. When another imgspec holds the lock, this build sends the tar instead (kind() says so).
// `context` must outlive the delivery.
std::unique_ptr<Delivery> sync_delivery(const plan::Manifest& context, std::string dockerfile_path,
                                        SyncOptions options);

} // namespace imgspec::context
