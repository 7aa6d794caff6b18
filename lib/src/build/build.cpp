#include <imgspec/build/build.hpp>

#include "build_parts.hpp"

#include <imgspec/build/docker_cli.hpp>
#include <imgspec/build/labels.hpp>
#include <imgspec/build/registry.hpp>
#include <imgspec/context/delivery.hpp>
#include <imgspec/core/error.hpp>
#include <imgspec/util/atomic_file.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <mutex>

#include <unistd.h>

namespace imgspec::build {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

using namespace detail;

} // namespace

struct BaseUsers {
    std::mutex mutex;
    std::map<std::string, std::shared_future<std::string>> lookups; // by base image and secret
};

std::shared_ptr<BaseUsers> new_base_users() {
    return std::make_shared<BaseUsers>();
}

// A delivery whose staging check() started while it asked the registry, for build_missing.
struct Prepared {
    // The base image's user, looked up while the existence check runs (the Dockerfile restores
    // it at its end): a rebuild needs both answers, which come from the registry one at a time
    // otherwise. Invalid when the image needs no lookup.
    std::shared_future<std::string> base_user;
    std::unique_ptr<context::Delivery> delivery;
    // Destroyed first: stops the staging (and waits for it) while the delivery lives.
    std::unique_ptr<Staging> staging = std::make_unique<Staging>();
};

BuildOptions parent_options(const pipeline::Image& parent, BuildOptions options) {
    options.platforms.clear(); // the parent's tag promises its own platforms
    options.force = false;     // --force means the named spec; a parent is content-addressed
    // FROM needs the parent in a registry or in the engine, not in an --output file.
    if (options.mode == OutputMode::dest ||
        (options.mode == OutputMode::push && parent.plan.registry.empty())) {
        options.mode = OutputMode::automatic;
    }
    return options;
}

namespace {

class Builder {
  public:
    Builder(util::ProcessRunner& runner, const Config& config)
        : m_runner(runner), m_config(config) {}

    BuildResult build(const pipeline::Image& image, const BuildOptions& options) {
        std::vector<BuildResult> parents;
        if (image.parent) {
            const pipeline::Image& parent = *image.parent;
            spdlog::info("{}: building its parent {} first", image.uri, parent.uri);
            parents.push_back(build(parent, parent_options(parent, options)));
        }
        BuildResult result = check(image, options);
        if (!result.skipped && !options.dry_run) {
            result = build_missing(image, options, std::move(result));
        }
        result.parents = std::move(parents);
        return result;
    }

    // The existence check of the image alone; with options.dry_run also the argv. A result that
    // is not skipped goes to build_missing.
    BuildResult check(const pipeline::Image& image, const BuildOptions& options) {
        BuildResult result;
        result.uri = image.uri;
        result.dry_run = options.dry_run;

        auto t0 = Clock::now();
        std::vector<std::string> platforms =
            spec::platform_names(effective_platforms(image, options));
        result.platforms = platforms;
        if (image.passthrough) {
            result.skipped = true;
            result.reason = "nothing to build: the base image is used as it is";
            return result;
        }

        OutputMode mode = effective_mode(image, options);
        std::unique_ptr<DockerConfigDir> docker_config;
        Env env = registry_env(image, docker_config);

        std::unique_ptr<context::Delivery> delivery =
            context_delivery(image, m_config, options.context_progress);
        bool check = !options.force && mode != OutputMode::dest;
        if (options.dry_run) {
            result.argv = buildx_argv(image, options, metadata_file_placeholder(), *delivery);
            if (check) {
                try {
                    check_docker();
                    Presence p = exists(image, mode, platforms, env);
                    result.exists = p.exists;
                    result.skipped = p.exists;
                    result.reason = p.exists ? "exists" : p.reason;
                    if (p.exists) {
                        result.platforms = p.found;
                        result.digest = p.digest;
                    }
                } catch (const Error& e) {
                    if (e.kind() != ErrorKind::unavailable) {
                        throw;
                    }
                    result.reason = fmt::format("existence not checked: {}", e.what());
                }
            } else {
                result.reason = options.force ? "--force" : "--output: always built";
            }
            return result;
        }

        if (check) {
            // The check asks the registry (over HTTP, else with docker); only when it fails is it
            // worth asking docker and buildx directly, for a message that names the real cause.
            // A skipped build starts no child process at all.
            // Meanwhile the context is staged (sync delivery): the check waits for the registry,
            // the staging for the disk, and a rebuild needs both.
            // build_missing picks both up from the result (also in a graph, where the build of
            // an image may come long after its check).
            auto prepared = std::make_shared<Prepared>();
            prepared->delivery = std::move(delivery);
            if (prepared->delivery->kind() != context::DeliveryKind::tar) {
                prepared->staging->start(*prepared->delivery);
            }
            if (needs_base_user(image)) {
                prepared->base_user = base_user_lookup(m_runner, image, options.base_users.get());
            }
            Presence p;
            auto tc = Clock::now();
            try {
                p = exists(image, mode, platforms, env);
            } catch (const Error& e) {
                prepared.reset(); // stops the staging
                if (e.kind() == ErrorKind::unavailable || e.kind() == ErrorKind::other) {
                    check_docker();
                }
                throw;
            }
            spdlog::debug("{}: existence check {:.3f} s", image.uri, seconds_since(tc));
            result.exists = p.exists;
            if (p.exists) {
                prepared.reset(); // what was staged stays for the next build
                spdlog::info("{} exists with {}: skipped", image.uri, util::join(p.found, ", "));
                result.skipped = true;
                result.platforms = p.found;
                result.digest = p.digest;
                result.reason = "exists";
                result.seconds = seconds_since(t0);
                return result;
            }
            spdlog::info("{}: {}; building", image.uri, p.reason);
            result.reason = p.reason;
            result.prepared = std::move(prepared);
        } else {
            result.reason = options.force ? "--force" : "--output: always built";
        }
        result.seconds = seconds_since(t0);
        return result;
    }

