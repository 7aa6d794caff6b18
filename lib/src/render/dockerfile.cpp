#include <imgspec/render/dockerfile.hpp>

#include <imgspec/render/quote.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <unordered_set>

namespace imgspec::render {

namespace {

using plan::Plan;
using plan::ResolvedLayer;

std::string expand_python(std::string templ, const std::string& version) {
    const std::string key = "{python_version}";
    for (auto pos = templ.find(key); pos != std::string::npos; pos = templ.find(key)) {
        templ.replace(pos, key.size(), version);
    }
    return templ;
}

// One RUN instruction: mounts plus a shell script.
struct Run {
    std::vector<std::string> mounts;
    std::unordered_set<std::string> seen; // mounts and exports, once each
    std::vector<std::string>
        exports; // "VAR=/run/secrets/id": env secrets, read from a mounted file
    std::string script;
};

class Renderer {
  public:
    Renderer(const Plan& p, const Config& c)
        : m_plan(p), m_cfg(c), m_uv(c.installer.value != "pip") {}

    std::string render();

  private:
    void line(const std::string& s) { m_out += s + "\n"; }

    void emit(const Run& run) {
        std::string script;
        for (const auto& e : run.exports) {
            auto eq = e.find('=');
            script += fmt::format("{}=\"$(cat {})\" && export {} && ", e.substr(0, eq),
                                  e.substr(eq + 1), e.substr(0, eq));
        }
        script += run.script;
        // One mount a line: long RUN lines stay readable in reviews and diffs.
        std::string head = "RUN";
        for (std::size_t i = 0; i < run.mounts.size(); ++i) {
            head += (i == 0 ? " --mount=" : " \\\n    --mount=") + run.mounts[i];
        }
        // Shell form when the script cannot be misread by the Dockerfile parser (line breaks,
        // continuation backslashes, heredoc markers); else the exec form, exact through JSON.
        bool plain = script.find_first_of("\n\r") == std::string::npos &&
                     script.find("<<") == std::string::npos && script.back() != '\\';
        if (plain) {
            line(head + (run.mounts.empty() ? " " : " \\\n    ") + script);
        } else {
            line(head + " " + json_array({"/bin/sh", "-c", script}));
        }
    }

    // As in the Flyte SDK: a secret with a `mount` (its own or its definition's) is a file there;
    // without one it is an environment variable, `as_env_var` or the key in upper case.
    void secret_mounts(Run& run, const std::vector<spec::SecretMount>& ms) {
        for (const auto& m : ms) {
            std::string id = m.group.empty() ? m.key : m.group + "_" + m.key;
            std::string target = m.mount;
            if (target.empty()) {
                auto it = m_plan.spec.secrets.find(m.key);
                if (it != m_plan.spec.secrets.end() && !it->second.mount.empty()) {
                    target = it->second.mount;
                }
            }
            if (target.empty()) {
                // The value reaches the step as a variable read from a file mount: works on every
                // BuildKit without a newer Dockerfile frontend (secret env= needs syntax 1.10).
                target = "/run/secrets/" + id;
                std::string e = spec::secret_env_name(m) + "=" + shell_quote(target);
                if (run.seen.insert(e).second) {
                    run.exports.push_back(e);
                }
            }
            // One secret mounted twice in a step (as a variable and under another name) is one
            // mount.
            std::string mount =
                fmt::format("type=secret,id={},target={},required=true", id, target);
            if (run.seen.insert(mount).second) {
                run.mounts.push_back(mount);
            }
        }
    }

    void cache(Run& run, const std::string& id, const std::string& target) {
        run.mounts.push_back(fmt::format("type=cache,id={},target={},sharing=locked", id, target));
    }

    std::string bind(Run& run, const std::string& ctx_path, bool rw = false) {
        std::string target = std::string(bind_root) + "/" + ctx_path;
        run.mounts.push_back(
            fmt::format("type=bind,source={},target={}{}", ctx_path, target, rw ? ",rw" : ""));
        return target;
    }

    // A project layer's own folder (layers/<n>/project), writable: the project is built from it
    // (install_project). Returns where the project is in it.
    std::string project_mount(Run& run, const ResolvedLayer& r) {
        std::string dir = bind(run, r.files.dir + "/project", true);
        return r.files.project.empty() ? dir : dir + "/" + r.files.project;
    }

