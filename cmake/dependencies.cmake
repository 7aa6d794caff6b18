# Every dependency comes from Debian 12's packages; a miss names the -dev package to install.
macro(imgspec_require pkg debpkg)
  find_package(${pkg} ${ARGN} QUIET)
  if(NOT ${pkg}_FOUND)
    message(FATAL_ERROR "${pkg} not found: apt-get install ${debpkg} (or run scripts/deps.sh)")
  endif()
endmacro()

imgspec_require(CLI11 libcli11-dev CONFIG)
imgspec_require(yaml-cpp libyaml-cpp-dev CONFIG)
imgspec_require(spdlog libspdlog-dev CONFIG)
imgspec_require(tomlplusplus libtomlplusplus-dev CONFIG)
imgspec_require(LibArchive libarchive-dev)
# libarchive is linked statically when libarchive.a is there (libarchive-dev has it): the shared
# library loads 11 more (libxml2 and ICU, nettle, lzma, zstd, bz2, ...) for formats imgspec never
# writes, and loading and relocating them was a quarter of the start-up of every run (bench/RESULTS.md,
# item 5). With --gc-sections only the pax writer and what it calls are kept, and none of those
# libraries is needed.
option(IMGSPEC_STATIC_LIBARCHIVE "Link libarchive statically when libarchive.a is installed" ON)
find_library(IMGSPEC_LIBARCHIVE_A NAMES libarchive.a)
mark_as_advanced(IMGSPEC_LIBARCHIVE_A)
if(IMGSPEC_STATIC_LIBARCHIVE AND IMGSPEC_LIBARCHIVE_A)
  add_library(imgspec_libarchive STATIC IMPORTED)
  set_target_properties(imgspec_libarchive PROPERTIES
    IMPORTED_LOCATION "${IMGSPEC_LIBARCHIVE_A}"
    INTERFACE_INCLUDE_DIRECTORIES "${LibArchive_INCLUDE_DIRS}"
    INTERFACE_LINK_OPTIONS "LINKER:--gc-sections")
else()
  add_library(imgspec_libarchive INTERFACE)
  target_link_libraries(imgspec_libarchive INTERFACE LibArchive::LibArchive)
endif()
imgspec_require(OpenSSL libssl-dev)
imgspec_require(nlohmann_json nlohmann-json3-dev CONFIG)
imgspec_require(Threads libc6-dev)
