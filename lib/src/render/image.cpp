#include <imgspec/render/image.hpp>

#include <imgspec/plan/tag.hpp>
#include <imgspec/render/dockerfile.hpp>

namespace imgspec::render {

Image resolve_plan(plan::Plan p, const Config& config) {
    Image img;
    const auto& s = p.spec;
    bool plain_base = std::holds_alternative<spec::ImageBase>(s.base) ||
                      std::holds_alternative<spec::RefNameBase>(s.base) ||
                      std::holds_alternative<spec::SpecBase>(s.base);
    if (plain_base && s.layers.empty() && s.name.empty() && s.tag.empty()) {
        img.passthrough = true;
        img.uri = p.base_image;
        img.plan = std::move(p);
        return img;
    }
    img.dockerfile = render_dockerfile(p, config);
    img.context = plan::context_manifest(std::move(p.files), img.dockerfile);
    img.tag = s.tag.empty() ? plan::compute_tag(img.context, p.platforms) : s.tag;
    img.uri = (p.registry.empty() ? "" : p.registry + "/") + p.name + ":" + img.tag;
    img.plan = std::move(p);
    return img;
}

plan::Plan release_plan(Image&& img) {
    if (!img.passthrough) {
        img.plan.files = plan::files_of_context(std::move(img.context));
    }
    return std::move(img.plan);
}

Image resolve_image(const std::filesystem::path& spec_file, const Config& config, plan::PlanOptions options) {
    if (!options.uri_of) {
        options.uri_of = [&config](const plan::Plan& parent) {
            // Parents are planned already; render and tag a copy of what the URI needs.
            plan::Plan copy;
            copy.spec = parent.spec;
            copy.name = parent.name;
            copy.registry = parent.registry;
            copy.platforms = parent.platforms;
            copy.python_version = parent.python_version;
            copy.base_image = parent.base_image;
            copy.debian_base = parent.debian_base;
            copy.debian = parent.debian;
            copy.user_dockerfile = parent.user_dockerfile;
            copy.layers = parent.layers;
            copy.files = parent.files;
            return resolve_plan(std::move(copy), config).uri;
        };
    }
    return resolve_plan(plan::plan_file(spec_file, config, options), config);
}

} // namespace imgspec::render
