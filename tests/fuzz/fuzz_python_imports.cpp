// libFuzzer harness: the import scanner on arbitrary bytes.
#include <imgspec/core/error.hpp>
#include <imgspec/plan/python_imports.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view source(reinterpret_cast<const char*>(data), size);
    try {
        for (const auto& imp : imgspec::plan::scan_imports(source)) {
            if (imp.line < 1 || imp.level < 0) {
                __builtin_trap();
            }
        }
    } catch (const imgspec::Error&) {
    }
    return 0;
}
