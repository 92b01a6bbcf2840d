# Finds every dependency. All come from Debian 12 (scripts/install_deps.sh), except that a CUDA
# LibTorch 2.x is used instead of Debian's when CMAKE_PREFIX_PATH points at one.

find_package(Torch REQUIRED)
find_package(OpenMP REQUIRED)  # Debian's TorchConfig does not add -fopenmp; at::parallel_for needs it
find_package(yaml-cpp REQUIRED)
find_package(spdlog REQUIRED)
find_package(mujoco REQUIRED)
find_package(Threads REQUIRED)
# D4RL datasets: the HDF5 C API from Debian's libhdf5-dev (1.10). Debian ships no CMake package
# for HDF5, so CMake's FindHDF5 module finds it through h5cc (its probe needs the C language).
# mbrl_core links the libraries by path, so that a project linking mbrl::mbrl needs neither
# FindHDF5 nor C.
find_package(HDF5 REQUIRED COMPONENTS C)
# TensorBoard event files (src/log/event_file.cc) need Protocol Buffers: Debian's
# libprotobuf-dev and protobuf-compiler. Without them the build still works, with no event files.
find_package(Protobuf)
if(Protobuf_FOUND AND Protobuf_PROTOC_EXECUTABLE)
  set(MBRL_HAVE_PROTOBUF ON)
  message(STATUS "mbrl: TensorBoard event files with Protocol Buffers ${Protobuf_VERSION}")
else()
  set(MBRL_HAVE_PROTOBUF OFF)
  message(WARNING "mbrl: no Protocol Buffers (libprotobuf-dev, protobuf-compiler): runs will "
                  "write no TensorBoard event files")
endif()

message(STATUS "mbrl: LibTorch ${Torch_VERSION} from ${TORCH_INSTALL_PREFIX}")

# One interface target carries LibTorch's flags (ABI define) and libraries to every mbrl target.
add_library(mbrl_torch INTERFACE)
target_include_directories(mbrl_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
target_link_libraries(mbrl_torch INTERFACE ${TORCH_LIBRARIES} OpenMP::OpenMP_CXX Threads::Threads)
separate_arguments(_mbrl_torch_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
target_compile_options(mbrl_torch INTERFACE ${_mbrl_torch_flags})
