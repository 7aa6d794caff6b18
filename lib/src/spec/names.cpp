#include <imgspec/spec/names.hpp>

#include <regex>

namespace imgspec::spec {

namespace {

// libstdc++'s regex matcher recurses once per character or so: a long enough value (100 KB)
// overflows the stack. Every check below refuses values past its length limit before matching.
bool matches(std::string_view s, const std::regex& re) {
    return std::regex_match(s.begin(), s.end(), re);
}

std::string too_long(std::string_view what, std::size_t limit) {
    return "not a valid " + std::string(what) + ": longer than " + std::to_string(limit) +
           " characters";
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
    if (registry.size() > 255) {
        return too_long("registry", 255);
    }
    if (registry.find("://") != std::string_view::npos) {
        return "not a valid registry: give host[:port][/path] without a scheme such as 'https://', "
               "e.g. registry.example.com/ml";
    }
    if (registry.empty() || !matches(registry, re)) {
        return "not a valid registry: expected host[:port][/path], e.g. registry.example.com/ml or "
               "127.0.0.1:5000";
    }
    return {};
}

std::string check_tag(std::string_view tag) {
    static const std::regex re(R"([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})");
    if (tag.size() > 128 || !matches(tag, re)) {
        return "not a valid tag: up to 128 of [A-Za-z0-9_.-], not starting with '.' or '-'";
    }
    return {};
}

std::string check_image_ref(std::string_view ref) {
    if (ref.empty() || has_control(ref) || ref.find(' ') != std::string_view::npos) {
        return "not a valid image reference";
    }
    if (ref.size() > 1024) {
        return too_long("image reference", 1024);
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
    if (name.size() > 255) {
        return too_long("environment variable name", 255);
    }
    if (!matches(name, re)) {
        return "not a valid environment variable name: use letters, digits and '_', not starting "
               "with a digit";
    }
    return {};
}

namespace {

// PEP 508, kept to the characters the grammar allows, so that nothing a shell would read
// specially can pass.
const std::regex& requirement_regex() {
    // One comparison of an environment marker, in any parentheses: a marker variable or a quoted
    // string, an operator, a marker variable or a quoted string. Quoted strings keep to the
    // characters that versions and platform names use.
    static const std::string value =
        R"((python_version|python_full_version|os_name|sys_platform|platform_release|)"
        R"(platform_system|platform_version|platform_machine|platform_python_implementation|)"
        R"(implementation_name|implementation_version|extra|os\.name|sys\.platform|)"
        R"(platform\.version|platform\.machine|platform\.python_implementation|)"
        R"(python_implementation|'[A-Za-z0-9_ .*+!<>=~,-]*'|"[A-Za-z0-9_ .*+!<>=~,-]*"))";
    static const std::string comparison = R"(\(*\s*)" + value +
                                          R"(\s*(===|==|!=|<=|>=|~=|<|>|\bnot\s+in\b|\bin\b)\s*)" +
                                          value + R"(\s*\)*)";
    static const std::regex re(
        R"(\s*[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?\s*)"           // name
        R"((\[\s*[A-Za-z0-9._-]+(\s*,\s*[A-Za-z0-9._-]+)*\s*\])?\s*)" // extras
        R"(()"
        R"(\(?\s*(===|==|!=|<=|>=|~=|<|>)\s*[A-Za-z0-9.*+!_-]+\s*)" // versions
        R"((,\s*(===|==|!=|<=|>=|~=|<|>)\s*[A-Za-z0-9.*+!_-]+\s*)*\)?)"
        R"(|(@\s*[A-Za-z][A-Za-z0-9+.-]*://[A-Za-z0-9._~:/?#@!&'()*+,=%-]+\s*))" // url
        R"()?)"
        R"((;\s*)" +
        comparison + R"((\s*\b(and|or)\b\s*)" + comparison + R"()*)?\s*)"); // marker
    return re;
}

} // namespace

std::string check_pip_requirement(std::string_view req) {
    if (req.size() > 4096) {
        return too_long("requirement", 4096);
    }
    if (req.empty()) {
        return "an empty package requirement";
    }
    if (has_control(req) || !matches(req, requirement_regex())) {
        return "not a valid requirement (PEP 508), e.g. \"numpy==2.1\", \"pandas[excel]>=2\", "
               "\"pkg @ https://host/pkg.whl\"";
    }
    return {};
}

std::string check_apt_package(std::string_view pkg) {
    static const std::regex re(
        R"([a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?((=[A-Za-z0-9.+~:-]+)|(/[A-Za-z0-9.+~-]+))?)");
    if (pkg.size() > 512) {
        return too_long("Debian package", 512);
    }
    if (!matches(pkg, re)) {
        return "not a valid Debian package: name[:arch][=version] of lowercase letters, digits and "
               "'+', '-', '.'";
    }
    return {};
}

std::string check_python_version(std::string_view v) {
    static const std::regex re(R"([0-9]+\.[0-9]+)");
    if (v.size() > 16 || !matches(v, re)) {
        return "not a valid Python version: expected \"M.m\" such as \"3.12\"";
    }
    return {};
}

std::string check_secret_name(std::string_view name) {
    static const std::regex re(R"([A-Za-z0-9_.-]+)");
    if (name.size() > 255) {
        return too_long("secret name", 255);
    }
    if (!matches(name, re)) {
        return "not a valid secret name: use letters, digits, '_', '.' and '-'";
    }
    return {};
}

} // namespace imgspec::spec