    // The installer's cache mount and the layer's secrets, and its options as flags.
    std::string pip_flags(Run& run, const spec::PipOptions& o) {
        if (m_uv) {
            cache(run, "imgspec-uv", "/root/.cache/uv");
        } else {
            cache(run, "imgspec-pip", "/root/.cache/pip");
        }
        std::string flags;
        // A URL may hold $TOKEN of a secret exported in this step: the shell expands it.
        if (!o.index_url.empty()) {
            flags += " --index-url " + shell_quote_refs(o.index_url);
        }
        for (const auto& u : o.extra_index_urls) {
            flags += " --extra-index-url " + shell_quote_refs(u);
        }
        if (o.pre) {
            flags += m_uv ? " --prerelease=allow" : " --pre";
        }
        for (const auto& a : util::shell_split(o.extra_args)) {
            flags += " " + shell_quote(a);
        }
        secret_mounts(run, o.secret_mounts);
        return flags;
    }

    // "uv pip install --python ..." or "python -m pip install ...", with the layer's options.
    std::string pip_install(Run& run, const spec::PipOptions& o) {
        std::string cmd =
            m_uv
                ? fmt::format("uv pip install --python {}/bin/python", venv_dir)
                : fmt::format("{}/bin/python -m pip install --disable-pip-version-check", venv_dir);
        return cmd + pip_flags(run, o);
    }

    static std::string quoted_list(const std::vector<std::string>& words) {
        std::string out;
        for (const auto& w : words) {
            out += " " + shell_quote(w);
        }
        return out;
    }

    void apt_install(const std::vector<std::string>& packages,
                     const std::vector<spec::SecretMount>& secrets) {
        Run run;
        cache(run, "imgspec-apt-cache", "/var/cache/apt");
        cache(run, "imgspec-apt-lists", "/var/lib/apt/lists");
        secret_mounts(run, secrets);
        // Debian images delete downloaded packages after each install; keep them in the cache
        // mount.
        run.script = "rm -f /etc/apt/apt.conf.d/docker-clean && apt-get update && "
                     "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends" +
                     quoted_list(packages);
        emit(run);
    }

    void python_env() {
        if (m_uv) {
            line(fmt::format("COPY --from=uv /uv /usr/bin/uv"));
        }
        line(fmt::format("ENV VIRTUAL_ENV={0} UV_PYTHON={0}/bin/python UV_LINK_MODE=copy \\\n    "
                         "PATH=\"{0}/bin:$PATH\"",
                         venv_dir));
        // A python_version given for a base that is not Flyte's own: uv makes a venv of that
        // version; pip can only use the base's python3, so the build checks it has that version.
        const bool given = m_plan.python_version_given && !m_plan.debian_base;
        const std::string& v = m_plan.python_version;
        Run run;
        if (m_uv) {
            run.script = fmt::format("[ -x {0}/bin/python ] || uv venv {0} --python {1}", venv_dir,
                                     given ? v : "python3");
        } else {
            run.script = fmt::format("[ -x {0}/bin/python ] || python3 -m venv {0}", venv_dir);
        }
        emit(run);
        if (given) {
            auto dot = v.find('.');
            Run check;
            check.script = fmt::format(
                "{0}/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != ({1}, {2}))' || "
                "{{ echo \"imgspec: python_version is {3} but the image's Python is "
                "$({0}/bin/python "
                "-V 2>&1); use a base with Python {3}, or change python_version\" >&2; exit 1; }}",
                venv_dir, v.substr(0, dot), v.substr(dot + 1), v);
            emit(check);
        }
    }

    // The Flyte SDK's default image: a flyte user, a venv, bytecode compiled at install, /root on
    // PYTHONPATH, flyte pinned; it runs as flyte (see footer()).
    void debian_base() {
        apt_install({"build-essential", "ca-certificates"}, {});
        line("RUN id -u flyte >/dev/null 2>&1 || useradd --create-home --uid 1000 --shell "
             "/bin/bash flyte");
        line("WORKDIR /home/flyte");
        python_env();
        line("ENV UV_COMPILE_BYTECODE=1 PYTHONPATH=/root");
        if (m_plan.debian.install_flyte) {
            Run run;
            const std::string& version = m_plan.debian.flyte_version.empty()
                                             ? std::string(spec::default_flyte_version)
                                             : m_plan.debian.flyte_version;
            run.script = pip_install(run, {}) + " " + shell_quote("flyte==" + version);
            emit(run);
        }
    }

