# Script behind install.find_package_example: install, configure, build and run the example.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(LAST_OUTPUT "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${PREFIX} ${EXAMPLE_BUILD})
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX})
run(${CMAKE_COMMAND} -S ${EXAMPLE_SOURCE} -B ${EXAMPLE_BUILD} -DCMAKE_BUILD_TYPE=Release
    "-DCMAKE_PREFIX_PATH=${PREFIX};${TORCH_PREFIX}" ${LAUNCHER})
run(${CMAKE_COMMAND} --build ${EXAMPLE_BUILD})
run(${EXAMPLE_BUILD}/mbrl_example)
if(NOT LAST_OUTPUT MATCHES "random return")
  message(FATAL_ERROR "unexpected output of the example: ${LAST_OUTPUT}")
endif()
message(STATUS "${LAST_OUTPUT}")
