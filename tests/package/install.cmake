# Installs the Kiln build in BUILD_DIR into a fresh PREFIX and checks the installed layout.
#   cmake -D BUILD_DIR=<build> -D PREFIX=<prefix> -D INCLUDEDIR=include -D LIBDIR=lib
#         -D DATADIR=share -P install.cmake
file(REMOVE_RECURSE ${PREFIX})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX}
  COMMAND_ERROR_IS_FATAL ANY)

# The source tree reaches kernels/ and optimizer/ through symlinks in include/kiln; an install
# holds real folders in their place, at the same paths.
foreach(part IN ITEMS kernels optimizer)
  if(IS_SYMLINK ${PREFIX}/${INCLUDEDIR}/kiln/${part})
    message(FATAL_ERROR "include/kiln/${part} was installed as a symlink")
  endif()
endforeach()
foreach(file IN ITEMS
    ${INCLUDEDIR}/kiln/kiln.hpp
    ${INCLUDEDIR}/kiln/core/tensor.hpp
    ${INCLUDEDIR}/kiln/kernels/reference/reference.hpp
    ${LIBDIR}/cmake/kiln/kilnConfig.cmake
    ${LIBDIR}/cmake/kiln/kilnConfigVersion.cmake
    ${LIBDIR}/cmake/kiln/kilnTargets.cmake
    ${DATADIR}/pkgconfig/kiln.pc)
  if(NOT EXISTS ${PREFIX}/${file})
    message(FATAL_ERROR "missing from the install: ${file}")
  endif()
endforeach()
message(STATUS "kiln installed into ${PREFIX}")
