# Shell completions, the man page and the spec's JSON Schema, generated at build time by the
# imgspec binary itself (hidden commands `__complete-script bash|zsh|fish`, `__man`, and `schema`),
# so they always describe the binary they are installed with. install-rules.cmake installs them.
#
# The same file runs in script mode (cmake -P docs.cmake) as the build step that writes one
# command's stdout into a file: CMake's custom commands have no portable stdout redirection.

if(CMAKE_SCRIPT_MODE_FILE)
  # cmake -DOUTPUT=file -DCOMMAND="imgspec;arg;..." -P docs.cmake
  execute_process(COMMAND ${COMMAND} OUTPUT_FILE "${OUTPUT}.tmp" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    file(REMOVE "${OUTPUT}.tmp")
    message(FATAL_ERROR "${COMMAND} failed (${rc})")
  endif()
  file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
  return()
endif()

# Running the binary at build time needs a binary that runs here.
if(CMAKE_CROSSCOMPILING AND NOT CMAKE_CROSSCOMPILING_EMULATOR)
  set(imgspec_docs_default OFF)
else()
  set(imgspec_docs_default ON)
endif()
option(IMGSPEC_BUILD_DOCS "Generate shell completions, the man page and the JSON Schema" ${imgspec_docs_default})

if(IMGSPEC_BUILD_DOCS)
  set(IMGSPEC_DOCS_DIR "${PROJECT_BINARY_DIR}/docs")
  file(MAKE_DIRECTORY "${IMGSPEC_DOCS_DIR}")
  # output file name -> imgspec arguments
  set(imgspec_doc_outputs)
  foreach(doc IN ITEMS "imgspec.bash:__complete-script;bash" "_imgspec:__complete-script;zsh"
                       "imgspec.fish:__complete-script;fish" "imgspec.1:__man"
                       "imgspec.schema.json:schema")
    string(FIND "${doc}" ":" colon)
    string(SUBSTRING "${doc}" 0 ${colon} name)
    math(EXPR rest "${colon} + 1")
    string(SUBSTRING "${doc}" ${rest} -1 args)
    add_custom_command(
      OUTPUT "${IMGSPEC_DOCS_DIR}/${name}"
      COMMAND "${CMAKE_COMMAND}" "-DOUTPUT=${IMGSPEC_DOCS_DIR}/${name}"
              "-DCOMMAND=${CMAKE_CROSSCOMPILING_EMULATOR};$<TARGET_FILE:imgspec>;${args}"
              -P "${CMAKE_CURRENT_LIST_DIR}/docs.cmake"
      DEPENDS imgspec "${CMAKE_CURRENT_LIST_DIR}/docs.cmake"
      COMMENT "Generating ${name}"
      VERBATIM)
    list(APPEND imgspec_doc_outputs "${IMGSPEC_DOCS_DIR}/${name}")
  endforeach()
  add_custom_target(imgspec_docs ALL DEPENDS ${imgspec_doc_outputs})
endif()
