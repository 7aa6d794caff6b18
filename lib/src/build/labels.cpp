#include <imgspec/build/labels.hpp>

#include <imgspec/pipeline/explain.hpp>
#include <imgspec/util/process.hpp>

#include <chrono>
#include <ctime>

namespace imgspec::build {

namespace {

constexpr std::chrono::seconds git_timeout{5};

std::string git_line(const std::filesystem::path& folder, std::vector<std::string> args) {
    util::ProcessSpec spec;
    spec.argv = {"git", "-C", folder.string()};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.err = util::Stream::discard;
    spec.timeout = git_timeout;
    // Never a credential helper's prompt, never the user's pager.
    spec.env = {{"GIT_TERMINAL_PROMPT", "0"}, {"GIT_PAGER", "cat"}};
    try {
        util::ProcessResult r = util::PosixProcessRunner().run(spec);
        if (r.exit_code != 0 || r.timed_out) {
            return {};
        }
        std::string out = r.out.substr(0, r.out.find('\n'));
        return out;
    } catch (const std::exception&) {
        return {}; // no git
    }
}

std::string rfc3339(long long seconds) {
    std::time_t t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

} // namespace

std::string without_credentials(const std::string& url) {
    std::size_t scheme = url.find("://");
    if (scheme == std::string::npos) {
        return url; // git@host:path (scp form) names a user, not a secret
    }
    std::size_t host = scheme + 3;
    std::size_t end = url.find('/', host);
    std::size_t at = url.rfind('@', end == std::string::npos ? url.size() : end);
    if (at == std::string::npos || at < host) {
        return url;
    }
    return url.substr(0, host) + url.substr(at + 1);
}

GitInfo git_info(const std::filesystem::path& folder) {
    GitInfo g;
    g.revision = git_line(folder, {"rev-parse", "--verify", "-q", "HEAD"});
    if (g.revision.empty()) {
        return g;
    }
    g.source = without_credentials(git_line(folder, {"remote", "get-url", "origin"}));
    return g;
}

std::string created_time(const pipeline::Image& image, bool reproducible, long long epoch_seconds) {
    if (reproducible) {
        return rfc3339(epoch_seconds);
    }
    if (auto record = pipeline::record_of_tag(image.tag); record && !record->computed.empty()) {
        return record->computed;
    }
    return rfc3339(std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count());
}

std::vector<std::pair<std::string, std::string>> image_labels(const pipeline::Image& image,
                                                              const GitInfo& git, bool reproducible,
                                                              const std::string& created) {
    std::vector<std::pair<std::string, std::string>> labels;
    labels.emplace_back("org.opencontainers.image.created", created);
    if (!image.plan.name.empty()) {
        labels.emplace_back("org.opencontainers.image.title", image.plan.name);
    }
    if (!git.source.empty()) {
        labels.emplace_back("org.opencontainers.image.source", git.source);
    }
    if (!git.revision.empty() && !reproducible) {
        labels.emplace_back("org.opencontainers.image.revision", git.revision);
    }
    return labels;
}

} // namespace imgspec::build
