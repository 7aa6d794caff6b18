#include <imgspec/build/lock_images.hpp>

#include <imgspec/core/error.hpp>
#include <imgspec/util/fd.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <memory>

namespace imgspec::build {

namespace {

// The docker environment for each reference: the registry secret of the (outermost) spec of the
// chain whose Dockerfile uses it, in a private DOCKER_CONFIG made once per secret.
class Credentials {
  public:
    explicit Credentials(const pipeline::Image& image) {
        for (const pipeline::Image* i : pipeline::chain_of(image)) {
            for (const auto& u : i->images) {
                if (i->plan.registry_secret && m_secret.count(u.reference) == 0) {
                    m_secret[u.reference] = &*i->plan.registry_secret;
                }
            }
        }
    }

    Env env(const std::string& reference) {
        auto it = m_secret.find(reference);
        if (it == m_secret.end()) {
            return {};
        }
        auto& dir = m_dirs[it->second->id];
        if (!dir) {
            dir = std::make_unique<DockerConfigDir>(read_secret_value(*it->second), it->second->id);
        }
        return dir->env();
    }

  private:
    std::map<std::string, const plan::SecretSource*> m_secret;
    std::map<std::string, std::unique_ptr<DockerConfigDir>> m_dirs;
};

} // namespace

LockOutcome lock_image(const pipeline::Image& image, const std::optional<lock::Lock>& old,
                       const std::filesystem::path& file, const LockRequest& request,
                       util::ProcessRunner& runner) {
    for (const pipeline::Image* i : pipeline::chain_of(image)) {
        for (const auto& u : i->unlockable) {
            spdlog::warn("{}: '{}' is made of build arguments: the lock cannot pin it",
                         i->plan.spec.display, u);
        }
    }
    Credentials credentials(image);
    LockOutcome out;
    out.lock.file = file;
    for (const auto& [reference, platforms] : pipeline::lock_needs(image)) {
        const lock::LockedImage* had = old ? old->find(reference) : nullptr;
        bool update = request.update_all || std::find(request.update.begin(), request.update.end(),
                                                      reference) != request.update.end();
        lock::LockedImage entry;
        if (had != nullptr && !update) {
            entry = *had;
            std::vector<std::string> missing;
            for (const auto& p : platforms) {
                if (entry.platforms.count(p) == 0) {
                    missing.push_back(p);
                }
            }
            if (!missing.empty()) {
                // The same index, so the digest stays: only the new platforms' entries are read.
                spdlog::info("{}: reading {} from the locked digest", reference,
                             util::join(missing, ", "));
                lock::LockedImage now = resolve_digests(runner, reference + "@" + entry.digest,
                                                        true, credentials.env(reference));
                entry.platforms.insert(now.platforms.begin(), now.platforms.end());
            }
        } else {
            spdlog::info("resolving {}", reference);
            entry =
                resolve_digests(runner, reference, !platforms.empty(), credentials.env(reference));
            out.resolved.push_back(reference);
            if (had != nullptr && had->digest != entry.digest) {
                out.moved.push_back(reference);
            }
        }
        entry.reference = reference;
        entry.line = 0;
        std::map<std::string, std::string> kept;
        std::vector<std::string> lacking;
        for (const auto& p : platforms) {
            auto it = entry.platforms.find(p);
            if (it == entry.platforms.end()) {
                lacking.push_back(p);
            } else {
                kept.insert(*it);
            }
        }
        if (!lacking.empty()) {
            std::vector<std::string> has;
            for (const auto& [p, d] : entry.platforms) {
                has.push_back(p);
            }
            throw Error(ErrorKind::invalid_spec,
                        fmt::format("{} has no image for {} (it has {})", reference,
                                    util::join(lacking, ", "),
                                    has.empty() ? "none" : util::join(has, ", ")),
                        "use an image that has every platform of the spec, or build for fewer");
        }
        entry.platforms = std::move(kept);
        out.lock.images.push_back(std::move(entry));
    }
    if (old) {
        for (const auto& i : old->images) {
            if (out.lock.find(i.reference) == nullptr) {
                out.removed.push_back(i.reference);
            }
        }
    }
    std::string text = lock::format_lock(out.lock);
    std::error_code ec;
    if (!std::filesystem::exists(file, ec) || util::read_text(file) != text) {
        lock::write_lock(out.lock);
        out.written = true;
    }
    return out;
}

std::vector<lock::Drift> outdated(const pipeline::Image& image, util::ProcessRunner& runner) {
    const lock::Lock* lock = image.plan.lock.get();
    if (lock == nullptr) {
        const std::string& spec = image.plan.spec.display;
        throw Error(ErrorKind::invalid_spec,
                    fmt::format("{} has no lock file ({})", spec,
                                lock::lock_path(std::filesystem::path(spec)).string()),
                    fmt::format("imgspec lock {}", spec));
    }
    Credentials credentials(image);
    std::vector<lock::Drift> out;
    for (const auto& locked : lock->images) {
        lock::LockedImage now = resolve_digests(runner, locked.reference, !locked.platforms.empty(),
                                                credentials.env(locked.reference));
        out.push_back(lock::compare(locked, now));
    }
    return out;
}

} // namespace imgspec::build
