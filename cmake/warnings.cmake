add_library(imgspec_warnings INTERFACE)
target_compile_options(imgspec_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                                  -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual
                                                  -Wconversion -Wno-sign-conversion)

option(IMGSPEC_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
if(IMGSPEC_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
