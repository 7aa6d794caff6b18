#include <imgspec/pipeline/graph.hpp>

#include <imgspec/core/error.hpp>
#include <imgspec/plan/tag.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <queue>
#include <unordered_map>

namespace imgspec::pipeline {

namespace {

// What decides an image's content: its context (the Dockerfile included) and platforms. "" for a
// base used as it is, which is whatever its URI names.
std::string content_of(const Image& img) {
    return img.passthrough ? std::string() : plan::compute_tag(img.context, img.plan.platforms);
}

std::string spec_name(const Image& img, const std::string& given) {
    if (!given.empty()) {
        return given;
    }
    return img.plan.spec.display.empty() ? img.plan.spec.file.string() : img.plan.spec.display;
}

struct Building {
    std::vector<Node> nodes;
    std::vector<std::string> contents;
    std::unordered_map<std::string, std::size_t> by_uri;
    Diagnostics problems;

    void add(std::shared_ptr<const Image> img, const std::string& spec, bool requested) {
        auto it = by_uri.find(img->uri);
        if (it == by_uri.end()) {
            by_uri.emplace(img->uri, nodes.size());
            Node n;
            n.uri = img->uri;
            n.specs = {spec};
            n.requested = requested;
            contents.push_back(content_of(*img));
            n.image = std::move(img);
            nodes.push_back(std::move(n));
            return;
        }
        Node& n = nodes[it->second];
        std::string& content = contents[it->second];
        if (!img->passthrough) {
            std::string c = content_of(*img);
            if (n.image->passthrough) {
                // A spec that only names this URI as its base: the image is the one built here.
                n.image = std::move(img);
                content = std::move(c);
            } else if (c != content) {
                problems.error(
                    spec, {}, "",
                    fmt::format("{} is also the image of {}, with different contents "
                                "(Dockerfile, context or platforms)",
                                n.uri, n.specs.front()),
                    "two specs with one name and a fixed `tag:` give one URI: give one of them "
                    "another name or tag, or drop `tag:` so that the content names the image");
            }
        }
        if (std::find(n.specs.begin(), n.specs.end(), spec) == n.specs.end()) {
            n.specs.push_back(spec);
        }
        n.requested = n.requested || requested;
    }
};

// The nodes in dependency order (among free nodes the lowest index first), or, when there is a
// cycle, the nodes that could be ordered followed by nothing: `order.size() < nodes.size()`.
std::vector<std::size_t> topological_order(const std::vector<Node>& nodes) {
    std::vector<std::size_t> waiting(nodes.size(), 0);
    std::vector<std::vector<std::size_t>> users(nodes.size());
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        waiting[i] = nodes[i].deps.size();
        for (std::size_t d : nodes[i].deps) {
            users[d].push_back(i);
        }
    }
    std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> ready;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (waiting[i] == 0) {
            ready.push(i);
        }
    }
    std::vector<std::size_t> order;
    while (!ready.empty()) {
        std::size_t i = ready.top();
        ready.pop();
        order.push_back(i);
        for (std::size_t u : users[i]) {
            if (--waiting[u] == 0) {
                ready.push(u);
            }
        }
    }
    return order;
}

// A cycle among the nodes left out of `order`: each of them waits for another one left out, so
// following those edges must come back to a node seen before.
std::vector<std::size_t> find_cycle(const std::vector<Node>& nodes,
                                    const std::vector<std::size_t>& order) {
    std::vector<bool> placed(nodes.size(), false);
    for (std::size_t i : order) {
        placed[i] = true;
    }
    std::size_t at = 0;
    while (placed[at]) {
        ++at;
    }
    std::vector<std::size_t> path;
    std::vector<int> seen_at(nodes.size(), -1);
    while (seen_at[at] < 0) {
        seen_at[at] = static_cast<int>(path.size());
        path.push_back(at);
        for (std::size_t d : nodes[at].deps) {
            if (!placed[d]) {
                at = d;
                break;
            }
        }
    }
    return {path.begin() + seen_at[at], path.end()};
}

void set_labels(std::vector<Node>& nodes) {
    std::map<std::string, int> count;
    auto name = [](const Node& n) {
        return n.image->plan.name.empty() ? n.uri : n.image->plan.name;
    };
    for (const auto& n : nodes) {
        ++count[name(n)];
    }
    for (auto& n : nodes) {
        n.label = name(n);
        if (count[n.label] > 1 && !n.image->tag.empty()) {
            n.label += ":" + n.image->tag.substr(0, 12);
        }
    }
}

} // namespace

Graph make_graph(std::vector<GraphInput> inputs) {
    Building b;
    std::vector<std::string> input_uris;
    std::vector<std::string> input_specs;
    for (auto& in : inputs) {
        input_specs.push_back(in.spec);
        auto img = std::make_shared<const Image>(std::move(in.image));
        std::vector<std::shared_ptr<const Image>> chain;
        for (auto p = img; p != nullptr; p = p->parent) {
            chain.push_back(p);
        }
        // Root first, so that a spec alone gives its chain in build order.
        for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
            bool named = *it == img;
            b.add(*it, named ? in.spec : spec_name(**it, {}), named);
        }
        input_uris.push_back(img->uri);
    }
    b.problems.throw_if_any();

    for (std::size_t i = 0; i < b.nodes.size(); ++i) {
        const std::string& from = b.nodes[i].image->plan.base_image;
        if (from.empty()) {
            continue;
        }
        if (auto it = b.by_uri.find(from); it != b.by_uri.end() && it->second != i) {
            b.nodes[i].deps.push_back(it->second);
        }
    }

    std::vector<std::size_t> order = topological_order(b.nodes);
    if (order.size() < b.nodes.size()) {
        std::vector<std::size_t> cycle = find_cycle(b.nodes, order);
        std::string path;
        for (std::size_t i : cycle) {
            path += fmt::format("{} ({}) starts from ", b.nodes[i].uri, b.nodes[i].specs.front());
        }
        path += b.nodes[cycle.front()].uri;
        const Node& first = b.nodes[cycle.front()];
        b.problems.error(first.specs.front(), {}, "from",
                         fmt::format("a cycle of images: {}", path),
                         "an image cannot be built from itself; change one `from:` on the cycle");
        b.problems.throw_if_any();
    }

    std::vector<std::size_t> new_index(b.nodes.size());
    for (std::size_t k = 0; k < order.size(); ++k) {
        new_index[order[k]] = k;
    }
    Graph g;
    for (std::size_t i : order) {
        Node n = std::move(b.nodes[i]);
        for (auto& d : n.deps) {
            d = new_index[d];
        }
        g.nodes.push_back(std::move(n));
    }
    for (const auto& uri : input_uris) {
        g.inputs.push_back(new_index[b.by_uri.at(uri)]);
    }
    g.input_specs = std::move(input_specs);
    set_labels(g.nodes);
    return g;
}

std::vector<std::size_t> dependents_of(const Graph& graph, std::size_t n) {
    std::vector<bool> hit(graph.nodes.size(), false);
    hit[n] = true;
    std::vector<std::size_t> out;
    // Graph order has every node after its deps, so one pass finds them all.
    for (std::size_t i = n + 1; i < graph.nodes.size(); ++i) {
        for (std::size_t d : graph.nodes[i].deps) {
            if (hit[d]) {
                hit[i] = true;
                out.push_back(i);
                break;
            }
        }
    }
    return out;
}

} // namespace imgspec::pipeline
