// What docker's and buildx's error output says about a registry, and which host a reference
// names (registry.hpp).
#include <imgspec/build/registry.hpp>
#include <imgspec/build/registry_http.hpp>

#include <imgspec/util/strings.hpp>

#include <fmt/format.h>

#include <sstream>
#include <string>

namespace imgspec::build {

std::string registry_host(std::string_view uri) {
    auto slash = uri.find('/');
    if (slash == std::string_view::npos) {
        return "docker.io";
    }
    std::string_view first = uri.substr(0, slash);
    if (util::contains(first, ".") || util::contains(first, ":") || first == "localhost") {
        return std::string(first);
    }
    return "docker.io";
}

std::string error_line(std::string_view output) {
    std::string last;
    std::string last_error;
    std::string cur;
    auto end_line = [&] {
        if (!cur.empty()) {
            last = cur;
            if (cur.rfind("ERROR: ", 0) == 0) {
                last_error = cur.substr(7);
            }
        }
        cur.clear();
    };
    for (std::size_t i = 0; i < output.size(); ++i) {
        char c = output[i];
        if (c == '\x1b') {
            // A CSI sequence (ESC [ parameters final-byte), as a terminal progress display draws.
            if (i + 1 < output.size() && output[i + 1] == '[') {
                i += 2;
                while (i < output.size() && !(output[i] >= '@' && output[i] <= '~')) {
                    ++i;
                }
            }
        } else if (c == '\n') {
            end_line();
        } else if (c != '\r') {
            cur += c;
        }
    }
    end_line();
    while (!last.empty() && last.back() == ' ') {
        last.pop_back();
    }
    return !last_error.empty() ? last_error : last;
}

bool is_not_found(std::string_view err) {
    std::istringstream in{std::string(err)};
    for (std::string line; std::getline(in, line);) {
        std::string l = util::to_lower(line);
        while (!l.empty() && (l.back() == '\r' || l.back() == ' ')) {
            l.pop_back();
        }
        // "not found" from a missing program is no answer about the image.
        if (util::contains(l, "executable file not found") ||
            util::contains(l, "command not found") || util::contains(l, "unknown command")) {
            return false;
        }
        if ((l.size() >= 11 && l.compare(l.size() - 11, 11, ": not found") == 0) ||
            util::contains(l, "manifest unknown") || util::contains(l, "name unknown") ||
            util::contains(l, "no such image")) {
            return true;
        }
    }
    return false;
}

std::string registry_hint(std::string_view err, std::string_view uri) {
    std::string l = util::to_lower(err);
    std::string host = registry_host(uri);
    if (util::contains(l, "cannot connect to the docker daemon") ||
        util::contains(l, "docker.sock")) {
        return "is dockerd running? For the local test engine: scripts/engine.sh up";
    }
    if (util::contains(l, "unauthorized") || util::contains(l, "authorization") ||
        util::contains(l, "authentication required") ||
        util::contains(l, "no basic auth credentials") || util::contains(l, "denied") ||
        util::contains(l, " 401") || util::contains(l, " 403")) {
        return fmt::format("the registry {} refused the credentials: set `registry_secret` in the "
                           "spec to a secret holding a docker config.json for it, or run "
                           "`docker login {}`",
                           host, host);
    }
    if (util::contains(l, "server gave http response to https client")) {
        return fmt::format("{} speaks plain HTTP: add it to dockerd's insecure-registries", host);
    }
    if (util::contains(l, "connection refused") || util::contains(l, "no such host") ||
        util::contains(l, "i/o timeout") || util::contains(l, "network is unreachable") ||
        util::contains(l, "dial tcp")) {
        // The project's own registries are on this machine; another one is the network's.
        return http::is_loopback(host)
                   ? fmt::format("is the registry {} running and reachable? For the local test "
                                 "registries: scripts/engine.sh up",
                                 host)
                   : fmt::format("is the registry {} reachable from this machine (DNS, proxy, "
                                 "firewall)?",
                                 host);
    }
    return {};
}

} // namespace imgspec::build
