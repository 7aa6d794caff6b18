// libFuzzer harness: bytes as a TOML spec file, through the loader, the reader, the plan and the
// renderer (spec_harness.hpp). Seeds: specs/*.toml and tests/data/bad-specs (tests/fuzz/run.sh).
#include "spec_harness.hpp"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    imgspec_fuzz::set_up_scratch();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    imgspec_fuzz::run_spec(data, size, ".toml");
    return 0;
}
