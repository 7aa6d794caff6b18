#include <imgspec/render/dockerfile.hpp>

#include <imgspec/render/quote.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>

#include <map>

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
    std::vector<std::string> exports; // "VAR=/run/secrets/id": env secrets, read from a mounted file
    std::string script;
};

class Renderer {
  public:
    Renderer(const Plan& p, const Config& c) : m_plan(p), m_cfg(c), m_uv(c.installer.value != "pip") {}

    std::string render();

  private:
    void line(const std::string& s) { m_out += s + "\n"; }

    void emit(const Run& run) {
        std::string script;
        for (const auto& e : run.exports) {
            auto eq = e.find('=');
            script += fmt::format("{}=\"$(cat {})\" && export {} && ", e.substr(0, eq), e.substr(eq + 1),
                                  e.substr(0, eq));
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
            if (!m.as_env_var.empty()) {
                // The value reaches the step as a variable read from a file mount: works on every
                // BuildKit without a newer Dockerfile frontend (secret env= needs syntax 1.10).
                target = "/run/secrets/" + id;
                run.exports.push_back(m.as_env_var + "=" + shell_quote(target));
            } else if (target.empty()) {
                target = "/run/secrets/" + id;
            }
            run.mounts.push_back(fmt::format("type=secret,id={},target={},required=true", id, target));
        }
    }

    void cache(Run& run, const std::string& id, const std::string& target) {
        run.mounts.push_back(fmt::format("type=cache,id={},target={},sharing=locked", id, target));
    }

    std::string bind(Run& run, const std::string& ctx_path, bool rw = false) {
        std::string target = std::string(bind_root) + "/" + ctx_path;
        run.mounts.push_back(fmt::format("type=bind,source={},target={}{}", ctx_path, target, rw ? ",rw" : ""));
        return target;
    }

