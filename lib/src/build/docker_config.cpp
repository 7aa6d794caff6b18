// The private docker configuration of a spec's registry secret (registry.hpp's DockerConfigDir)
// and the values of secrets read for it.
#include <imgspec/build/registry.hpp>

#include <imgspec/core/error.hpp>
#include <imgspec/util/fd.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

namespace imgspec::build {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string read_secret_value(const plan::SecretSource& secret) {
    if (!secret.env.empty()) {
        const char* value = std::getenv(secret.env.c_str());
        if (value == nullptr || *value == '\0') {
            throw Error(ErrorKind::invalid_spec,
                        fmt::format("secret '{}': environment variable {} is not set", secret.id,
                                    secret.env),
                        fmt::format("export {} before the build", secret.env));
        }
        return value;
    }
    std::ifstream in(secret.file, std::ios::binary);
    if (!in) {
        throw Error(ErrorKind::invalid_spec,
                    fmt::format("secret '{}': cannot read {}: {}", secret.id, secret.file,
                                std::strerror(errno)));
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

fs::path user_docker_config_dir() {
    if (const char* d = std::getenv("DOCKER_CONFIG"); d != nullptr && *d != '\0') {
        return d;
    }
    const char* home = std::getenv("HOME");
    return fs::path(home != nullptr ? home : "/") / ".docker";
}

fs::path docker_config_dir(const Env& env) {
    for (const auto& [key, value] : env) {
        if (key == "DOCKER_CONFIG") {
            return value;
        }
    }
    return user_docker_config_dir();
}

DockerConfigDir::DockerConfigDir(const std::string& config_json, const std::string& secret_id,
                                 const fs::path& user_config_dir) {
    json cfg = json::parse(config_json, nullptr, false);
    if (cfg.is_discarded() || !cfg.is_object()) {
        throw Error(ErrorKind::invalid_spec,
                    fmt::format("registry secret '{}' is not a docker config.json (a JSON object)",
                                secret_id),
                    "its value must be the content of a config.json, as `docker login` writes it");
    }
    // Keep the user's docker context: without it docker would fall back to the default one.
    if (!cfg.contains("currentContext")) {
        std::ifstream user_cfg(user_config_dir / "config.json");
        json u = json::parse(user_cfg, nullptr, false);
        if (!u.is_discarded() && u.is_object() && u.contains("currentContext") &&
            u["currentContext"].is_string()) {
            cfg["currentContext"] = u["currentContext"];
        }
    }

    std::string tmpl = (fs::temp_directory_path() / "imgspec-docker-config-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) { // mode 0700
        throw Error(ErrorKind::other,
                    fmt::format("cannot create a private docker config folder in {}: {}",
                                fs::temp_directory_path().string(), std::strerror(errno)));
    }
    m_path = tmpl;
    m_cleanup.push_back(std::make_unique<util::SignalCleanupPath>(m_path));
    try {
        fs::path file = m_path / "config.json";
        // Listed before it exists, so a signal at any moment leaves no credentials behind.
        m_cleanup.push_back(std::make_unique<util::SignalCleanupPath>(file));
        int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) {
            throw Error(ErrorKind::other,
                        fmt::format("cannot create {}: {}", file.string(), std::strerror(errno)));
        }
        std::string text = cfg.dump(2);
        if (int err = util::write_all(fd, text.data(), text.size()); err != 0) {
            ::close(fd);
            throw Error(ErrorKind::other,
                        fmt::format("cannot write {}: {}", file.string(), util::errno_text(err)));
        }
        ::close(fd);

        // Plugins, builders and contexts live in the config folder too: share the user's.
        for (const char* name : {"cli-plugins", "buildx", "contexts"}) {
            std::error_code ec;
            fs::path target = fs::absolute(user_config_dir / name, ec);
            if (ec || !fs::is_directory(target, ec)) {
                continue;
            }
            m_cleanup.push_back(std::make_unique<util::SignalCleanupPath>(m_path / name));
            fs::create_directory_symlink(target, m_path / name, ec);
            if (ec) {
                spdlog::debug("cannot link {} into {}: {}", target.string(), m_path.string(),
                              ec.message());
            }
        }
    } catch (...) {
        std::error_code ec;
        fs::remove_all(m_path, ec);
        throw;
    }
    spdlog::debug("registry secret '{}' in a private DOCKER_CONFIG {}", secret_id, m_path.string());
}

DockerConfigDir::~DockerConfigDir() {
    std::error_code ec;
    // remove_all removes the links, not what they point to.
    fs::remove_all(m_path, ec);
    if (ec) {
        spdlog::warn("cannot remove {}: {}", printable(m_path.string()), ec.message());
    }
    for (auto& c : m_cleanup) {
        c->release();
    }
}

} // namespace imgspec::build
