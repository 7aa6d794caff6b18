#include <imgspec/build/docker_cli.hpp>

#include <imgspec/build/registry.hpp>
#include <imgspec/build/registry_http.hpp>
#include <imgspec/util/fd.hpp>

#include <nlohmann/json.hpp>

#include <array>
#include <cstdlib>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace imgspec::build {

namespace fs = std::filesystem;

namespace {

bool is_executable_file(const fs::path& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

bool is_elf(const fs::path& p) {
    util::Fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
    std::array<char, 4> magic{};
    return fd && ::read(fd.get(), magic.data(), magic.size()) == 4 &&
           std::string_view(magic.data(), 4) == "\x7f"
                                                "ELF";
}

// The config's cliPluginsExtraDirs, as docker reads them.
// A JSON file of docker's; null when it is missing or not JSON.
nlohmann::json read_json(const fs::path& p) {
    auto doc = nlohmann::json::parse(util::read_text(p), nullptr, false);
    return doc.is_discarded() ? nlohmann::json() : doc;
}

std::string env_text(const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr ? v : "";
}

std::vector<fs::path> extra_plugin_dirs(const fs::path& docker_config_dir) {
    auto cfg = read_json(docker_config_dir / "config.json");
    std::vector<fs::path> out;
    if (cfg.is_object() && cfg.contains("cliPluginsExtraDirs") &&
        cfg["cliPluginsExtraDirs"].is_array()) {
        for (const auto& d : cfg["cliPluginsExtraDirs"]) {
            if (d.is_string()) {
                out.emplace_back(d.get<std::string>());
            }
        }
    }
    return out;
}

} // namespace

std::optional<fs::path> find_on_path(const std::string& name, const std::string& path) {
    std::size_t from = 0;
    while (from <= path.size()) {
        std::size_t to = path.find(':', from);
        if (to == std::string::npos) {
            to = path.size();
        }
        fs::path dir = to == from ? fs::path(".") : fs::path(path.substr(from, to - from));
        if (fs::path p = dir / name; is_executable_file(p)) {
            return p;
        }
        from = to + 1;
    }
    return std::nullopt;
}

std::optional<fs::path> direct_buildx(const fs::path& docker, const fs::path& docker_config_dir) {
    if (const char* v = std::getenv("DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND");
        v != nullptr && *v != '\0') {
        return std::nullopt;
    }
    if (!is_elf(docker)) {
        return std::nullopt;
    }
    std::vector<fs::path> dirs = extra_plugin_dirs(docker_config_dir);
    dirs.push_back(docker_config_dir / "cli-plugins");
    for (const char* d :
         {"/usr/local/lib/docker/cli-plugins", "/usr/local/libexec/docker/cli-plugins",
          "/usr/lib/docker/cli-plugins", "/usr/libexec/docker/cli-plugins"}) {
        dirs.emplace_back(d);
    }
    for (const auto& dir : dirs) {
        if (fs::path p = dir / "docker-buildx"; is_executable_file(p)) {
            return p;
        }
    }
    return std::nullopt;
}

std::string default_builder_socket(const fs::path& docker_config_dir, const std::string& builder) {
    if (!builder.empty() || !env_text("BUILDX_BUILDER").empty()) {
        return {};
    }
    std::string context = env_text("DOCKER_CONTEXT");
    auto cfg = read_json(docker_config_dir / "config.json");
    if (context.empty() && cfg.is_object() && cfg.contains("currentContext") &&
        cfg["currentContext"].is_string()) {
        context = cfg["currentContext"].get<std::string>();
    }
    if (!context.empty() && context != "default") {
        return {};
    }
    auto current = read_json(docker_config_dir / "buildx" / "current");
    if (current.is_object() && current.contains("Name") && current["Name"].is_string() &&
        !current["Name"].get<std::string>().empty() &&
        current["Name"].get<std::string>() != "default") {
        return {};
    }
    std::string host = env_text("DOCKER_HOST");
    if (host.empty()) {
        return "/var/run/docker.sock";
    }
    constexpr std::string_view unix_scheme = "unix://";
    return host.rfind(unix_scheme, 0) == 0 ? host.substr(unix_scheme.size()) : std::string();
}

std::string default_builder_platform(const fs::path& docker_config_dir,
                                     const std::string& builder) {
    std::string socket = default_builder_socket(docker_config_dir, builder);
    auto body = socket.empty() ? std::nullopt
                               : http::get_over_unix_socket(socket, "/version",
                                                            std::chrono::milliseconds(2000));
    auto doc = body ? nlohmann::json::parse(*body, nullptr, false) : nlohmann::json();
    if (!doc.is_object() || !doc.contains("Os") || !doc.contains("Arch") ||
        !doc["Os"].is_string() || !doc["Arch"].is_string() || doc["Os"] != "linux") {
        return {};
    }
    const auto& arch = doc["Arch"].get_ref<const std::string&>();
    return arch == "amd64" || arch == "arm64" ? "linux/" + arch : std::string();
}

util::ProcessResult DirectBuildxRunner::run(const util::ProcessSpec& spec) {
    if (spec.argv.size() < 2 || spec.argv[0] != "docker" || spec.argv[1] != "buildx") {
        return m_inner.run(spec);
    }
    const char* path = std::getenv("PATH");
    auto docker = find_on_path("docker", path != nullptr ? path : "");
    auto plugin = docker ? direct_buildx(*docker, docker_config_dir(spec.env)) : std::nullopt;
    if (!plugin) {
        return m_inner.run(spec);
    }
    util::ProcessSpec direct = spec;
    direct.argv.erase(direct.argv.begin());
    direct.argv.front() = plugin->string();
    return m_inner.run(direct);
}

} // namespace imgspec::build
