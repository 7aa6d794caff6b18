# Every dependency comes from Debian 12's packages; a miss names the -dev package to install.
list(APPEND CMAKE_MODULE_PATH "${CMAKE_CURRENT_LIST_DIR}") # FindRE2.cmake
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
imgspec_require(OpenSSL libssl-dev)
imgspec_require(nlohmann_json nlohmann-json3-dev CONFIG)
imgspec_require(Threads libc6-dev)
imgspec_require(RE2 libre2-dev)
# libcurl's header only: imgspec loads libcurl.so.4 when it first asks a registry over HTTP
# (lib/include/imgspec/build/registry_http.hpp), so commands that never do load 20 fewer libraries.
find_path(IMGSPEC_CURL_INCLUDE_DIR curl/curl.h)
mark_as_advanced(IMGSPEC_CURL_INCLUDE_DIR)
if(NOT IMGSPEC_CURL_INCLUDE_DIR)
  message(FATAL_ERROR "curl/curl.h not found: apt-get install libcurl4-openssl-dev (or run scripts/deps.sh)")
endif()
# libarchive, libcrypto and RE2 are linked statically when their .a files are there (libarchive-dev and
# libssl-dev have them), keeping only what imgspec calls (--gc-sections): the pax writer, and
# SHA-256 with libcrypto's CPU detection. The shared libarchive loads 11 more libraries (libxml2 and
# ICU, nettle, lzma, zstd, ...) for formats imgspec never writes, and the shared libcrypto has
# thousands of symbols to bind: together they were two thirds of the start-up of every run
# (bench/RESULTS.md, item 5). Neither parses untrusted input here (the writer archives imgspec's
# own manifest; SHA-256 has no parser), so a security update of either concerns imgspec little.
# RE2 does read untrusted text (the expressions moby makes of .dockerignore rules), but linear time
# is its design, and the shared libre2 would add a library to load to every run, .dockerignore or
# not. IMGSPEC_STATIC_DEPS=OFF links the shared libraries.
option(IMGSPEC_STATIC_DEPS "Link libarchive, libcrypto and RE2 statically when their .a files are installed" ON)
# imgspec_prefer_static(TARGET LIBFILE SHARED_TARGET): TARGET links LIBFILE (a .a) when it is found
# and IMGSPEC_STATIC_DEPS is on, else SHARED_TARGET.
function(imgspec_prefer_static target libfile shared)
  string(TOUPPER "IMGSPEC_${target}_A" var)
  find_library(${var} NAMES ${libfile})
  mark_as_advanced(${var})
  get_target_property(includes ${shared} INTERFACE_INCLUDE_DIRECTORIES)
  if(IMGSPEC_STATIC_DEPS AND ${var})
    add_library(${target} STATIC IMPORTED GLOBAL)
    set_target_properties(${target} PROPERTIES
      IMPORTED_LOCATION "${${var}}"
      INTERFACE_INCLUDE_DIRECTORIES "${includes}"
      INTERFACE_LINK_OPTIONS "LINKER:--gc-sections")
  else()
    add_library(${target} INTERFACE)
    target_link_libraries(${target} INTERFACE ${shared})
  endif()
endfunction()
imgspec_prefer_static(imgspec_libarchive libarchive.a LibArchive::LibArchive)
imgspec_prefer_static(imgspec_libcrypto libcrypto.a OpenSSL::Crypto)
imgspec_prefer_static(imgspec_re2 libre2.a re2::re2)
target_link_libraries(imgspec_re2 INTERFACE Threads::Threads) # the .a does not say it needs it