    // Runtime settings, then the user the image runs as: the installs ran as 0:0.
    void footer() {
        const spec::Runtime& rt = m_plan.spec.runtime;
        for (const auto& [k, v] : rt.labels) {
            line("LABEL " + dockerfile_quote(k) + "=" + dockerfile_quote(v));
        }
        for (const auto& port : rt.expose) {
            line("EXPOSE " + port);
        }
        if (!rt.stopsignal.empty()) {
            line("STOPSIGNAL " + rt.stopsignal);
        }
        if (rt.healthcheck) {
            const spec::Healthcheck& h = *rt.healthcheck;
            if (h.none) {
                line("HEALTHCHECK NONE");
            } else {
                std::string opts;
                for (auto [flag, value] :
                     {std::pair{"interval", &h.interval}, std::pair{"timeout", &h.timeout},
                      std::pair{"start-period", &h.start_period},
                      std::pair{"retries", &h.retries}}) {
                    if (!value->empty()) {
                        opts += fmt::format(" --{}={}", flag, *value);
                    }
                }
                line("HEALTHCHECK" + opts + " CMD " + command_json(h.test));
            }
        }
        if (rt.entrypoint) {
            line("ENTRYPOINT " + command_json(*rt.entrypoint));
        }
        if (rt.cmd) {
            line("CMD " + command_json(*rt.cmd));
        }
        if (!m_plan.final_user.empty()) {
            line("USER " + m_plan.final_user);
        } else if (!m_plan.base_user_image.empty()) {
            // The base image's own user, looked up by `imgspec build` (a default for a plain
            // `docker build` of this file: root, as the steps above ran).
            line(fmt::format("ARG {}=0:0", base_user_arg));
            line(fmt::format("USER ${}", base_user_arg));
        }
    }

    // Exec form always: a shell command is ["/bin/sh", "-c", ...], exact through JSON.
    static std::string command_json(const spec::Command& c) {
        if (c.shell) {
            return json_array({"/bin/sh", "-c", c.args.at(0)});
        }
        return json_array(c.args);
    }

    void copy(const ResolvedLayer& r) {
        line(fmt::format("COPY {}", json_array({r.files.dir + "/", r.dst})));
    }

    void wheels(const ResolvedLayer& r, const std::vector<std::string>& packages) {
        Run run;
        std::string dir = bind(run, r.files.dir);
        std::string first = pip_install(run, {});
        std::string pkgs = quoted_list(packages);
        std::string reinstall = m_uv ? " --reinstall" : " --force-reinstall";
        // Dependencies may come from the index; the packages themselves must be the local wheels.
        run.script = fmt::format(
            "{0} --find-links {1}{2} && {0} --no-deps --no-index{3} --find-links {1}{2}", first,
            dir, pkgs, reinstall);
        emit(run);
    }

    void layer(const ResolvedLayer& r);
    // A layer kind's steps, for the kinds that take more than a line.
    void pip_packages(const ResolvedLayer& r, const spec::PipLayer& l);
    void uv_project(const ResolvedLayer& r, const spec::UvProjectLayer& l);
    void poetry_project(const ResolvedLayer& r, const spec::PoetryLayer& l);
    void env_vars(const spec::EnvLayer& l);