    // The build of an image that check() found missing (or did not check): `result` is check's.
    BuildResult build_missing(const pipeline::Image& image, const BuildOptions& options,
                              BuildResult result) {
        auto t0 = Clock::now();
        std::vector<std::string> platforms = result.platforms;
        OutputMode mode = effective_mode(image, options);
        std::unique_ptr<DockerConfigDir> docker_config;
        Env env = registry_env(image, docker_config);

        require_docker();
        TempFolder tmp;
        BuildOptions run_options = options;
        std::unique_ptr<util::AtomicFile> output_file;
        if (mode == OutputMode::dest) {
            output_file = redirect_file_output(run_options.output);
        }
        long long epoch =
            run_options.source_date_epoch.empty() ? 0 : std::stoll(run_options.source_date_epoch);
        run_options.labels = image_labels(image, git_info(image.plan.spec.file.parent_path()),
                                          run_options.reproducible,
                                          created_time(image, run_options.reproducible, epoch));
        std::shared_ptr<Prepared> prepared = std::move(result.prepared);
        if (!prepared) {
            prepared = std::make_shared<Prepared>();
            prepared->delivery = context_delivery(image, m_config, options.context_progress);
        }
        Prepared& pending = *prepared;
        if (pending.base_user.valid()) {
            auto tu = Clock::now();
            run_options.base_user = pending.base_user.get();
            spdlog::debug("{}: base image's user after {:.3f} s more", image.uri,
                          seconds_since(tu));
        } else if (needs_base_user(image)) { // not checked (--force, --output)
            run_options.base_user =
                base_user_lookup(m_runner, image, options.base_users.get()).get();
        }
        if (platforms.size() == 1) {
            run_options.default_platform =
                default_builder_platform(docker_config_dir(env), run_options.builder);
        }
        context::Delivery& delivery = *pending.delivery;
        auto ts = Clock::now();
        pending.staging->finish(delivery);
        spdlog::debug("{}: context ready ({}) after {:.3f} s more", image.uri,
                      context::delivery_name(delivery.kind()), seconds_since(ts));
        std::vector<std::string> argv =
            buildx_argv(image, run_options, tmp.metadata_file().string(), delivery);
        spdlog::info("building {} for {} ({})", image.uri, util::join(platforms, ", "),
                     mode_name(mode));
        util::ProcessSpec spec;
        spec.argv = argv;
        spec.env = env;
        // buildx keeps a Dockerfile read from stdin in a folder of $TMPDIR that it does not
        // always remove (never when it is stopped): the private folder is removed by imgspec.
        spec.env.emplace_back("TMPDIR", tmp.path().string());
        spec.stdin_writer = [&delivery](int fd) { delivery.write_stdin(fd); };
        if (options.context_progress != nullptr) {
            spec.before_forward = [p = options.context_progress] { p->end(); };
        }
        spec.out = util::Stream::to_stderr; // stdout is imgspec's summary
        spec.err = util::Stream::tee;
        spec.forward_prefix = options.output_prefix;
        util::ProcessResult r;
        for (int attempt = 0;; ++attempt) {
            try {
                r = m_runner.run(spec);
            } catch (const Error& e) {
                if (e.kind() == ErrorKind::other) {
                    throw Error(ErrorKind::other, e.what(),
                                "buildx was stopped before the context was complete, so nothing "
                                "was pushed or loaded; run the build again");
                }
                throw;
            }
            if (r.exit_code == 0 || attempt == export_race_retries) {
                break;
            }
            if (lost_export_race(r, image.uri)) {
                spdlog::info("{}: another build exported the same image at the same time; once "
                             "more",
                             image.uri);
            } else if (transient_push_error(r, image.uri)) {
                spdlog::warn("{}: the registry failed while the image was pushed ({}); once more",
                             image.uri, error_line(r.err));
            } else {
                break;
            }
        }
        if (r.exit_code != 0) {
            throw buildx_failure(r, image.uri, m_config.uv_image.value);
        }
        if (output_file) {
            output_file->commit();
        }
        result.digest = read_digest(tmp.metadata_file());
        if (mode == OutputMode::push && run_options.reproducible) {
            push_oci_tar(tmp.image_tar(), image.uri, result.digest, env);
        }
        result.seconds += seconds_since(t0);
        return result;
    }

