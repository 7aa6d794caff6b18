# libFuzzer targets (tests/fuzz), in a build of their own made with clang:
#   cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DIMGSPEC_FUZZ=ON \
#         -DIMGSPEC_BUILD_TESTS=OFF
#   cmake --build build-fuzz --target imgspec_fuzz
# Everything in that build (imgspec_lib included) is instrumented for coverage and built with
# AddressSanitizer and UndefinedBehaviorSanitizer; a UBSan finding aborts, so the fuzzer reports
# it as a crash. tests/fuzz/run.sh replays the regressions and runs each target for a while.
option(IMGSPEC_FUZZ "Build the libFuzzer targets in tests/fuzz (needs clang)" OFF)
if(IMGSPEC_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "IMGSPEC_FUZZ needs clang: configure with -DCMAKE_CXX_COMPILER=clang++ "
                        "(apt-get install clang libclang-rt-14-dev)")
  endif()
  if(IMGSPEC_SANITIZE)
    message(FATAL_ERROR "IMGSPEC_FUZZ brings its own sanitizers: leave IMGSPEC_SANITIZE off")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
  add_subdirectory(tests/fuzz)
endif()
