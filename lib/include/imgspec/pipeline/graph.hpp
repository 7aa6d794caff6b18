#pragma once
// Many images in one command: the images of several specs and their `from: spec` parents as one
// graph. Every image appears once, keyed by its URI, so a parent shared by ten children is
// checked and built once; the nodes are in an order that has every image after the images it
// starts from.

#include <imgspec/pipeline/pipeline.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace imgspec::pipeline {

// A spec given on the command line, resolved.
struct GraphInput {
    std::string spec; // as given (a file, or "<stdin>")
    Image image;
};

// One image of the graph.
struct Node {
    std::shared_ptr<const Image> image;
    std::string uri;
    // The spec files that give this image, as given: the inputs named it, and for an image that
    // is only a `from: spec` parent, the parent's file. First one first.
    std::vector<std::string> specs;
    bool requested = false; // an input gives it (not only a parent of one)
    // The nodes this image starts from (its FROM is their URI), built before it.
    std::vector<std::size_t> deps;
    // Unique and short, for log lines: the image's name, or name:TAG (12 characters of the tag)
    // when two nodes share a name.
    std::string label;
};

struct Graph {
    // Every image once; each after its deps. Among images free to go, the first one given first,
    // so one spec's graph is its chain root first.
    std::vector<Node> nodes;
    // For each input, in order, the index of its node (two inputs may give one node), and its
    // spec as given (a matrix's images are inputs of one spec).
    std::vector<std::size_t> inputs;
    std::vector<std::string> input_specs;
};

// The graph of the inputs' images and their parents. An edge runs from an image to the image its
// FROM names when that image is in the graph: a `from: spec` parent, or a `base:`/`ref_name:` URI
// that another spec builds. A base image used as it is (nothing to build) merges into the node
// that builds its URI, if there is one.
//
// Throws SpecError (exit 3) with one diagnostic per problem: two images with one URI and
// different contents (Dockerfile, context or platforms: a fixed `tag:` given twice, say), naming
// both spec files; a cycle of images, naming every image on it.
Graph make_graph(std::vector<GraphInput> inputs);

// The indices of the nodes that (transitively) start from node `n`, in graph order.
std::vector<std::size_t> dependents_of(const Graph& graph, std::size_t n);

} // namespace imgspec::pipeline
