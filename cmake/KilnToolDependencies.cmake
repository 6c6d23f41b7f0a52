# What the `kiln` tool (examples/kiln/) needs beyond Kiln itself, and so do the tests that run
# its commands in-process: CLI11 for its command line and nlohmann_json for its --json output,
# both header-only (Debian: libcli11-dev, nlohmann-json3-dev; examples/setup.sh installs them).
# Kiln's installed headers need neither: only these two kinds of program link them.

# Links `target` to CLI11 and nlohmann_json, and gives it the project's version for
# `kiln --version`; stops the configuration with what to install when either is missing.
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
endfunction()
