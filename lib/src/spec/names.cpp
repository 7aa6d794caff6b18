#include <imgspec/spec/names.hpp>

#include <fmt/format.h>

#include <cstdlib>
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

// Hand-written matchers for the reference grammar (distribution/reference), the regex of each in
// its comment: compiling those regexes with std::regex was a quarter of the instructions of
// `imgspec uri` on a spec that copies nothing (libstdc++ builds a 256-entry cache per bracket
// expression through the locale). tests/unit/spec/names_test.cpp checks them against the regexes.

bool lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool alnum(char c) {
    return lower_alnum(c) || (c >= 'A' && c <= 'Z');
}
bool hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*
bool match_path(std::string_view s) {
    std::size_t i = 0;
    for (;;) {
        // one component: alnum runs joined by '.', '_', '__' or '-'+
        for (;;) {
            std::size_t start = i;
            while (i < s.size() && lower_alnum(s[i])) {
                ++i;
            }
            if (i == start) {
                return false;
            }
            if (i == s.size()) {
                return true;
            }
            if (s[i] == '.') {
                ++i;
            } else if (s[i] == '_') {
                i += i + 1 < s.size() && s[i + 1] == '_' ? 2 : 1;
            } else if (s[i] == '-') {
                while (i < s.size() && s[i] == '-') {
                    ++i;
                }
            } else {
                break;
            }
        }
        if (s[i] != '/') {
            return false;
        }
        ++i;
    }
}

// (host|\[[0-9a-fA-F:]+\])(:[0-9]{1,5})?(/path)* with host = label(\.label)* and
// label = [A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?
bool match_registry(std::string_view s) {
    std::size_t i = 0;
    if (!s.empty() && s[0] == '[') {
        ++i;
        std::size_t start = i;
        while (i < s.size() && (hex(s[i]) || s[i] == ':')) {
            ++i;
        }
        if (i == start || i == s.size() || s[i] != ']') {
            return false;
        }
        ++i;
    } else {
        for (;;) {
            std::size_t start = i;
            while (i < s.size() && (alnum(s[i]) || s[i] == '-')) {
                ++i;
            }
            if (i == start || s[start] == '-' || s[i - 1] == '-') {
                return false;
            }
            if (i < s.size() && s[i] == '.') {
                ++i;
                continue;
            }
            break;
        }
    }
    if (i < s.size() && s[i] == ':') {
        ++i;
        std::size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            ++i;
        }
        if (i == start || i - start > 5) {
            return false;
        }
    }
    if (i == s.size()) {
        return true;
    }
    return s[i] == '/' && match_path(s.substr(i + 1));
}

// [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
bool match_tag(std::string_view s) {
    if (s.empty() || s.size() > 128 || !(alnum(s[0]) || s[0] == '_')) {
        return false;
    }
    for (char c : s.substr(1)) {
        if (!(alnum(c) || c == '_' || c == '.' || c == '-')) {
            return false;
        }
    }
    return true;
}

// sha256:[a-f0-9]{64}
bool match_digest(std::string_view s) {
    if (s.size() != 71 || s.substr(0, 7) != "sha256:") {
        return false;
    }
    for (char c : s.substr(7)) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

} // namespace

std::string check_image_name(std::string_view name) {
    if (name.empty()) {
        return "an image name must not be empty";
    }
    if (name.size() > 255 || !match_path(name)) {
        return "not a valid image name: use lowercase letters, digits and '.', '_', '-' between "
               "them, and '/' between components";
    }
    return {};
}

std::string check_registry(std::string_view registry) {
    if (registry.size() > 255) {
        return too_long("registry", 255);
    }
    if (registry.find("://") != std::string_view::npos) {
        return "not a valid registry: give host[:port][/path] without a scheme such as 'https://', "
               "e.g. registry.example.com/ml";
    }
    if (registry.empty() || !match_registry(registry)) {
        return "not a valid registry: expected host[:port][/path], e.g. registry.example.com/ml or "
               "127.0.0.1:5000";
    }
    return {};
}

std::string check_tag(std::string_view tag) {
    if (!match_tag(tag)) {
        return "not a valid tag: up to 128 of [A-Za-z0-9_.-], not starting with '.' or '-'";
    }
    return {};
}

