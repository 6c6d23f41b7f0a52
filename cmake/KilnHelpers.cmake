# Helpers for Kiln's own targets (tests, examples, benchmarks, the compiled components).
# They never touch kiln::kiln itself: warnings and sanitizers are Kiln's business, not its users'.

# KILN_WARNINGS: -Wall -Wextra -Werror. Kiln's headers are compiled inside every test and example,
# so this is how "no warnings in Kiln's own code" is checked; the flags stay PRIVATE and never
# reach a program that merely uses Kiln.
function(kiln_target_warnings target)
  if(NOT KILN_WARNINGS)
    return()
  endif()
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Werror)
  elseif(MSVC)
    target_compile_options(${target} PRIVATE /W4 /WX)
  endif()
endfunction()

# KILN_SANITIZE: a list such as "address;undefined", applied to compiling and linking. Any
# finding stops the program (no recovery), so a sanitizer report fails the test that caused it.
function(kiln_target_sanitizers target)
  if(NOT KILN_SANITIZE)
    return()
  endif()
  list(JOIN KILN_SANITIZE "," sanitizers)
  set(flags -fsanitize=${sanitizers} -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_compile_options(${target} PRIVATE ${flags})
  # GCC 12 sees a false "maybe uninitialized" inside <regex> (pulled in by Catch2) once the
  # sanitizers' instrumentation is on; it would fail a -Werror build of code that is not Kiln's.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
  target_link_options(${target} PRIVATE ${flags})
endfunction()

# Both of the above, for a program or library that Kiln builds for itself.
function(kiln_own_target target)
  kiln_target_warnings(${target})
  kiln_target_sanitizers(${target})
endfunction()

# Makes a compiled component part of the installed package:
#   kiln_install_component(kiln_savedmodel savedmodel DEPENDENCIES Protobuf Snappy)
# installs the target into Kiln's one export set as kiln::<component>, records the component so
# find_package(kiln COMPONENTS <component>) succeeds, and has kilnConfig.cmake call
# find_dependency() on each package in DEPENDENCIES (the ones the target links to). Call it from
# the component's CMakeLists.txt; it does nothing but set EXPORT_NAME when KILN_INSTALL is off.
function(kiln_install_component target component)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "" "DEPENDENCIES")
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${component})
  if(NOT KILN_INSTALL)
    return()
  endif()
  set_property(GLOBAL APPEND PROPERTY KILN_INSTALLED_COMPONENTS ${component})
  set_property(GLOBAL APPEND PROPERTY KILN_DEPENDENCIES_${component} ${arg_DEPENDENCIES})
  install(TARGETS ${target} EXPORT kilnTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endfunction()
