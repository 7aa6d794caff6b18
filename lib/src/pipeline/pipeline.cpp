#include <imgspec/pipeline/pipeline.hpp>

#include <imgspec/context/manifest.hpp>
#include <imgspec/core/error.hpp>
#include <imgspec/spec/matrix.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>
#include <imgspec/plan/tag.hpp>
#include <imgspec/render/dockerfile.hpp>

namespace imgspec::pipeline {

namespace {

// One image, its parent already rendered (or none), with the chain's lock (or none).
Image render_one(plan::Plan p, std::shared_ptr<const Image> parent, const Config& config,
                 const lock::Lock* lock) {
    // A parent spec is the base: its URI is this image's FROM.
    if (parent && p.base_image.empty()) {
        p.base_image = parent->uri;
    }
    Image img;
    img.parent = std::move(parent);
    const auto& s = p.spec;
    bool plain_base = std::holds_alternative<spec::ImageBase>(s.base) ||
                      std::holds_alternative<spec::RefNameBase>(s.base) ||
                      std::holds_alternative<spec::SpecBase>(s.base);
    if (plain_base && s.layers.empty() && s.name.empty() && s.tag.empty()) {
        img.passthrough = true;
        lock::ImageScan scan = lock::scan_images("FROM " + p.base_image);
        for (auto& u : scan.uses) {
            u.offset = 0;
            img.images.push_back(std::move(u));
        }
        img.unlockable = std::move(scan.unlockable);
        img.uri = lock != nullptr ? lock::pinned(p.base_image, *lock) : p.base_image;
        img.plan = std::move(p);
        return img;
    }
    img.dockerfile = render::render_dockerfile(p, config);
    lock::ImageScan scan = lock::scan_images(img.dockerfile);
    for (auto& u : scan.uses) {
        // The parent is built by imgspec from its own digests: its tag covers them.
        if (img.parent && !img.parent->passthrough && u.reference == img.parent->uri) {
            continue;
        }
        img.images.push_back(std::move(u));
    }
    img.unlockable = std::move(scan.unlockable);
    if (lock != nullptr) {
        img.dockerfile = lock::pin_images(std::move(img.dockerfile), img.images, *lock);
        if (!p.base_user_image.empty()) {
            p.base_user_image = lock::pinned(p.base_user_image, *lock);
        }
    }
    img.context = context::context_manifest(std::move(p.files), img.dockerfile, p.dockerfile_path);
    img.tag = s.tag.empty() ? plan::compute_tag(img.context, p.platforms) : s.tag;
    img.uri = (p.registry.empty() ? "" : p.registry + "/") + p.name + ":" + img.tag;
    img.plan = std::move(p);
    return img;
}

} // namespace

Image resolve_plan(plan::Plan p, const Config& config) {
    std::vector<const plan::Plan*> ancestors; // parent first
    for (const plan::Plan* q = p.parent.get(); q != nullptr; q = q->parent.get()) {
        ancestors.push_back(q);
    }
    std::shared_ptr<const lock::Lock> lock = p.lock;
    std::shared_ptr<const Image> parent;
    for (auto it = ancestors.rbegin(); it != ancestors.rend(); ++it) {
        parent =
            std::make_shared<const Image>(render_one(**it, std::move(parent), config, lock.get()));
    }
    Image img = render_one(std::move(p), std::move(parent), config, lock.get());
    if (lock) {
        std::vector<std::string> wrong = lock::mismatches(*lock, lock_needs(img));
        if (!wrong.empty()) {
            const std::string spec = img.plan.spec.display;
            throw Error(ErrorKind::invalid_spec,
                        fmt::format("{} does not match {}: {}", lock->file.string(), spec,
                                    util::join(wrong, "; ")),
                        fmt::format("imgspec lock {}", spec));
        }
    }
    return img;
}

lock::Needs lock_needs(const Image& image) {
    lock::Needs needs;
    for (const Image* i : chain_of(image)) {
        std::vector<std::string> platforms = spec::platform_names(i->plan.platforms);
        for (const auto& u : i->images) {
            auto& set = needs[u.reference];
            if (!u.frontend) {
                set.insert(platforms.begin(), platforms.end());
            }
        }
    }
    return needs;
}

std::vector<const Image*> chain_of(const Image& image) {
    std::vector<const Image*> chain;
    for (const Image* i = &image; i != nullptr; i = i->parent.get()) {
        chain.push_back(i);
    }
    return chain;
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

std::vector<Image> resolve_specs(const std::vector<spec::Spec>& specs, const Config& config,
                                 const plan::PlanOptions& options) {
    if (specs.size() == 1 && specs.front().matrix.empty()) {
        std::vector<Image> one;
        one.push_back(resolve_spec(specs.front(), config, options));
        return one;
    }
    std::vector<Image> out;
    std::vector<std::vector<Diagnostic>> problems;
    std::vector<std::vector<spec::MatrixValue>> values;
    bool failed = false;
    for (const auto& s : specs) {
        values.push_back(s.matrix);
        problems.emplace_back();
        try {
            out.push_back(resolve_spec(s, config, options));
        } catch (const SpecError& e) {
            problems.back() = e.diagnostics();
            failed = true;
        }
    }
    if (failed) {
        throw SpecError(spec::merge_matrix_diagnostics(problems, values));
    }
    Diagnostics twins;
    for (std::size_t i = 0; i < out.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            if (out[i].uri == out[j].uri) {
                const spec::Spec& s = specs[i];
                twins.error(s.display, s.matrix_mark, "matrix",
                            fmt::format("the images {} and {} are one image, {}",
                                        spec::matrix_label(specs[j].matrix),
                                        spec::matrix_label(s.matrix), out[i].uri),
                            "give each value its own name or tag (an overlay's `name:` or "
                            "`tag:` is used as it is), or use the axis in the image's content");
                break;
            }
        }
    }
    twins.throw_if_any();
    return out;
}

} // namespace imgspec::pipeline
