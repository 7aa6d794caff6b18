#include <imgspec/build/graph_build.hpp>

#include <imgspec/util/signals.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

namespace imgspec::build {

const char* status_name(ImageStatus s) {
    switch (s) {
    case ImageStatus::built:
        return "built";
    case ImageStatus::skipped:
        return "skipped";
    case ImageStatus::failed:
        return "failed";
    case ImageStatus::not_built:
        return "not built";
    case ImageStatus::would_build:
        return "would build";
    }
    return "not built";
}

namespace {

// Runs `work(i)` for i in [0, n) on up to `threads` threads.
void parallel_for(std::size_t n, unsigned threads, const std::function<void(std::size_t)>& work) {
    std::atomic<std::size_t> next{0};
    auto loop = [&] {
        for (std::size_t i; (i = next.fetch_add(1)) < n;) {
            work(i);
        }
    };
    std::vector<std::thread> pool;
    unsigned count = static_cast<unsigned>(std::min<std::size_t>(n, std::max(1U, threads)));
    for (unsigned t = 1; t < count; ++t) {
        pool.emplace_back(loop);
    }
    loop();
    for (auto& t : pool) {
        t.join();
    }
}

// Records the exception being handled as the image's failure.
void record_failure(ImageOutcome& out) {
    out.status = ImageStatus::failed;
    try {
        throw;
    } catch (const Error& e) {
        out.kind = e.kind();
        out.error = e.what();
        out.hint = e.hint();
    } catch (const std::exception& e) {
        out.kind = ErrorKind::other;
        out.error = e.what();
    }
}

class Scheduler {
  public:
    Scheduler(const pipeline::Graph& graph, const Config& config, const GraphOptions& options,
              util::ProcessRunner& runner)
        : m_graph(graph), m_config(config), m_options(options), m_runner(runner),
          m_out(graph.nodes.size()), m_state(graph.nodes.size(), State::waiting) {}

    GraphResult run() {
        for (std::size_t i : m_graph.inputs) { // the specs named, not their parents
            check_required_lock(*m_graph.nodes[i].image, m_config);
        }
        for (const auto& n : m_graph.nodes) {
            check_secrets(*n.image);
        }
        check_all();
        if (!m_options.build.dry_run) {
            build_all();
        }
        GraphResult r;
        for (std::size_t i = 0; i < m_out.size(); ++i) {
            if (m_state[i] == State::waiting && m_out[i].error.empty()) {
                m_out[i].error = m_stopped_by;
            }
        }
        r.images = std::move(m_out);
        for (const auto& o : r.images) {
            if (o.status == ImageStatus::failed) {
                r.exit_code = std::max(r.exit_code, exit_code(o.kind));
            }
        }
        if (util::interrupted()) {
            r.exit_code = exit_code(ErrorKind::interrupted);
        }
        return r;
    }

  private:
    enum class State { waiting, running, ok, failed };

    BuildOptions options_of(std::size_t i) const {
        const pipeline::Node& n = m_graph.nodes[i];
        BuildOptions o = n.requested ? m_options.build : parent_options(*n.image, m_options.build);
        if (m_parallel) {
            o.output_prefix = fmt::format("[{}] ", n.label);
            o.context_progress = nullptr; // one line for several streams would say nothing
        }
        return o;
    }

    void done(std::size_t i) {
        if (m_options.on_done) {
            m_options.on_done(m_graph.nodes[i], m_out[i]);
        }
    }

    // Every existence check at once.
    void check_all() {
        parallel_for(m_graph.nodes.size(), check_jobs, [&](std::size_t i) {
            ImageOutcome& out = m_out[i];
            try {
                out.result =
                    check_image(*m_graph.nodes[i].image, m_config, options_of(i), m_runner);
                if (out.result.skipped) {
                    out.status = ImageStatus::skipped;
                } else if (m_options.build.dry_run) {
                    out.status = ImageStatus::would_build;
                }
            } catch (...) {
                out.result.uri = m_graph.nodes[i].uri;
                record_failure(out);
            }
            std::lock_guard<std::mutex> lock(m_mutex);
            if (out.status == ImageStatus::failed) {
                m_state[i] = State::failed;
                stop_after(i);
            } else if (out.status == ImageStatus::skipped) {
                m_state[i] = State::ok;
            }
            if (out.status != ImageStatus::not_built) {
                done(i);
            }
        });
    }

