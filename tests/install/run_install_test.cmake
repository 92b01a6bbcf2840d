# Script behind install.find_package_example: install, configure, build and run the example.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(LAST_OUTPUT "${out}" PARENT_SCOPE)
endfunction()

# the search path goes by environment (':'-separated): run() would split a ';' list argument
string(REPLACE "|" ":" PREFIX_PATH "${PREFIX_PATH}")
set(ENV{CMAKE_PREFIX_PATH} "${PREFIX}:${TORCH_PREFIX}:${PREFIX_PATH}")
file(REMOVE_RECURSE ${PREFIX} ${EXAMPLE_BUILD})
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX})
run(${CMAKE_COMMAND} -S ${EXAMPLE_SOURCE} -B ${EXAMPLE_BUILD} -DCMAKE_BUILD_TYPE=Release
    "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" -DCMAKE_CXX_STANDARD=${CXX_STANDARD} ${LAUNCHER})
run(${CMAKE_COMMAND} --build ${EXAMPLE_BUILD})
run(${EXAMPLE_BUILD}/mbrl_example)
if(NOT LAST_OUTPUT MATCHES "random return")
  message(FATAL_ERROR "unexpected output of the example: ${LAST_OUTPUT}")
endif()
message(STATUS "${LAST_OUTPUT}")
