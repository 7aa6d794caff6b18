// The planner's base: one function per base form (`from:`), then the defaults a form leaves
// open (platforms, user, Python version, registry).

#include "planner.hpp"

#include <imgspec/spec/names.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <variant>

namespace imgspec::plan::detail {

namespace {

// The SDK's images and a uv script's are built for both architectures; any other base is the
// user's image, built for the one most machines have unless the spec says otherwise.
std::vector<spec::Platform> default_platforms(const spec::Base& base) {
    if (std::holds_alternative<spec::DebianBase>(base) ||
        std::holds_alternative<spec::UvScriptBase>(base)) {
        return {spec::Platform("linux/amd64"), spec::Platform("linux/arm64")};
    }
    return {spec::Platform("linux/amd64")};
}

} // namespace

void Planner::resolve_base() {
    const auto& s = m_spec;
    m_plan.platforms = s.platforms;
    m_plan.python_version = s.python_version;
    m_plan.python_version_given = !s.python_version.empty();
    m_plan.registry = s.registry;
    m_plan.name = s.name;
    std::visit([this](const auto& b) { base_form(b); }, s.base);
    base_defaults();
}

void Planner::base_form(const spec::DebianBase& d) {
    m_plan.debian_base = true;
    m_plan.debian = d;
    if (!d.python_version.empty()) {
        m_plan.python_version = d.python_version;
    }
    if (m_plan.name.empty()) {
        m_plan.name = "flyte";
    }
    if (!d.flyte_version.empty() && !d.install_flyte) {
        warn(m_spec.base_mark, "from.debian_base.flyte_version",
             "flyte_version has no effect with install_flyte: false",
             "remove flyte_version, or set install_flyte: true");
    }
}

void Planner::base_form(const spec::ImageBase& b) {
    m_plan.base_image = b.uri;
    m_plan.base_user_image = b.uri;
}

void Planner::base_form(const spec::RefNameBase& r) {
    auto it = m_cfg.refs.find(r.name);
    if (it != m_cfg.refs.end()) {
        m_plan.base_image = it->second.value;
        m_plan.base_user_image = it->second.value;
        return;
    }
    std::vector<std::string> names;
    for (const auto& [k, v] : m_cfg.refs) {
        names.push_back(k);
    }
    std::string hint = "give it with --ref " + r.name + "=URI or under 'refs:' in the config file";
    if (auto near = util::closest_match(r.name, names); !near.empty()) {
        hint = fmt::format("did you mean '{}'? ", near) + hint;
    }
    error(m_spec.base_mark, "from.ref_name", fmt::format("unknown image ref name '{}'", r.name),
          hint);
}

void Planner::base_form(const spec::UvScriptBase& u) {
    if (m_plan.python_version.empty()) {
        m_plan.python_version = spec::default_python_version;
    }
    uv_script(u);
}

void Planner::base_form(const spec::DockerfileBase& df) {
    if (auto f = resolve(df.file, m_spec.base_mark, "from.dockerfile", fs::file_type::regular)) {
        m_plan.user_dockerfile = read_text(*f);
    }
}

void Planner::base_form(const spec::SpecBase& ps) {
    const auto& s = m_spec;
    fs::path parent_file = (s.dir / ps.file).lexically_normal();
    std::error_code ec;
    fs::file_status st = fs::status(parent_file, ec);
    if (ec || !fs::exists(st)) {
        error(s.base_mark, "from.spec", cannot_stat(ps.file, ec));
        return;
    }
    if (!fs::is_regular_file(st)) {
        error(s.base_mark, "from.spec",
              fmt::format("'{}' is not a regular file", ps.file.string()));
        return;
    }
    fs::path canon = fs::canonical(parent_file, ec);
    std::vector<fs::path> chain = m_opts.chain;
    chain.push_back(fs::canonical(s.file, ec));
    if (chain.size() >= max_spec_chain) {
        // Not a SpecError: no level of the chain adds its own "parent is invalid" line.
        throw Error(ErrorKind::invalid_spec,
                    fmt::format("{}: from.spec: the chain of specs is more than {} deep",
                                printable(m_file), max_spec_chain),
                    "a real chain is a handful of specs: start one of them from a base image");
    }
    if (std::find(chain.begin(), chain.end(), canon) != chain.end()) {
        std::string cycle;
        for (const auto& c : chain) {
            cycle += c.filename().string() + " -> ";
        }
        error(s.base_mark, "from.spec",
              "specs extend each other in a cycle: " + cycle + canon.filename().string(),
              "one spec of the chain must start from a base image");
        return;
    }
    PlanOptions popts = m_opts;
    popts.chain = chain;
    try {
        inherit_from(parent_plan(parent_file, popts), ps);
    } catch (const SpecError& e) {
        for (const auto& diag : e.diagnostics()) {
            m_diags.add(diag);
        }
        error(s.base_mark, "from.spec",
              fmt::format("the parent spec '{}' is invalid", ps.file.string()));
    }
}

void Planner::inherit_from(std::shared_ptr<const Plan> parent, const spec::SpecBase& ps) {
    const Mark mark = m_spec.base_mark;
    if (!parent->spec.extendable) {
        error(mark, "from.spec", fmt::format("'{}' is not extendable", ps.file.string()),
              "set 'extendable: true' in that spec to allow building on it");
    }
    if (m_plan.platforms.empty()) {
        m_plan.platforms = parent->platforms;
    }
    for (const auto& platform : m_plan.platforms) {
        if (std::find(parent->platforms.begin(), parent->platforms.end(), platform) ==
            parent->platforms.end()) {
            warn(mark, "from.spec",
                 fmt::format("this image is built for {} but its parent '{}' is not "
                             "(its platforms: {}): the build will fail to pull it",
                             platform.str(), ps.file.string(),
                             util::join(spec::platform_names(parent->platforms), ", ")),
                 "add the platform to the parent spec, or drop it here");
        }
    }
    if (m_plan.python_version.empty()) {
        m_plan.python_version = parent->python_version;
    }
    if (m_plan.registry.empty()) {
        m_plan.registry = parent->registry;
    }
    // The parent's image runs as the parent's user; so does this one.
    m_plan.final_user = parent->final_user;
    m_plan.base_user_image = parent->base_user_image;
    m_plan.parent = std::move(parent);
}

void Planner::base_defaults() {
    if (m_plan.platforms.empty()) {
        m_plan.platforms = default_platforms(m_spec.base);
    }
    if (m_plan.debian_base) {
        m_plan.final_user = "flyte"; // the SDK's default image runs as flyte
    }
    if (!m_spec.runtime.user.empty()) {
        m_plan.final_user = m_spec.runtime.user;
        m_plan.base_user_image.clear();
    }
    if (m_plan.python_version.empty()) {
        m_plan.python_version = spec::default_python_version;
    }
    if (m_plan.registry.empty()) {
        m_plan.registry = m_cfg.registry.value;
    }
}

} // namespace imgspec::plan::detail