  private:
    // The registry secret's private DOCKER_CONFIG, made into `holder`: the environment for
    // docker, empty without a registry secret.
    // A reproducible push (buildx_argv): the OCI tar buildx wrote into the engine, then to the
    // registry. The registry must then hold exactly the index buildx reported.
    void push_oci_tar(const fs::path& tar, const std::string& uri, const std::string& digest,
                      const Env& env) {
        spdlog::info("{}: pushing the reproducible image", uri);
        for (const std::vector<std::string>& argv :
             {std::vector<std::string>{"docker", "load", "-q", "-i", tar.string()},
              std::vector<std::string>{"docker", "push", "-q", uri}}) {
            util::ProcessSpec spec;
            spec.argv = argv;
            spec.env = env;
            util::ProcessResult r = m_runner.run(spec);
            if (r.exit_code != 0) {
                throw Error(ErrorKind::unavailable,
                            fmt::format("{}: `{}` failed (exit {}): {}", uri, argv[1], r.exit_code,
                                        error_line(r.err + r.out)),
                            registry_hint(r.err, uri));
            }
        }
        Presence p = check_remote(m_runner, uri, {}, env);
        if (!digest.empty() && p.digest != digest) {
            throw Error(ErrorKind::other,
                        fmt::format("{}: the registry holds {}, not the {} that was built", uri,
                                    p.digest, digest),
                        "another build pushed this tag at the same time; build again");
        }
    }

    // Whether the Dockerfile restores the user of the image it starts from (--build-arg).
    static bool needs_base_user(const pipeline::Image& image) {
        return !image.plan.base_user_image.empty() && image.plan.final_user.empty();
    }

    static Env registry_env(const pipeline::Image& image,
                            std::unique_ptr<DockerConfigDir>& holder) {
        return registry_env(image.plan.registry_secret, holder);
    }
    static Env registry_env(const std::optional<plan::SecretSource>& secret,
                            std::unique_ptr<DockerConfigDir>& holder) {
        if (!secret) {
            return {};
        }
        holder = std::make_unique<DockerConfigDir>(read_secret_value(*secret), secret->id);
        return holder->env();
    }

    // The base image's user, looked up on a thread of its own; once per base image (and registry
    // secret) in a run when the options carry a BaseUsers: the images of a graph mostly share a
    // few bases.
    static std::shared_future<std::string>
    base_user_lookup(util::ProcessRunner& runner, const pipeline::Image& image, BaseUsers* memo) {
        const auto& secret = image.plan.registry_secret;
        auto start = [&runner, ref = image.plan.base_user_image, secret] {
            return std::async(std::launch::async,
                              [&runner, ref, secret] {
                                  std::unique_ptr<DockerConfigDir> holder;
                                  return image_user(runner, ref, registry_env(secret, holder));
                              })
                .share();
        };
        if (memo == nullptr) {
            return start();
        }
        std::string key = image.plan.base_user_image + "\n" + (secret ? secret->id : "");
        std::lock_guard lock(memo->mutex);
        auto& lookup = memo->lookups[key];
        if (!lookup.valid()) {
            lookup = start();
        }
        return lookup;
    }

