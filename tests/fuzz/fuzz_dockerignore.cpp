// libFuzzer harness: .dockerignore text, then after a NUL byte one path per line to match.
#include <imgspec/core/error.hpp>
#include <imgspec/plan/dockerignore.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::size_t split = input.find('\0');
    const std::string_view rules = input.substr(0, split);
    std::string_view paths = split == std::string_view::npos ? rules : input.substr(split + 1);
    try {
        const auto d = imgspec::plan::Dockerignore::parse(rules);
        (void)d.errors();
        (void)d.patterns();
        while (!paths.empty()) {
            const std::size_t nl = paths.find('\n');
            const std::string_view path = paths.substr(0, nl);
            const bool excluded = d.excluded(path);
            const bool below = d.may_include_below(path);
            if (!excluded && !below) {
                __builtin_trap(); // a folder that is not excluded is always walked
            }
            paths = nl == std::string_view::npos ? std::string_view{} : paths.substr(nl + 1);
        }
    } catch (const imgspec::Error&) {
    }
    return 0;
}