ImageRefParts split_image_ref(std::string_view ref) {
    ref = ref.substr(0, ref.find('@'));
    auto slash = ref.rfind('/');
    auto colon = ref.rfind(':');
    if (colon == std::string_view::npos || (slash != std::string_view::npos && colon < slash)) {
        return {std::string(ref), {}};
    }
    return {std::string(ref.substr(0, colon)), std::string(ref.substr(colon + 1))};
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
        if (!match_digest(rest.substr(at + 1))) {
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

std::string check_env_name(std::string_view name) {
    if (name.size() > 255) {
        return too_long("environment variable name", 255);
    }
    // [A-Za-z_][A-Za-z0-9_]*, without std::regex (see match_path)
    bool ok = !name.empty() && !(name[0] >= '0' && name[0] <= '9');
    for (char c : name) {
        ok = ok && (alnum(c) || c == '_');
    }
    if (!ok) {
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
    static const std::regex re(R"(([0-9]+)\.([0-9]+))");
    std::cmatch m;
    if (v.size() > 16 || !std::regex_match(v.begin(), v.end(), m, re)) {
        return "not a valid Python version: expected \"M.m\" such as \"3.12\"";
    }
    // The Flyte SDK's range: its images and wheels exist for these.
    int minor = std::atoi(m[2].str().c_str());
    if (m[1].str() != "3" || minor < min_python_minor || minor > max_python_minor) {
        return fmt::format("not a supported Python version: use 3.{} to 3.{}", min_python_minor,
                           max_python_minor);
    }
    return {};
}

std::string check_mount_path(std::string_view path) {
    // A mount target lands in a --mount=type=secret,target=... option: no ',', '"', '=' or white
    // space that could add an option, no newline that could add an instruction.
    bool ok = !path.empty() && path.size() <= 4096 && path.front() == '/';
    for (char c : path) {
        ok = ok &&
             (alnum(c) || c == '/' || c == '_' || c == '.' || c == '-' || c == '@' || c == '+');
    }
    if (!ok) {
        return "not a valid mount point: an absolute path of letters, digits and '/', '_', '.', "
               "'-', '@', '+'";
    }
    return {};
}

std::string check_user(std::string_view user) {
    static const std::regex re(R"([A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?)");
    if (user.size() > 256 || !matches(user, re)) {
        return "not a valid user: NAME, UID, NAME:GROUP or UID:GID";
    }
    return {};
}

std::string check_duration(std::string_view d) {
    static const std::regex re(R"(([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+)");
    if (d.size() > 64 || !matches(d, re)) {
        return "not a valid duration: a number with a unit (ms, s, m, h), e.g. 30s or 1m30s";
    }
    return {};
}

std::string check_port(std::string_view port) {
    static const std::regex re(R"(([0-9]{1,5})(/(tcp|udp|sctp))?)");
    std::cmatch m;
    if (port.size() > 16 || !std::regex_match(port.begin(), port.end(), m, re) ||
        std::atoi(m[1].str().c_str()) > 65535 || std::atoi(m[1].str().c_str()) == 0) {
        return "not a valid port: 1 to 65535, optionally with /tcp, /udp or /sctp";
    }
    return {};
}

std::string check_signal(std::string_view sig) {
    static const std::regex re(R"(SIG[A-Z0-9+-]{2,16}|[0-9]{1,2})");
    if (!matches(sig, re)) {
        return "not a valid signal: a name such as SIGTERM, or a number";
    }
    return {};
}

namespace {

bool name_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool name_char(char c) {
    return name_start(c) || (c >= '0' && c <= '9');
}

// The length of the name at the start of s (0: none).
std::size_t name_length(std::string_view s) {
    if (s.empty() || !name_start(s[0])) {
        return 0;
    }
    std::size_t n = 1;
    while (n < s.size() && name_char(s[n])) {
        ++n;
    }
    return n;
}

} // namespace

namespace {

// Calls on_ref(at, length, name) for each $NAME or ${NAME} in s, in order; false when a '$'
// starts neither.
template <class F> bool scan_refs(std::string_view s, F on_ref) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '$') {
            continue;
        }
        std::string_view rest = s.substr(i + 1);
        bool braced = !rest.empty() && rest[0] == '{';
        std::size_t n = name_length(braced ? rest.substr(1) : rest);
        if (n == 0 || (braced && (rest.size() < n + 2 || rest[n + 1] != '}'))) {
            return false;
        }
        std::size_t length = 1 + n + (braced ? 2 : 0);
        on_ref(i, length, rest.substr(braced ? 1 : 0, n));
        i += length - 1;
    }
    return true;
}

} // namespace

std::optional<std::vector<std::string>> variable_refs(std::string_view s) {
    std::vector<std::string> out;
    if (!scan_refs(
            s, [&](std::size_t, std::size_t, std::string_view name) { out.emplace_back(name); })) {
        return std::nullopt;
    }
    return out;
}

std::optional<std::string> replace_variable_refs(std::string_view s, std::string_view with) {
    std::string out;
    std::size_t done = 0;
    bool ok = scan_refs(s, [&](std::size_t at, std::size_t length, std::string_view) {
        out.append(s.substr(done, at - done)).append(with);
        done = at + length;
    });
    if (!ok) {
        return std::nullopt;
    }
    return out.append(s.substr(done));
}

std::string check_env_value(std::string_view v) {
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '\\' && i + 1 < v.size() && v[i + 1] == '$') {
            ++i;
            continue;
        }
        if (v[i] != '$' || i + 1 >= v.size() || v[i + 1] != '{') {
            continue; // $NAME expands; a '$' before anything else is a dollar, as in a Dockerfile
        }
        std::string_view rest = v.substr(i + 2);
        std::size_t n = name_length(rest);
        std::size_t close = rest.find('}');
        bool ok =
            n > 0 && close != std::string_view::npos &&
            (close == n ||
             (close > n + 1 && rest[n] == ':' && (rest[n + 1] == '-' || rest[n + 1] == '+')) ||
             (close == n + 2 && rest[n] == ':'));
        if (!ok || rest.substr(0, close).find('$') != std::string_view::npos) {
            return "'${' starts an expansion that is not ${NAME}, ${NAME:-word} or ${NAME:+word}";
        }
        i += 2 + close;
    }
    return {};
}

std::string check_label_key(std::string_view key) {
    bool ok = !key.empty() && key.size() <= 256;
    for (char c : key) {
        ok = ok && (alnum(c) || c == '.' || c == '-' || c == '_' || c == '/');
    }
    if (!ok) {
        return "not a valid label key: letters, digits, '.', '-', '_' and '/', e.g. "
               "org.opencontainers.image.source";
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
