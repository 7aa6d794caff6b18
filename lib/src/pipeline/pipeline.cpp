#include <imgspec/pipeline/pipeline.hpp>

#include <imgspec/context/manifest.hpp>
#include <imgspec/plan/tag.hpp>
#include <imgspec/render/dockerfile.hpp>

namespace imgspec::pipeline {

Image resolve_plan(plan::Plan p, const Config& config) {
    // A parent spec is the base: its URI (its render and tag) is this image's FROM.
    if (p.parent && p.base_image.empty()) {
        p.base_image = resolve_plan(*p.parent, config).uri;
    }
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
    img.dockerfile = render::render_dockerfile(p, config);
    img.context = context::context_manifest(std::move(p.files), img.dockerfile, p.dockerfile_path);
    img.tag = s.tag.empty() ? plan::compute_tag(img.context, p.platforms) : s.tag;
    img.uri = (p.registry.empty() ? "" : p.registry + "/") + p.name + ":" + img.tag;
    img.plan = std::move(p);
    return img;
}

plan::Plan release_plan(Image&& img) {
    if (!img.passthrough) {
        img.plan.files =
            context::files_of_context(std::move(img.context), img.plan.dockerfile_path);
    }
    return std::move(img.plan);
}

Image resolve_image(const std::filesystem::path& spec_file, const Config& config,
                    plan::PlanOptions options) {
    return resolve_spec(spec::read_spec(spec_file), config, std::move(options));
}

Image resolve_spec(const spec::Spec& spec, const Config& config, plan::PlanOptions options) {
    return resolve_plan(plan::make_plan(spec, config, options), config);
}

} // namespace imgspec::pipeline
