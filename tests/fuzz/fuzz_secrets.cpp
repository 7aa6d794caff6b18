// libFuzzer harness for the fields of a secret that reach the Dockerfile (issue 13): a spec whose
// secret definition and secret_mounts entries (key, group, mount, as_env_var, the definition's env
// and mount) and pip options (index_url, a package string that may hold $TOKEN) are taken from the
// input, written as YAML double-quoted scalars so that any byte, newline and quote included, can
// reach the reader. The spec goes the way `imgspec render` takes it (spec_harness.hpp).
//
// Besides "no crash, only imgspec::Error escapes", a spec that is accepted must render a Dockerfile
// whose shape does not depend on the fields: the same instructions as the spec with plain fields
// (so no field added a line or an instruction), and every secret mount made of known options, each
// once (so no field added a mount option such as mode= or uid=).
#include "spec_harness.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <set>
#include <sstream>
#include <string_view>
#include <vector>

namespace {

// A YAML double-quoted scalar holding exactly `s`: quotes, backslashes and control characters
// escaped, other bytes as they are (the loader rejects invalid UTF-8 with an error, as for a file).
std::string yaml_quoted(std::string_view s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7f) {
            static const char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

struct Fields {
    std::string def_key = "TOKEN", def_env = "TOKEN", def_mount;
    std::string key = "TOKEN", group, mount, as_env_var;
    std::string file_key = "CREDS", file_mount = "/root/creds";
    std::string index_url = "https://$TOKEN@pypi.example.com/simple";
    std::string package = "numpy==2.1";
};

std::string spec_text(const Fields& f) {
    std::ostringstream y;
    y << "name: fuzz-secrets\n"
      << "from: {base: \"python:3.12-slim-bookworm\"}\n"
      << "layers:\n"
      << "  - pip_packages: [" << yaml_quoted(f.package) << "]\n"
      << "    index_url: " << yaml_quoted(f.index_url) << "\n"
      << "    secret_mounts: [" << yaml_quoted(f.def_key) << "]\n"
      << "  - commands: [\"true\"]\n"
      << "    secret_mounts:\n"
      << "      - {key: " << yaml_quoted(f.key);
    if (!f.group.empty()) {
        y << ", group: " << yaml_quoted(f.group);
    }
    if (!f.mount.empty()) {
        y << ", mount: " << yaml_quoted(f.mount);
    }
    if (!f.as_env_var.empty()) {
        y << ", as_env_var: " << yaml_quoted(f.as_env_var);
    }
    y << "}\n"
      << "      - " << yaml_quoted(f.file_key) << "\n"
      << "secrets:\n"
      << "  " << yaml_quoted(f.def_key) << ": {env: " << yaml_quoted(f.def_env);
    if (!f.def_mount.empty()) {
        y << ", mount: " << yaml_quoted(f.def_mount);
    }
    y << "}\n"
      << "  " << yaml_quoted(f.file_key)
      << ": {file: \"creds.txt\", mount: " << yaml_quoted(f.file_mount) << "}\n";
    return y.str();
}

// The Dockerfile's instructions (continuation lines joined), each reduced to its keyword.
std::vector<std::string> instructions(const std::string& dockerfile) {
    std::vector<std::string> out;
    std::istringstream in(dockerfile);
    std::string line;
    bool continued = false;
    while (std::getline(in, line)) {
        bool starts = !continued && !line.empty() && line[0] != '#';
        continued = !line.empty() && line.back() == '\\';
        if (starts) {
            out.push_back(line.substr(0, line.find(' ')));
        }
    }
    return out;
}

// Every --mount=type=secret,... option list: known keys, each once.
bool secret_mounts_well_formed(const std::string& dockerfile) {
    static const std::set<std::string, std::less<>> known = {"type", "id", "target", "required"};
    std::size_t at = 0;
    const std::string marker = "--mount=type=secret,";
    while ((at = dockerfile.find(marker, at)) != std::string::npos) {
        std::size_t end = dockerfile.find_first_of(" \n", at);
        std::string_view opts(dockerfile);
        opts = opts.substr(at + 8, end == std::string::npos ? std::string::npos : end - at - 8);
        std::set<std::string, std::less<>> seen;
        std::size_t i = 0;
        while (i <= opts.size()) {
            std::size_t comma = opts.find(',', i);
            std::string_view kv =
                opts.substr(i, comma == std::string_view::npos ? opts.npos : comma - i);
            std::size_t eq = kv.find('=');
            if (eq == std::string_view::npos || !known.count(kv.substr(0, eq)) ||
                !seen.emplace(kv.substr(0, eq)).second) {
                return false;
            }
            if (comma == std::string_view::npos) {
                break;
            }
            i = comma + 1;
        }
        at = end == std::string::npos ? dockerfile.size() : end;
    }
    return true;
}

std::string render(const std::string& text) {
    static const imgspec::Config cfg = imgspec_fuzz::fuzz_config();
    const auto file = imgspec_fuzz::scratch() / "fuzz-secrets.yaml";
    imgspec_fuzz::write_file(file, reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
    return imgspec::render::render_dockerfile(imgspec_fuzz::plan_spec_file(file, cfg), cfg);
}

std::vector<std::string>& plain_shape() {
    static std::vector<std::string> shape;
    return shape;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    imgspec_fuzz::set_up_scratch();
    imgspec_fuzz::write_file(imgspec_fuzz::scratch() / "creds.txt",
                             reinterpret_cast<const std::uint8_t*>("x"), 1);
    // The shape every accepted spec must keep: the one of the spec with plain fields.
    plain_shape() = instructions(render(spec_text(Fields{})));
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    Fields f;
    // Each field either keeps its plain value or takes a string from the input.
    auto take = [&in](std::string& field) {
        if (in.ConsumeBool()) {
            field = in.ConsumeRandomLengthString(64);
        }
    };
    take(f.def_key);
    take(f.def_env);
    take(f.def_mount);
    take(f.key);
    take(f.group);
    take(f.mount);
    take(f.as_env_var);
    take(f.file_key);
    take(f.file_mount);
    take(f.index_url);
    take(f.package);
    std::string dockerfile;
    try {
        dockerfile = render(spec_text(f));
    } catch (const imgspec::Error&) {
        return 0; // rejected with a message: the expected outcome for most inputs
    }
    if (instructions(dockerfile) != plain_shape() || !secret_mounts_well_formed(dockerfile)) {
        std::fprintf(stderr, "fuzz_secrets: accepted fields changed the Dockerfile's shape:\n%s\n",
                     dockerfile.c_str());
        __builtin_trap();
    }
    return 0;
}
