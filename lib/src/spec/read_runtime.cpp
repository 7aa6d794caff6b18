// The spec's runtime settings: user, entrypoint, cmd, labels, expose, stopsignal, healthcheck.

#include "reader.hpp"

#include <imgspec/spec/names.hpp>

#include <fmt/format.h>

#include <utility>

namespace imgspec::spec::detail {

using Kind = Node::Kind;

std::optional<Command> Reader::command(const Node& n, const std::string& path) {
    Command c;
    if (n.kind == Kind::string) {
        c.shell = true;
        c.args.push_back(n.scalar);
    } else if (n.kind == Kind::list) {
        if (!strings(n, path, c.args, false)) {
            return std::nullopt;
        }
    } else {
        type_error(n, path, "a string (run by /bin/sh -c) or a list (run as it is)");
        return std::nullopt;
    }
    if (c.args.empty() || (c.shell && c.args[0].find_first_not_of(" \t") == std::string::npos)) {
        error(n, path, "an empty command");
        return std::nullopt;
    }
    for (const auto& a : c.args) {
        if (a.find('\0') != std::string::npos) {
            error(n, path, "a command must not contain a NUL character");
            return std::nullopt;
        }
    }
    return c;
}

void Reader::runtime(const Node& root, Runtime& out) {
    if (const Node* n = root.find("user")) {
        std::string u;
        if (text(*n, "user", u)) {
            if (auto msg = check_user(u); !msg.empty()) {
                error(*n, "user", invalid(u, msg), "e.g. flyte, 1000 or 1000:1000");
            } else {
                out.user = u;
            }
        }
    }
    if (const Node* n = root.find("entrypoint")) {
        out.entrypoint = command(*n, "entrypoint");
    }
    if (const Node* n = root.find("cmd")) {
        out.cmd = command(*n, "cmd");
    }
    if (const Node* n = root.find("labels")) {
        if (n->kind != Kind::map) {
            type_error(*n, "labels", "a map of key: value");
        } else {
            for (std::size_t i = 0; i < n->entries.size(); ++i) {
                const auto& [k, v] = n->entries[i];
                const std::string lpath = "labels." + k;
                if (auto msg = check_label_key(k); !msg.empty()) {
                    error_at(n->key_marks[i], lpath, invalid(k, msg));
                    continue;
                }
                std::string val;
                if (text(v, lpath, val)) {
                    if (val.find_first_of("\n\r") != std::string::npos) {
                        error(v, lpath, "a label value cannot contain a newline");
                        continue;
                    }
                    out.labels.emplace_back(k, val);
                }
            }
        }
    }
    if (const Node* n = root.find("expose")) {
        const Node* items = n;
        Node one;
        if (n->kind != Kind::list) {
            one.kind = Kind::list;
            one.items.push_back(*n);
            items = &one;
        }
        for (std::size_t i = 0; i < items->items.size(); ++i) {
            const Node& item = items->items[i];
            std::string path = n->kind == Kind::list ? fmt::format("expose[{}]", i) : "expose";
            std::string port;
            if (text(item, path, port)) {
                if (auto msg = check_port(port); !msg.empty()) {
                    error(item, path, invalid(port, msg), "e.g. 8080 or \"8080/udp\"");
                } else {
                    out.expose.push_back(port);
                }
            }
        }
    }
    if (const Node* n = root.find("stopsignal")) {
        std::string sig;
        if (text(*n, "stopsignal", sig)) {
            if (auto msg = check_signal(sig); !msg.empty()) {
                error(*n, "stopsignal", invalid(sig, msg));
            } else {
                out.stopsignal = sig;
            }
        }
    }
    if (const Node* n = root.find("healthcheck")) {
        healthcheck(*n, out);
    }
}

void Reader::healthcheck(const Node& n, Runtime& out) {
    Healthcheck h;
    if (n.kind == Kind::string && n.scalar == "none") {
        h.none = true;
        out.healthcheck = h;
    } else if (n.kind != Kind::map) {
        type_error(n, "healthcheck",
                   "a map {test, interval, timeout, start_period, retries} or none");
    } else {
        check_keys(n, "healthcheck", {"test", "interval", "timeout", "start_period", "retries"});
        if (const Node* t = n.find("test")) {
            if (auto c = command(*t, "healthcheck.test")) {
                h.test = *c;
            }
        } else {
            error(n, "healthcheck", "a healthcheck needs a 'test' command",
                  "e.g. test: \"curl -f http://localhost:8080/ || exit 1\"");
        }
        for (auto [key, field] :
             {std::pair{"interval", &h.interval}, std::pair{"timeout", &h.timeout},
              std::pair{"start_period", &h.start_period}}) {
            if (const Node* d = n.find(key)) {
                std::string dpath = std::string("healthcheck.") + key;
                if (string(*d, dpath, *field)) {
                    if (auto msg = check_duration(*field); !msg.empty()) {
                        error(*d, dpath, invalid(*field, msg));
                        field->clear();
                    }
                }
            }
        }
        if (const Node* r = n.find("retries")) {
            if (r->kind != Kind::integer ||
                r->scalar.find_first_not_of("0123456789") != std::string::npos ||
                r->scalar.size() > 4) {
                error(*r, "healthcheck.retries", "expected a whole number, e.g. 3");
            } else {
                h.retries = r->scalar;
            }
        }
        out.healthcheck = h;
    }
}

} // namespace imgspec::spec::detail
