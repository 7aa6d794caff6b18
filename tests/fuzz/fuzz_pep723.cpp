// libFuzzer harness: PEP 723 block reading on arbitrary bytes, and, for the first line as a
// Python version and the second as a specifier set, python_satisfies.
#include <imgspec/core/error.hpp>
#include <imgspec/spec/pep723.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        (void)imgspec::spec::read_script_metadata(text, "fuzz.py");
    } catch (const imgspec::Error&) {
    }
    const std::size_t nl = text.find('\n');
    if (nl != std::string_view::npos) {
        const std::string_view rest = text.substr(nl + 1);
        try {
            (void)imgspec::spec::python_satisfies(text.substr(0, nl),
                                                  rest.substr(0, rest.find('\n')));
        } catch (const imgspec::Error&) {
        }
    }
    return 0;
}
