#include <imgspec/spec/platform.hpp>

#include <imgspec/spec/node.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace imgspec::spec {

const std::vector<std::string>& known_platforms() {
    static const std::vector<std::string> platforms = {
        "linux/amd64",   "linux/arm64", "linux/arm/v7",  "linux/arm/v6",  "linux/386",
        "linux/ppc64le", "linux/s390x", "linux/riscv64", "linux/arm64/v8"};
    return platforms;
}

std::string check_platform(std::string_view platform) {
    const auto& known = known_platforms();
    if (std::find(known.begin(), known.end(), platform) != known.end()) {
        return {};
    }
    return "unknown platform";
}

std::string normalize_platform(std::string_view platform) {
    std::vector<std::string> parts;
    std::string cur;
    for (char c : platform) {
        if (c == '/') {
            parts.push_back(cur);
            cur.clear();
        } else {
            cur += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
    }
    parts.push_back(cur);
    std::string os = parts.size() > 1 ? parts[0] : "linux";
    std::string arch = parts.size() > 1 ? parts[1] : parts[0];
    std::string variant = parts.size() > 2 ? parts[2] : "";
    if (arch == "aarch64") {
        arch = "arm64";
    } else if (arch == "x86_64" || arch == "x86-64") {
        arch = "amd64";
    } else if (arch == "i386" || arch == "i686") {
        arch = "386";
    } else if (arch == "armhf") {
        arch = "arm";
        variant = "v7";
    } else if (arch == "armel") {
        arch = "arm";
        variant = "v6";
    }
    if ((arch == "arm64" && variant == "v8") || (arch == "amd64" && variant == "v1")) {
        variant.clear();
    }
    if (arch == "arm" && variant.empty()) {
        variant = "v7";
    }
    return variant.empty() ? os + "/" + arch : os + "/" + arch + "/" + variant;
}

std::optional<Platform> Platform::parse(std::string_view text) {
    if (!check_platform(text).empty()) {
        return std::nullopt;
    }
    return Platform(Canonical{}, normalize_platform(text));
}

Platform::Platform(std::string_view known) {
    auto p = parse(known);
    if (!p) {
        throw Error(ErrorKind::other,
                    fmt::format("internal error: '{}' is not a known platform", known));
    }
    m_name = std::move(p->m_name);
}

std::vector<std::string> platform_names(const std::vector<Platform>& platforms) {
    std::vector<std::string> out;
    out.reserve(platforms.size());
    for (const auto& p : platforms) {
        out.push_back(p.str());
    }
    return out;
}

std::vector<Platform> read_platforms(const Node& value, const std::vector<std::string>& written,
                                     const std::string& file, Diagnostics& diags) {
    bool list = value.kind == Node::Kind::list;
    std::vector<Platform> out;
    std::vector<std::size_t> index_of; // out[k] was written as written[index_of[k]]
    for (std::size_t i = 0; i < written.size(); ++i) {
        const Node& item = list ? value.items[i] : value;
        std::string path = list ? fmt::format("platform[{}]", i) : "platform";
        auto p = Platform::parse(written[i]);
        if (!p) {
            std::string hint = "known: " + util::join(known_platforms(), ", ");
            if (written[i].find(',') != std::string::npos) {
                hint = "give several platforms as a list: [linux/amd64, linux/arm64]";
            } else if (auto near = util::closest_match(written[i], known_platforms());
                       !near.empty()) {
                hint = fmt::format("did you mean '{}'?", near);
            }
            diags.error(file, item.mark, path, fmt::format("unknown platform '{}'", written[i]),
                        hint);
            continue;
        }
        auto same = std::find(out.begin(), out.end(), *p);
        if (same == out.end()) {
            out.push_back(std::move(*p));
            index_of.push_back(i);
            continue;
        }
        const std::string& first = written[index_of[same - out.begin()]];
        if (first == written[i]) {
            diags.error(file, item.mark, path,
                        fmt::format("platform '{}' listed twice", written[i]));
        } else {
            diags.error(
                file, item.mark, path,
                fmt::format("platform '{}' is listed already as '{}' (platform[{}])", written[i],
                            first, index_of[same - out.begin()]),
                fmt::format("'{}' and '{}' name one platform: list it once", first, written[i]));
        }
    }
    if (written.empty()) {
        diags.error(file, value.mark, "platform", "no platform listed");
    }
    return out;
}

} // namespace imgspec::spec
