# The downstream program both CMake package tests build (find_package/ and add_subdirectory/),
# once kiln::kiln is defined.
#
# With kiln::onednn, the program also links a shared library that links kiln::onednn itself, as
# an application and its plugin would: kiln::onednn's registration source is then compiled into
# both, the `cpu` backend is registered twice, and the program checks that this is harmless.
add_executable(kiln_downstream ${CMAKE_CURRENT_LIST_DIR}/downstream_main.cpp)
target_link_libraries(kiln_downstream PRIVATE kiln::kiln)
if(TARGET kiln::onednn)
  add_library(kiln_downstream_plugin SHARED ${CMAKE_CURRENT_LIST_DIR}/downstream_plugin.cpp)
  target_link_libraries(kiln_downstream_plugin PRIVATE kiln::onednn)
  target_link_libraries(kiln_downstream PRIVATE kiln::onednn kiln_downstream_plugin)
  target_compile_definitions(kiln_downstream PRIVATE KILN_DOWNSTREAM_WITH_CPU)
endif()
# With kiln::cuda, the program registers `cuda` too (no GPU needed to link or to check that).
if(TARGET kiln::cuda)
  target_link_libraries(kiln_downstream PRIVATE kiln::cuda)
  target_compile_definitions(kiln_downstream PRIVATE KILN_DOWNSTREAM_WITH_CUDA)
endif()