    // The installer's cache mount and the layer's secrets, and its options as flags.
    std::string pip_flags(Run& run, const spec::PipOptions& o) {
        if (m_uv) {
            cache(run, "imgspec-uv", "/root/.cache/uv");
        } else {
            cache(run, "imgspec-pip", "/root/.cache/pip");
        }
        std::string flags;
        if (!o.index_url.empty()) {
            flags += " --index-url " + shell_quote(o.index_url);
        }
        for (const auto& u : o.extra_index_urls) {
            flags += " --extra-index-url " + shell_quote(u);
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
        std::string cmd = m_uv ? fmt::format("uv pip install --python {}/bin/python", venv_dir)
                               : fmt::format("{}/bin/python -m pip install --disable-pip-version-check",
                                             venv_dir);
        return cmd + pip_flags(run, o);
    }

    static std::string quoted_list(const std::vector<std::string>& words) {
        std::string out;
        for (const auto& w : words) {
            out += " " + shell_quote(w);
        }
        return out;
    }

    void apt_install(const std::vector<std::string>& packages, const std::vector<spec::SecretMount>& secrets) {
        Run run;
        cache(run, "imgspec-apt-cache", "/var/cache/apt");
        cache(run, "imgspec-apt-lists", "/var/lib/apt/lists");
        secret_mounts(run, secrets);
        // Debian images delete downloaded packages after each install; keep them in the cache mount.
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
        Run run;
        if (m_uv) {
            run.script = fmt::format("[ -x {0}/bin/python ] || uv venv {0} --python python3", venv_dir);
        } else {
            run.script = fmt::format("[ -x {0}/bin/python ] || python3 -m venv {0}", venv_dir);
        }
        emit(run);
    }

    void debian_base() {
        apt_install({"build-essential", "ca-certificates"}, {});
        line("RUN id -u flyte >/dev/null 2>&1 || useradd --create-home --uid 1000 --shell /bin/bash flyte");
        line("WORKDIR /home/flyte");
        python_env();
        if (m_plan.debian.install_flyte) {
            Run run;
            std::string pkg = m_plan.debian.flyte_version.empty() ? "flyte" : "flyte==" + m_plan.debian.flyte_version;
            run.script = pip_install(run, {}) + " " + shell_quote(pkg);
            emit(run);
        }
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
        run.script = fmt::format("{0} --find-links {1}{2} && {0} --no-deps --no-index{3} --find-links {1}{2}",
                                 first, dir, pkgs, reinstall);
        emit(run);
    }

    void layer(const ResolvedLayer& r);

    const Plan& m_plan;
    const Config& m_cfg;
    bool m_uv;
    std::string m_out;
};

void Renderer::layer(const ResolvedLayer& r) {
    std::visit(
        [&](const auto& l) {
            using T = std::decay_t<decltype(l)>;
            if constexpr (std::is_same_v<T, spec::WorkdirLayer>) {
                line("WORKDIR " + dockerfile_quote(l.path));
            } else if constexpr (std::is_same_v<T, spec::AptLayer>) {
                apt_install(l.packages, l.secret_mounts);
            } else if constexpr (std::is_same_v<T, spec::PipLayer>) {
                Run run;
                run.script = pip_install(run, l.options) + quoted_list(l.packages);
                emit(run);
            } else if constexpr (std::is_same_v<T, spec::RequirementsLayer>) {
                Run run;
                std::string file = bind(run, r.files.dir + "/" + r.files.names.at(0));
                run.script = pip_install(run, l.options) + " --requirement " + shell_quote(file);
                emit(run);
            } else if constexpr (std::is_same_v<T, spec::UvProjectLayer>) {
                if (!m_uv) {
                    throw Error(ErrorKind::invalid_spec,
                                fmt::format("{}: uv_project needs the uv installer", r.layer.path),
                                "set 'installer: uv' in the config, or use requirements");
                }
                Run run;
                bind(run, r.files.dir + "/pyproject.toml");
                bind(run, r.files.dir + "/uv.lock");
                std::string opts = pip_flags(run, l.options);
                std::string dir = std::string(bind_root) + "/" + r.files.dir;
                run.script = fmt::format("uv sync --active --inexact --locked --no-install-project "
                                         "--project {}{}",
                                         dir, opts);
                emit(run);
                if (l.mode == spec::InstallMode::install_project) {
                    Run proj;
                    std::string pdir = bind(proj, r.files.dir + "/project", true);
                    std::string popts = pip_flags(proj, l.options);
                    proj.script = fmt::format("uv sync --active --inexact --locked --no-editable "
                                              "--project {}{}",
                                              pdir, popts);
                    emit(proj);
                }
            } else if constexpr (std::is_same_v<T, spec::PoetryLayer>) {
                Run run;
                bind(run, r.files.dir + "/pyproject.toml");
                bind(run, r.files.dir + "/poetry.lock");
                cache(run, "imgspec-poetry", "/tmp/poetry_cache");
                std::string install = pip_install(run, {});
                secret_mounts(run, l.secret_mounts);
                std::string extra = quoted_list(util::shell_split(l.extra_args));
                std::string dir = std::string(bind_root) + "/" + r.files.dir;
                run.script = fmt::format(
                    "{} poetry && cd {} && POETRY_CACHE_DIR=/tmp/poetry_cache POETRY_VIRTUALENVS_CREATE=false "
                    "poetry install --no-interaction --no-root{}",
                    install, dir, extra);
                emit(run);
                if (l.mode == spec::InstallMode::install_project) {
                    Run proj;
                    std::string pdir = bind(proj, r.files.dir + "/project", true);
                    cache(proj, "imgspec-poetry", "/tmp/poetry_cache");
                    secret_mounts(proj, l.secret_mounts);
                    proj.script = fmt::format("cd {} && POETRY_CACHE_DIR=/tmp/poetry_cache "
                                              "POETRY_VIRTUALENVS_CREATE=false poetry install "
                                              "--no-interaction --only-root{}",
                                              pdir, extra);
                    emit(proj);
                }
            } else if constexpr (std::is_same_v<T, spec::EnvLayer>) {
                std::string s = "ENV";
                for (std::size_t i = 0; i < l.vars.size(); ++i) {
                    s += (i == 0 ? " " : " \\\n    ") + l.vars[i].first + "=" + dockerfile_quote(l.vars[i].second);
                }
                line(s);
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
            }
        },
        r.layer.body);
}

bool needs_python(const Plan& p) {
    if (p.debian_base) {
        return true;
    }
    for (const auto& r : p.layers) {
        const auto& b = r.layer.body;
        if (std::holds_alternative<spec::PipLayer>(b) || std::holds_alternative<spec::RequirementsLayer>(b) ||
            std::holds_alternative<spec::UvProjectLayer>(b) || std::holds_alternative<spec::PoetryLayer>(b) ||
            std::holds_alternative<spec::LocalV2Layer>(b) || std::holds_alternative<spec::LocalV2PluginsLayer>(b)) {
            return true;
        }
    }
    return false;
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
    std::string base = m_plan.debian_base ? expand_python(m_cfg.debian_base_image.value, m_plan.python_version)
                                          : m_plan.base_image;
    line("FROM " + base);
    line("USER 0");
    if (m_plan.debian_base) {
        debian_base();
    } else if (python) {
        python_env();
    }
    for (const auto& r : m_plan.layers) {
        layer(r);
    }
    return m_out;
}

} // namespace

std::string render_dockerfile(const plan::Plan& plan, const Config& config) {
    Renderer r(plan, config);
    return r.render();
}

} // namespace imgspec::render
