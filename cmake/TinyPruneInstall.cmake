#===- TinyPruneInstall.cmake - cmake --install and find_package ----------===#
#
# `cmake --install BUILD --prefix P` puts in P:
#   bin/            tinyprune, tinyprune-opt, tinyprune-translate
#   lib/            the libraries (static)
#   include/        the headers: tinyprune/ (dialect, passes, analysis,
#                   import, target, ...; the generated Passes.h.inc),
#                   TinyPrune/*.inc (the dialect's generated declarations),
#                   tinyprune/rt/ (the runtime kernels generated code uses)
#   lib/cmake/tinyprune/  TinyPruneConfig.cmake and its targets
# so that an out-of-tree MLIR tool can `find_package(TinyPrune)` and link
# `TinyPrune::TinyPruneTransforms` (and the rest) to register the dialect and
# the passes (test/install has one).
#
#===----------------------------------------------------------------------===#

include(CMakePackageConfigHelpers)

set(TINYPRUNE_INSTALL_LIBS
  TinyPruneDialect TinyPruneSupport TinyPruneData TinyPruneExecution
  TinyPruneImport TinyPruneAnalysis TinyPruneReconstruction TinyPruneLayers
  TinyPrunePruning TinyPruneTransforms TinyPruneTargetCpp
  TinyPruneTargetTFLite TinyPrunePrune)
if(TINYPRUNE_ENABLE_TRAINING)
  list(APPEND TINYPRUNE_INSTALL_LIBS TinyPruneTraining)
endif()

# The installed tools find libMLIR/libLLVM where the build found them
# (Debian's are outside the loader's default paths).
set_target_properties(tinyprune tinyprune-opt tinyprune-translate PROPERTIES
  INSTALL_RPATH "${LLVM_LIBRARY_DIR}")
install(TARGETS tinyprune tinyprune-opt tinyprune-translate
  RUNTIME DESTINATION bin COMPONENT tinyprune)
# The libraries again, into our own export set (add_mlir_library installs
# the files; this records them for TinyPruneTargets.cmake).
install(TARGETS ${TINYPRUNE_INSTALL_LIBS}
  EXPORT TinyPruneTargets
  ARCHIVE DESTINATION lib COMPONENT tinyprune
  LIBRARY DESTINATION lib COMPONENT tinyprune
  INCLUDES DESTINATION include)
install(EXPORT TinyPruneTargets
  NAMESPACE TinyPrune::
  DESTINATION lib/cmake/tinyprune COMPONENT tinyprune)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/tinyprune
  DESTINATION include COMPONENT tinyprune
  FILES_MATCHING PATTERN "*.h" PATTERN "*.td")
install(DIRECTORY ${PROJECT_BINARY_DIR}/include/tinyprune
  DESTINATION include COMPONENT tinyprune
  FILES_MATCHING PATTERN "*.inc" PATTERN "CMakeFiles" EXCLUDE)
install(DIRECTORY ${PROJECT_BINARY_DIR}/dialects/TinyPrune
  DESTINATION include COMPONENT tinyprune
  FILES_MATCHING PATTERN "*.h.inc" PATTERN "CMakeFiles" EXCLUDE
  PATTERN "IR" EXCLUDE)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/runtime/include/tinyprune/rt
  DESTINATION include/tinyprune COMPONENT tinyprune
  FILES_MATCHING PATTERN "*.h")

configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/TinyPruneConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/TinyPruneConfig.cmake
  INSTALL_DESTINATION lib/cmake/tinyprune
  PATH_VARS CMAKE_INSTALL_PREFIX)
install(FILES ${PROJECT_BINARY_DIR}/cmake/TinyPruneConfig.cmake
  DESTINATION lib/cmake/tinyprune COMPONENT tinyprune)
