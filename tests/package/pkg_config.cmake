# Compiles SOURCE with nothing but the flags `pkg-config --cflags kiln` prints for the Kiln
# installed with its kiln.pc in PKG_CONFIG_DIR, then runs the program.
#   cmake -D PKG_CONFIG=<pkg-config> -D PKG_CONFIG_DIR=<prefix>/share/pkgconfig
#         -D CXX=<compiler> -D SOURCE=<main.cpp> -D OUTPUT=<program> -P pkg_config.cmake
set(ENV{PKG_CONFIG_PATH} ${PKG_CONFIG_DIR})
execute_process(COMMAND ${PKG_CONFIG} --cflags kiln
  OUTPUT_VARIABLE cflags OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
message(STATUS "pkg-config --cflags kiln: ${cflags}")
separate_arguments(cflags UNIX_COMMAND "${cflags}")
execute_process(COMMAND ${CXX} ${cflags} ${SOURCE} -o ${OUTPUT} COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND ${OUTPUT} COMMAND_ERROR_IS_FATAL ANY)
