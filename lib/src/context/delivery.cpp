#include <imgspec/context/delivery.hpp>

#include "prefetch.hpp"

#include <imgspec/context/staging.hpp>
#include <imgspec/core/error.hpp>
#include <imgspec/util/fd.hpp>
#include <imgspec/util/sha256.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <utility>

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace imgspec::context {

namespace {

class TarDelivery final : public Delivery {
  public:
    TarDelivery(const plan::Manifest& context, std::string dockerfile_path, TarOptions options)
        : m_context(context), m_dockerfile_path(std::move(dockerfile_path)),
          m_options(std::move(options)) {}

    DeliveryKind kind() const override { return DeliveryKind::tar; }
    std::vector<std::string> buildx_args() const override { return {"-f", m_dockerfile_path, "-"}; }
    void write_stdin(int fd) override { write_tar_to_fd(m_context, m_options, fd); }

  private:
    const plan::Manifest& m_context;
    std::string m_dockerfile_path;
    TarOptions m_options;
};

class SyncDelivery final : public Delivery {
  public:
    SyncDelivery(const plan::Manifest& context, std::string dockerfile_path, SyncOptions options)
        : m_context(context), m_dockerfile_path(std::move(dockerfile_path)),
          m_options(std::move(options)), m_folder(m_options.root) {}

    DeliveryKind kind() const override {
        return m_fallback ? DeliveryKind::tar : DeliveryKind::sync;
    }
    std::vector<std::string> buildx_args() const override {
        if (m_fallback) {
            return {"-f", m_dockerfile_path, "-"};
        }
        return {"-f", "-", m_folder.context_dir().string()};
    }
    void prepare() override {
        if (!m_folder.try_lock()) {
            spdlog::info("the staged context {} is in use by another imgspec: this build sends "
                         "the context as a tar",
                         m_folder.context_dir().string());
            m_fallback = true;
            return;
        }
        m_folder.stage(m_context, "", &m_cancel, m_options.tar.progress);
        m_prepared = true;
    }
    void cancel() noexcept override { m_cancel = true; }
    void write_stdin(int fd) override {
        if (m_fallback) {
            write_tar_to_fd(m_context, m_options.tar, fd);
            return;
        }
        if (!m_prepared) {
            throw Error(ErrorKind::other, "internal error: the context was not staged");
        }
        auto it = std::find_if(m_context.entries.begin(), m_context.entries.end(),
                               [&](const plan::Entry& e) { return e.path == m_dockerfile_path; });
        if (it == m_context.entries.end()) {
            throw Error(ErrorKind::other,
                        fmt::format("internal error: no {} in the context", m_dockerfile_path));
        }
        std::string dockerfile = it->content;
        if (dockerfile.empty() && it->source.empty()) {
            throw Error(ErrorKind::other, "internal error: an empty Dockerfile");
        }
        if (it->content.empty() && !it->source.empty()) {
            dockerfile = read_dockerfile(m_folder.context_dir() / m_dockerfile_path);
        }
        if (util::sha256(dockerfile) != it->digest) {
            detail::throw_changed(detail::display_name(*it),
                                  "its content no longer matches the hash in the image tag");
        }
        // All but the last byte, then wait until buildx has read them: from then on it is
        // blocked on its stdin, and whatever ran before it (a wrapper script) is done. Only then
        // are the sources checked, and the last byte lets buildx go on.
        write_or_throw(fd, dockerfile.data(), dockerfile.size() - 1);
        wait_until_read(fd);
        m_folder.check_sources(m_context);
        write_or_throw(fd, dockerfile.data() + dockerfile.size() - 1, 1);
    }

  private:
    static void write_or_throw(int fd, const char* data, std::size_t size) {
        if (int err = util::write_all(fd, data, size); err != 0) {
            throw Error(ErrorKind::other, err == EPIPE
                                              ? std::string("the consumer closed the stream")
                                              : fmt::format("writing the Dockerfile to buildx: {}",
                                                            util::errno_text(err)));
        }
    }

    // Until the pipe is empty (FIONREAD), or its reader is gone (POLLERR: buildx ended or was
    // stopped).
    static void wait_until_read(int fd) {
        for (;;) {
            int pending = 0;
            if (::ioctl(fd, FIONREAD, &pending) != 0) {
                return; // cannot tell: the check below still runs before the end of the input
            }
            if (pending == 0) {
                return;
            }
            struct pollfd p {
                fd, 0, 0
            };
            if (::poll(&p, 1, 5) > 0 && (p.revents & (POLLERR | POLLHUP)) != 0) {
                throw Error(ErrorKind::other, "the consumer closed the stream");
            }
        }
    }

    // A user's Dockerfile (from: dockerfile) is staged with the rest; its staged copy was checked
    // against the digest when it was written.
    static std::string read_dockerfile(const std::filesystem::path& p) {
        util::Fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
        if (!fd) {
            throw Error(ErrorKind::other, fmt::format("cannot read the staged {}: {}", p.string(),
                                                      util::errno_text(errno)));
        }
        std::string out;
        char buf[65536];
        for (;;) {
            ssize_t n = ::read(fd.get(), buf, sizeof buf);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0) {
                throw Error(ErrorKind::other, fmt::format("cannot read the staged {}: {}",
                                                          p.string(), util::errno_text(errno)));
            }
            if (n == 0) {
                return out;
            }
            out.append(buf, static_cast<std::size_t>(n));
        }
    }

    const plan::Manifest& m_context;
    std::string m_dockerfile_path;
    SyncOptions m_options;
    StagedFolder m_folder;
    std::atomic<bool> m_cancel{false};
    bool m_fallback = false;
    bool m_prepared = false;
};

} // namespace

std::string_view delivery_name(DeliveryKind kind) {
    return kind == DeliveryKind::sync ? "sync" : "tar";
}

std::unique_ptr<Delivery> tar_delivery(const plan::Manifest& context, std::string dockerfile_path,
                                       TarOptions options) {
    return std::make_unique<TarDelivery>(context, std::move(dockerfile_path), std::move(options));
}

} // namespace imgspec::context

namespace imgspec::context {

std::unique_ptr<Delivery> sync_delivery(const plan::Manifest& context, std::string dockerfile_path,
                                        SyncOptions options) {
    return std::make_unique<SyncDelivery>(context, std::move(dockerfile_path), std::move(options));
}

} // namespace imgspec::context
