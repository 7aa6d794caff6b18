#include <imgspec/spec/names.hpp>

#include <regex>

namespace imgspec::spec {

namespace {

bool matches(std::string_view s, const std::regex& re) {
    return std::regex_match(s.begin(), s.end(), re);
}

bool has_control(std::string_view s) {
    for (unsigned char c : s) {
        if (c < 0x20 || c == 0x7f) {
            return true;
        }
    }
    return false;
}

} // namespace

std::string check_image_name(std::string_view name) {
    static const std::regex re(R"([a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*)");
    if (name.empty()) {
        return "an image name must not be empty";
    }
    if (name.size() > 255 || !matches(name, re)) {
        return "not a valid image name: use lowercase letters, digits and '.', '_', '-' between "
               "them, and '/' between components";
    }
    return {};
}

std::string check_registry(std::string_view registry) {
    static const std::regex re(
        R"(([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9a-fA-F:]+\])(:[0-9]{1,5})?(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*)");
    if (registry.empty() || !matches(registry, re)) {
        return "not a valid registry: expected host[:port][/path], e.g. registry.example.com/ml or "
               "127.0.0.1:5000";
    }
    return {};
}

std::string check_tag(std::string_view tag) {
    static const std::regex re(R"([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})");
    if (!matches(tag, re)) {
        return "not a valid tag: up to 128 of [A-Za-z0-9_.-], not starting with '.' or '-'";
    }
    return {};
}

std::string check_image_ref(std::string_view ref) {
    if (ref.empty() || has_control(ref) || ref.find(' ') != std::string_view::npos) {
        return "not a valid image reference";
    }
    std::string_view rest = ref;
    if (auto at = rest.find('@'); at != std::string_view::npos) {
        static const std::regex digest(R"(sha256:[a-f0-9]{64})");
        if (!matches(rest.substr(at + 1), digest)) {
            return "not a valid image reference: the digest must be sha256:<64 hex digits>";
        }
        rest = rest.substr(0, at);
    }
    auto slash = rest.rfind('/');
    auto colon = rest.rfind(':');
    if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
        if (auto e = check_tag(rest.substr(colon + 1)); !e.empty()) {
            return e;
        }
        rest = rest.substr(0, colon);
    }
    // The first component is a registry host when it has a '.', a ':' or is localhost.
    auto first = rest.find('/');
    if (first != std::string_view::npos) {
        std::string_view host = rest.substr(0, first);
        if (host.find_first_of(".:") != std::string_view::npos || host == "localhost") {
            if (auto e = check_registry(host); !e.empty()) {
                return e;
            }
            rest = rest.substr(first + 1);
        }
    }
    if (auto e = check_image_name(rest); !e.empty()) {
        return "not a valid image reference: " + e;
    }
    return {};
}

const std::vector<std::string>& known_platforms() {
    static const std::vector<std::string> platforms = {
        "linux/amd64", "linux/arm64", "linux/arm/v7", "linux/arm/v6",  "linux/386",
        "linux/ppc64le", "linux/s390x", "linux/riscv64", "linux/arm64/v8"};
    return platforms;
}

std::string check_platform(std::string_view platform) {
    for (const auto& p : known_platforms()) {
        if (p == platform) {
            return {};
        }
    }
    return "unknown platform";
}

std::string check_env_name(std::string_view name) {
    static const std::regex re(R"([A-Za-z_][A-Za-z0-9_]*)");
    if (!matches(name, re)) {
        return "not a valid environment variable name: use letters, digits and '_', not starting "
               "with a digit";
    }
    return {};
}

std::string check_pip_requirement(std::string_view req) {
    // PEP 508, kept to the characters the grammar allows, so that nothing a shell would read
    // specially can pass.
    static const std::regex re(
        R"(\s*[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?\s*)"            // name
        R"((\[\s*[A-Za-z0-9._-]+(\s*,\s*[A-Za-z0-9._-]+)*\s*\])?\s*)"  // extras
        R"(()"
        R"(\(?\s*(===|==|!=|<=|>=|~=|<|>)\s*[A-Za-z0-9.*+!_-]+\s*)"     // versions
        R"((,\s*(===|==|!=|<=|>=|~=|<|>)\s*[A-Za-z0-9.*+!_-]+\s*)*\)?)"
        R"(|(@\s*[A-Za-z][A-Za-z0-9+.-]*://[A-Za-z0-9._~:/?#@!&'()*+,=%-]+\s*))"  // url
        R"()?)"
        R"((;\s*[A-Za-z0-9_ .'"<>=!~()-]+)?\s*)");                     // marker
    if (req.empty()) {
        return "an empty package requirement";
    }
    if (has_control(req) || !matches(req, re)) {
        return "not a valid requirement (PEP 508), e.g. \"numpy==2.1\", \"pandas[excel]>=2\", "
               "\"pkg @ https://host/pkg.whl\"";
    }
    return {};
}

std::string check_apt_package(std::string_view pkg) {
    static const std::regex re(
        R"([a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?((=[A-Za-z0-9.+~:-]+)|(/[A-Za-z0-9.+~-]+))?)");
    if (!matches(pkg, re)) {
        return "not a valid Debian package: name[:arch][=version] of lowercase letters, digits and "
               "'+', '-', '.'";
    }
    return {};
}

std::string check_python_version(std::string_view v) {
    static const std::regex re(R"([0-9]+\.[0-9]+)");
    if (!matches(v, re)) {
        return "expected a Python version \"M.m\" such as \"3.12\"";
    }
    return {};
}

std::string check_secret_name(std::string_view name) {
    static const std::regex re(R"([A-Za-z0-9_.-]+)");
    if (!matches(name, re)) {
        return "not a valid secret name: use letters, digits, '_', '.' and '-'";
    }
    return {};
}

} // namespace imgspec::spec