    // Under the lock: after image i failed, what may no longer start.
    void stop_after(std::size_t i) {
        for (std::size_t d : pipeline::dependents_of(m_graph, i)) {
            if (m_out[d].error.empty()) {
                m_out[d].error = fmt::format("{} failed", m_graph.nodes[i].uri);
            }
        }
        if (!m_options.keep_going && !m_stop) {
            m_stop = true;
            m_stopped_by = fmt::format("stopped after {} failed", m_graph.nodes[i].uri);
        }
    }

    bool ready(std::size_t i) const {
        if (m_state[i] != State::waiting) {
            return false;
        }
        const auto& deps = m_graph.nodes[i].deps;
        return std::all_of(deps.begin(), deps.end(),
                           [&](std::size_t d) { return m_state[d] == State::ok; });
    }

    void build_all() {
        std::size_t to_build = std::count(m_state.begin(), m_state.end(), State::waiting);
        unsigned jobs = std::clamp(m_options.jobs, 1U, max_jobs);
        m_parallel = jobs > 1 && to_build > 1;
        std::vector<std::thread> pool;
        unsigned count = static_cast<unsigned>(std::min<std::size_t>(to_build, jobs));
        for (unsigned t = 1; t < count; ++t) {
            pool.emplace_back([this] { worker(); });
        }
        if (count > 0) {
            worker();
        }
        for (auto& t : pool) {
            t.join();
        }
    }

    void worker() {
        std::unique_lock<std::mutex> lock(m_mutex);
        for (;;) {
            std::size_t pick = m_state.size();
            m_wake.wait(lock, [&] {
                if (m_stop || util::interrupted()) {
                    return true;
                }
                for (std::size_t i = 0; i < m_state.size(); ++i) {
                    if (ready(i)) {
                        pick = i;
                        return true;
                    }
                }
                return m_running == 0; // nothing runs that could make an image ready
            });
            if (m_stop || util::interrupted() || pick == m_state.size()) {
                if (util::interrupted() && !m_stop) {
                    m_stop = true;
                    m_stopped_by = "interrupted";
                }
                m_wake.notify_all();
                return;
            }
            m_state[pick] = State::running;
            ++m_running;
            lock.unlock();
            ImageOutcome& out = m_out[pick];
            try {
                out.result = build_checked(*m_graph.nodes[pick].image, m_config, options_of(pick),
                                           m_runner, out.result);
                out.status = ImageStatus::built;
            } catch (...) {
                record_failure(out);
            }
            lock.lock();
            --m_running;
            if (out.status == ImageStatus::failed) {
                m_state[pick] = State::failed;
                if (out.kind == ErrorKind::interrupted) {
                    m_stop = true;
                    m_stopped_by = "interrupted";
                } else {
                    stop_after(pick);
                }
            } else {
                m_state[pick] = State::ok;
            }
            done(pick);
            m_wake.notify_all();
        }
    }

    const pipeline::Graph& m_graph;
    const Config& m_config;
    const GraphOptions& m_options;
    util::ProcessRunner& m_runner;
    std::vector<ImageOutcome> m_out;
    std::vector<State> m_state;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::size_t m_running = 0;
    bool m_stop = false;
    std::string m_stopped_by;
    bool m_parallel = false;
};

} // namespace

GraphResult build_graph(const pipeline::Graph& graph, const Config& config,
                        const GraphOptions& options, util::ProcessRunner& runner) {
    GraphOptions run = options;
    if (!run.build.base_users) {
        run.build.base_users = new_base_users();
    }
    Scheduler s(graph, config, run, runner);
    return s.run();
}

} // namespace imgspec::build
