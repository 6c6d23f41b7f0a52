# Decides whether kiln::cuda is built (KILN_CUDA: AUTO, ON or OFF) and enables CMake's CUDA
# language when it is. Sets KILN_CUDA_ENABLED.
#
# nvcc is often not on the PATH of a fresh shell (the toolkit installs into /usr/local/cuda and
# leaves PATH to the user's profile), so unless CMAKE_CUDA_COMPILER or CUDACXX names one, it is
# looked for in $CUDA_HOME/bin, $CUDA_PATH/bin and /usr/local/cuda/bin before the PATH.
# Included from the top-level CMakeLists.txt: enable_language() must run at directory scope.
set(KILN_CUDA_ENABLED OFF)
string(TOUPPER "${KILN_CUDA}" kiln_cuda_mode)
if(NOT kiln_cuda_mode MATCHES "^(AUTO|ON|OFF|TRUE|FALSE|YES|NO|1|0)$")
  message(FATAL_ERROR "kiln: KILN_CUDA must be AUTO, ON or OFF (found '${KILN_CUDA}')")
endif()
if(NOT kiln_cuda_mode MATCHES "^(OFF|FALSE|NO|0)$")
  if(NOT CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX})
    find_program(KILN_NVCC nvcc
      HINTS ENV CUDA_HOME ENV CUDA_PATH /usr/local/cuda
      PATH_SUFFIXES bin
      DOC "nvcc, for kiln::cuda")
    if(KILN_NVCC)
      set(CMAKE_CUDA_COMPILER ${KILN_NVCC})
    endif()
  endif()
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES ${KILN_CUDA_ARCHITECTURES})
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    enable_language(CUDA)
    find_package(CUDAToolkit)
  endif()
  if(CMAKE_CUDA_COMPILER AND CUDAToolkit_FOUND AND TARGET CUDA::cublasLt)
    set(KILN_CUDA_ENABLED ON)
    message(STATUS "kiln: building kiln::cuda with CUDA ${CUDAToolkit_VERSION} "
                   "for architectures ${KILN_CUDA_ARCHITECTURES}")
  elseif(kiln_cuda_mode STREQUAL "AUTO")
    message(STATUS "kiln: CUDA toolkit (nvcc, cuBLASLt) not found; kiln::cuda is not built")
  else()
    message(FATAL_ERROR "kiln: KILN_CUDA=${KILN_CUDA} but no CUDA toolkit with nvcc and cuBLASLt "
                        "was found. Set CMAKE_CUDA_COMPILER (or CUDACXX) to nvcc, or configure "
                        "with -DKILN_CUDA=OFF.")
  endif()
endif()
unset(kiln_cuda_mode)
