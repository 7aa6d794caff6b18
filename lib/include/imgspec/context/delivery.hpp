#pragma once
// How the build context reaches the engine. One implementation per way:
//   tar   the whole context as one deterministic tar on buildx's stdin (tar_writer.hpp), the
//         Dockerfile inside it;
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

enum class DeliveryKind { tar };

// "tar".
std::string_view delivery_name(DeliveryKind kind);

class Delivery {
  public:
    virtual ~Delivery() = default;

    // The way actually used.
    virtual DeliveryKind kind() const = 0;

    // The last arguments of `docker buildx build`: where the Dockerfile and the context come from.
    virtual std::vector<std::string> buildx_args() const = 0;

    // The work before buildx starts; nothing for tar. May run on another thread; cancel() then
    // makes it stop early, leaving nothing half-written.
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

} // namespace imgspec::context
