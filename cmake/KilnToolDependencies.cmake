# What the `kiln` tool (examples/kiln/) needs beyond Kiln itself, and so do the tests that run
# its commands in-process: CLI11 for its command line and nlohmann_json for its --json output,
# both header-only (Debian: libcli11-dev, nlohmann-json3-dev; examples/setup.sh installs them).
# Kiln's installed headers need neither: only these two kinds of program link them.

# The page of `kiln report` is written as ordinary files (examples/kiln/report/: page.html,
# report.css, report.js); they become raw string literals in <kiln_report_assets.hpp>, made in
# the build folder. Editing one of them reconfigures, so the next build embeds the new text.
function(kiln_embed_report_assets target)
  set(dir ${PROJECT_SOURCE_DIR}/examples/kiln/report)
  set(header ${PROJECT_BINARY_DIR}/generated/report_assets/kiln_report_assets.hpp)
  set(text "// Made by cmake/KilnToolDependencies.cmake from examples/kiln/report/: edit those.\n")
  string(APPEND text "#pragma once\n\nnamespace kiln::cli::report_assets {\n")
  foreach(asset page.html report.css report.js)
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${dir}/${asset})
    file(READ ${dir}/${asset} content)
    string(FIND "${content}" ")kiln_asset\"" clash)
    if(NOT clash EQUAL -1)
      message(FATAL_ERROR "kiln: ${dir}/${asset} contains the delimiter )kiln_asset\"")
    endif()
    string(MAKE_C_IDENTIFIER ${asset} name)
    string(APPEND text "inline constexpr char ${name}[] = R\"kiln_asset(${content})kiln_asset\";\n")
  endforeach()
  string(APPEND text "}  // namespace kiln::cli::report_assets\n")
  # Written only when it changes, so that reconfiguring rebuilds nothing that did not change.
  set(old "")
  if(EXISTS ${header})
    file(READ ${header} old)
  endif()
  if(NOT old STREQUAL text)
    file(WRITE ${header} "${text}")
  endif()
  target_include_directories(${target} PRIVATE ${PROJECT_BINARY_DIR}/generated/report_assets)
endfunction()

# Links `target` to CLI11 and nlohmann_json, gives it the project's version for `kiln
# --version` and the report page's assets; stops the configuration with what to install when
# CLI11 or nlohmann_json is missing.
function(kiln_use_tool_dependencies target)
  find_package(CLI11 CONFIG QUIET)
  find_package(nlohmann_json 3 QUIET)
  set(missing "")
  if(NOT CLI11_FOUND)
    list(APPEND missing "CLI11 (Debian: libcli11-dev)")
  endif()
  if(NOT nlohmann_json_FOUND)
    list(APPEND missing "nlohmann_json 3 (Debian: nlohmann-json3-dev)")
  endif()
  if(missing)
    list(JOIN missing " and " missing_text)
    message(FATAL_ERROR
      "kiln: ${target} (the kiln tool, or the tests that run it) needs ${missing_text}. "
      "Install what is missing (examples/setup.sh does), or configure with "
      "-DKILN_BUILD_EXAMPLES=OFF -DKILN_BUILD_TESTS=OFF to build without the tool and its tests.")
  endif()
  target_link_libraries(${target} PRIVATE CLI11::CLI11 nlohmann_json::nlohmann_json)
  target_compile_definitions(${target} PRIVATE KILN_TOOL_VERSION="${PROJECT_VERSION}")
  kiln_embed_report_assets(${target})
endfunction()
