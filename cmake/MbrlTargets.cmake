# Helpers that give every mbrl library and test the same flags and the shared precompiled header.

set(MBRL_PCH_HEADER ${PROJECT_SOURCE_DIR}/cmake/mbrl_pch.h)

# mbrl_add_library(<name> SOURCES ... DEPS ...): one static library per layer, e.g. mbrl_envs.
# The first library built (mbrl_core) owns the precompiled header; the others reuse it.
function(mbrl_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  add_library(mbrl::${name} ALIAS ${name})
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:include>)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  target_compile_options(${name} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  mbrl_use_pch(${name})
  set_property(GLOBAL APPEND PROPERTY MBRL_LIBRARIES ${name})
endfunction()

# Shares one precompiled <torch/torch.h> between all targets with the same flags: one for the
# libraries (-fPIC) and one for executables (-fPIE), since gcc rejects a PCH built with the other.
function(mbrl_use_pch target)
  get_target_property(_type ${target} TYPE)
  if(_type STREQUAL "EXECUTABLE")
    set(_pch mbrl_pch_exe)
  else()
    set(_pch mbrl_pch)
  endif()
  if(NOT TARGET ${_pch})
    if(_type STREQUAL "EXECUTABLE")
      add_executable(${_pch} ${PROJECT_SOURCE_DIR}/cmake/mbrl_pch_main.cc)
    else()
      add_library(${_pch} STATIC ${PROJECT_SOURCE_DIR}/cmake/mbrl_pch.cc)
    endif()
    set_target_properties(${_pch} PROPERTIES EXCLUDE_FROM_ALL ON)
    target_link_libraries(${_pch} PRIVATE mbrl_torch)
    target_compile_options(${_pch} PRIVATE -Wall -Wextra -Wno-unused-parameter)
    target_precompile_headers(${_pch} PRIVATE ${MBRL_PCH_HEADER})
  endif()
  target_precompile_headers(${target} REUSE_FROM ${_pch})
endfunction()
