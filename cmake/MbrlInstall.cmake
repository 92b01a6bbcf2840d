# Installs headers, libraries and a CMake package so research code can
# find_package(mbrl CONFIG REQUIRED) and link mbrl::mbrl.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

get_property(_mbrl_libs GLOBAL PROPERTY MBRL_LIBRARIES)
install(TARGETS ${_mbrl_libs} mbrl mbrl_torch EXPORT mbrlTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/mbrl DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(TARGET mbrl_cli)
  install(TARGETS mbrl_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(EXPORT mbrlTargets NAMESPACE mbrl:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mbrl)

configure_package_config_file(cmake/mbrlConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/mbrlConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mbrl)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/mbrlConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/mbrlConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/mbrlConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mbrl)