    const Plan& m_plan;
    const Config& m_cfg;
    bool m_uv;
    std::string m_out;
};

void Renderer::pip_packages(const ResolvedLayer& r, const spec::PipLayer& l) {
    Run run;
    if (!r.files.dir.empty()) {
        bind(run, r.files.dir, true); // a script's local dependencies (built in place)
    }
    std::string packages;
    for (const auto& p : l.packages) {
        packages += " " + shell_quote_refs(p); // $TOKEN of a secret of this step
    }
    run.script = pip_install(run, l.options) + packages;
    emit(run);
}

// One step for the dependencies, then (install_project) one for the project itself.
void Renderer::uv_project(const ResolvedLayer& r, const spec::UvProjectLayer& l) {
    if (!m_uv) {
        throw Error(ErrorKind::invalid_spec,
                    fmt::format("{}: uv_project needs the uv installer", r.layer.path),
                    "set 'installer: uv' in the config, or use requirements");
    }
    // --locked unless the user chose --frozen (or --locked) in extra_args, which would
    // conflict; none without a lock (resolved at build time: a warning said so).
    const auto args = util::shell_split(l.options.extra_args);
    const bool own_lock_flag = std::any_of(args.begin(), args.end(), [](const std::string& a) {
        return a == "--frozen" || a == "--locked";
    });
    const std::string lock_flag = own_lock_flag || !r.files.locked ? "" : " --locked";
    Run run;
    std::string dir = std::string(bind_root) + "/" + r.files.dir;
    if (r.files.mirrored || !r.files.locked) {
        // The whole layer folder: a workspace's members and path sources are in it;
        // rw, as uv writes a lock it does not find (thrown away with the mount).
        bind(run, r.files.dir, !r.files.locked);
        if (!r.files.project.empty()) {
            dir += "/" + r.files.project;
        }
    } else {
        bind(run, r.files.dir + "/pyproject.toml");
        bind(run, r.files.dir + "/uv.lock");
    }
    std::string opts = pip_flags(run, l.options);
    // --no-editable: a workspace member or path source installed as a dependency must
    // not point into the mount, which is gone when the step ends.
    run.script = fmt::format("uv sync --active --inexact{} --no-install-project --no-editable "
                             "--project {}{}",
                             lock_flag, dir, opts);
    emit(run);
    if (l.mode == spec::InstallMode::install_project) {
        Run proj;
        std::string pdir = project_mount(proj, r);
        std::string popts = pip_flags(proj, l.options);
        proj.script = fmt::format("uv sync --active --inexact{} --no-editable "
                                  "--project {}{}",
                                  lock_flag, pdir, popts);
        emit(proj);
    }
}

// One step for the dependencies, then (install_project) one for the project itself.
void Renderer::poetry_project(const ResolvedLayer& r, const spec::PoetryLayer& l) {
    Run run;
    std::string dir = std::string(bind_root) + "/" + r.files.dir;
    if (r.files.mirrored) {
        bind(run, r.files.dir); // the project's path dependencies are in it
        dir += "/" + r.files.project;
    } else {
        bind(run, r.files.dir + "/pyproject.toml");
        bind(run, r.files.dir + "/poetry.lock");
    }
    cache(run, "imgspec-poetry", "/tmp/poetry_cache");
    std::string install = pip_install(run, {});
    secret_mounts(run, l.secret_mounts);
    std::string extra = quoted_list(util::shell_split(l.extra_args));
    // The image's own poetry when it has one (e.g. Debian's python3-poetry).
    run.script = fmt::format("{{ command -v poetry >/dev/null 2>&1 || {} poetry; }} && cd {} && "
                             "POETRY_CACHE_DIR=/tmp/poetry_cache POETRY_VIRTUALENVS_CREATE=false "
                             "poetry install --no-interaction --no-root{}",
                             install, dir, extra);
    emit(run);
    if (l.mode == spec::InstallMode::install_project) {
        // The project as a wheel, not `poetry install --only-root`: that installs it
        // editable, pointing into the mount (gone at run time), and rejects group
        // options such as --without dev, which only the dependency step needs.
        Run proj;
        std::string pdir = project_mount(proj, r);
        cache(proj, "imgspec-poetry", "/tmp/poetry_cache");
        secret_mounts(proj, l.secret_mounts);
        std::string wheel_install = pip_install(proj, {});
        proj.script =
            fmt::format("cd {} && rm -rf /tmp/imgspec-wheel && POETRY_CACHE_DIR=/tmp/poetry_cache "
                        "POETRY_VIRTUALENVS_CREATE=false poetry build --no-interaction --format "
                        "wheel && "
                        "mkdir /tmp/imgspec-wheel && cp dist/*.whl /tmp/imgspec-wheel/ && "
                        "{} --no-deps /tmp/imgspec-wheel/*.whl && rm -rf /tmp/imgspec-wheel",
                        pdir, wheel_install);
        emit(proj);
    }
}

void Renderer::env_vars(const spec::EnvLayer& l) {
    std::string s = "ENV";
    for (std::size_t i = 0; i < l.vars.size(); ++i) {
        s += (i == 0 ? " " : " \\\n    ") + l.vars[i].first + "=" +
             dockerfile_env_quote(l.vars[i].second);
    }
    line(s);
}

void Renderer::layer(const ResolvedLayer& r) {
    std::visit(
        [&](const auto& l) {
            using T = std::decay_t<decltype(l)>;
            if constexpr (std::is_same_v<T, spec::WorkdirLayer>) {
                line("WORKDIR " + dockerfile_quote(l.path));
            } else if constexpr (std::is_same_v<T, spec::AptLayer>) {
                apt_install(l.packages, l.secret_mounts);
            } else if constexpr (std::is_same_v<T, spec::PipLayer>) {
                pip_packages(r, l);
            } else if constexpr (std::is_same_v<T, spec::RequirementsLayer>) {
                Run run;
                // With includes (-r, -c), the layer's folder holds them at their relative paths.
                std::string file = r.files.mirrored
                                       ? bind(run, r.files.dir) + "/" + r.files.names.at(0)
                                       : bind(run, r.files.dir + "/" + r.files.names.at(0));
                run.script = pip_install(run, l.options) + " --requirement " + shell_quote(file);
                emit(run);
            } else if constexpr (std::is_same_v<T, spec::UvProjectLayer>) {
                uv_project(r, l);
            } else if constexpr (std::is_same_v<T, spec::PoetryLayer>) {
                poetry_project(r, l);
            } else if constexpr (std::is_same_v<T, spec::EnvLayer>) {
                env_vars(l);
            } else if constexpr (std::is_same_v<T, spec::SourceFolderLayer> ||
                                 std::is_same_v<T, spec::SourceFileLayer> ||
                                 std::is_same_v<T, spec::CodeBundleLayer>) {
                copy(r);
            } else if constexpr (std::is_same_v<T, spec::DockerignoreLayer>) {
                // Applied while the context is collected; nothing to run.
            } else if constexpr (std::is_same_v<T, spec::CommandsLayer>) {
                for (const auto& c : l.commands) {
                    Run run;
                    secret_mounts(run, l.secret_mounts);
                    run.script = c;
                    emit(run);
                }
            } else if constexpr (std::is_same_v<T, spec::LocalV2Layer>) {
                wheels(r, {"flyte"});
            } else if constexpr (std::is_same_v<T, spec::LocalV2PluginsLayer>) {
                wheels(r, l.plugins);
            } else {
                static_assert(spec::no_case_for<T>, "a layer kind that renders nothing");
            }
        },
        r.layer.body);
}

bool needs_python(const Plan& p) {
    return p.debian_base || std::any_of(p.layers.begin(), p.layers.end(), [](const auto& r) {
               return spec::installs_python(r.layer.body);
           });
}

std::string Renderer::render() {
    if (m_plan.user_dockerfile) {
        return *m_plan.user_dockerfile;
    }
    const bool python = needs_python(m_plan);
    line("# Generated by imgspec: do not edit; change the spec and render again.");
    if (python && m_uv) {
        line(fmt::format("FROM {} AS uv", m_cfg.uv_image.value));
    }
    std::string base = m_plan.debian_base
                           ? expand_python(m_cfg.debian_base_image.value, m_plan.python_version)
                           : m_plan.base_image;
    line("FROM " + base);
    // A uid:gid, not a bare 0: BuildKit looks a bare uid up in /etc/passwd, which a base made
    // FROM scratch does not have.
    line("USER 0:0");
    if (m_plan.debian_base) {
        debian_base();
    }
    // On another base, the Python environment starts at the first layer that runs in it: a
    // Python install, or commands (which may call pip or python from PATH, as they could when the
    // venv came first). The apt_packages, copies and settings before it run on the base as it is,
    // and may be what gives it python3 (python3-venv on a Debian or Ubuntu image without Python).
    bool venv = m_plan.debian_base || !python;
    for (const auto& r : m_plan.layers) {
        if (!venv && (spec::installs_python(r.layer.body) ||
                      std::holds_alternative<spec::CommandsLayer>(r.layer.body))) {
            python_env();
            venv = true;
        }
        layer(r);
    }
    footer();
    return m_out;
}

} // namespace

std::string render_dockerfile(const plan::Plan& plan, const Config& config) {
    Renderer r(plan, config);
    return r.render();
}

} // namespace imgspec::render
