# Install rules and packages (only when imgspec is the top-level project).
#   cmake --install build [--prefix /usr/local]
#   cpack --config build/CPackConfig.cmake      -> imgspec_<version>_<arch>.deb, imgspec-<version>-Linux.tar.gz
include(GNUInstallDirs)
install(TARGETS imgspec RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

if(IMGSPEC_BUILD_DOCS)
  # Where bash-completion, zsh, fish and man look (Debian's and upstream's default paths).
  install(FILES "${IMGSPEC_DOCS_DIR}/imgspec.bash" DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
          RENAME imgspec)
  install(FILES "${IMGSPEC_DOCS_DIR}/_imgspec" DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/site-functions)
  install(FILES "${IMGSPEC_DOCS_DIR}/imgspec.fish" DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)
  install(FILES "${IMGSPEC_DOCS_DIR}/imgspec.1" DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  install(FILES "${IMGSPEC_DOCS_DIR}/imgspec.schema.json" DESTINATION ${CMAKE_INSTALL_DATADIR}/imgspec)
endif()
install(FILES "${PROJECT_SOURCE_DIR}/README.md" DESTINATION ${CMAKE_INSTALL_DOCDIR})

# Packages: a .deb whose dependencies dpkg-shlibdeps computes from the binary (dpkg-dev), and a
# .tar.gz of the same tree.
set(CPACK_PACKAGE_NAME imgspec)
set(CPACK_PACKAGE_VENDOR "imgspec developers")
set(CPACK_PACKAGE_CONTACT "imgspec developers <imgspec@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
string(CONCAT CPACK_PACKAGE_DESCRIPTION
    "imgspec turns a short YAML or TOML spec, in the vocabulary of the Flyte 2 SDK's Image API, into a "
    "Dockerfile and a deterministic build context, tags the image by its content, and builds it for "
    "several platforms with docker buildx, skipping images that already exist.")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_GENERATOR "DEB;TGZ")
set(CPACK_STRIP_FILES ON)             # RelWithDebInfo builds: no debug info in the packages
set(CPACK_PACKAGE_FILE_NAME "imgspec-${PROJECT_VERSION}-${CMAKE_SYSTEM_NAME}-${CMAKE_SYSTEM_PROCESSOR}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # imgspec_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# build needs docker with buildx; render, uri, validate, schema do not: a suggestion, not a
# dependency (and so `apt-get install imgspec.deb` pulls no docker engine).
# libcurl is loaded at run time (dlopen), so dpkg-shlibdeps does not see it: without it imgspec asks
# registries through docker only (slower checks, same answers).
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libcurl4")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "docker.io (>= 25), docker-buildx | docker-buildx-plugin")
include(CPack)