    // Before a build: a docker on PATH. Whether its buildx plugin is there, buildx's own answer
    // tells (buildx_failure): asking first (`docker buildx version`) would cost every build a
    // docker start.
    void require_docker() {
        const char* path = std::getenv("PATH");
        if (!find_on_path("docker", path != nullptr ? path : "")) {
            throw Error(ErrorKind::unavailable, "docker is not available: no docker on PATH",
                        docker_hint);
        }
    }

    // Once per run: docker and its buildx plugin answer.
    void check_docker() {
        if (m_docker_ok) {
            return;
        }
        util::ProcessSpec spec;
        spec.argv = {"docker", "buildx", "version"};
        spec.timeout = std::chrono::seconds(30);
        util::ProcessResult r;
        const char* hint = docker_hint;
        try {
            r = m_runner.run(spec);
        } catch (const Error& e) {
            if (e.kind() == ErrorKind::other) {
                throw Error(ErrorKind::unavailable,
                            fmt::format("docker is not available: {}", e.what()), hint);
            }
            throw;
        }
        if (r.exit_code != 0 || r.timed_out) {
            std::string line = error_line(r.err.empty() ? r.out : r.err);
            throw Error(ErrorKind::unavailable,
                        fmt::format("docker buildx is not available: {}",
                                    r.timed_out ? "no answer within 30 s" : line),
                        hint);
        }
        spdlog::debug("{}", error_line(r.out));
        m_docker_ok = true;
    }

    Presence exists(const pipeline::Image& image, OutputMode mode,
                    const std::vector<std::string>& platforms, const Env& env) {
        return mode == OutputMode::push ? check_remote(m_runner, image.uri, platforms, env)
                                        : check_local(m_runner, image.uri, platforms, env);
    }

    util::ProcessRunner& m_runner;

    const Config& m_config;
    bool m_docker_ok = false;
};

} // namespace

void check_required_lock(const pipeline::Image& image, const Config& config) {
    if (is_true(config.require_lock) && !image.plan.lock) {
        const std::string& spec = image.plan.spec.display;
        throw Error(ErrorKind::invalid_spec,
                    fmt::format("{} has no lock file, and the config requires one "
                                "(require_lock: true)",
                                spec),
                    fmt::format("imgspec lock {}", spec));
    }
}

void check_secrets(const pipeline::Image& image) {
    std::vector<std::string> missing;
    collect_missing_secrets(image.plan, missing);
    if (!missing.empty()) {
        throw Error(ErrorKind::invalid_spec,
                    fmt::format("{}: missing secret{}: {}", image.uri,
                                missing.size() == 1 ? "" : "s", util::join(missing, ", ")),
                    "secrets are read from the environment or a file at build time; set them "
                    "before running imgspec build");
    }
}

BuildResult build_image(const pipeline::Image& image, const Config& config,
                        const BuildOptions& options, util::ProcessRunner& runner) {
    BuildOptions opts = with_config_defaults(options, config);
    check_required_lock(image, config);
    check_secrets(image);
    Builder builder(runner, config);
    return builder.build(image, opts);
}

BuildResult check_image(const pipeline::Image& image, const Config& config,
                        const BuildOptions& options, util::ProcessRunner& runner) {
    Builder builder(runner, config);
    return builder.check(image, with_config_defaults(options, config));
}

BuildResult build_checked(const pipeline::Image& image, const Config& config,
                          const BuildOptions& options, util::ProcessRunner& runner,
                          BuildResult checked) {
    Builder builder(runner, config);
    return builder.build_missing(image, with_config_defaults(options, config), std::move(checked));
}

pipeline::Image with_platforms(pipeline::Image image, const std::vector<spec::Platform>& platforms,
                               const Config& config) {
    // The same set in another order is the spec's own image: keep its tag.
    auto sorted = [](std::vector<spec::Platform> v) {
        std::sort(v.begin(), v.end());
        v.erase(std::unique(v.begin(), v.end()), v.end());
        return v;
    };
    if (platforms.empty() || image.passthrough ||
        sorted(platforms) == sorted(image.plan.platforms)) {
        return image;
    }
    image.plan.platforms = platforms;
    return pipeline::resolve_plan(pipeline::release_plan(std::move(image)), config);
}

} // namespace imgspec::build
