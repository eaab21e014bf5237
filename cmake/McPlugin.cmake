# mc_add_plugin(<name> SOURCES <src>... [LIBRARIES <lib>...])
#
# Builds a Mission Control plugin: a MODULE library named exactly <name>.so, hidden visibility, no
# undefined symbols, and a version script so the entry symbol mc_plugin_entry is the only symbol the
# library exports (template instantiations from libstdc++ headers would otherwise leak as weak
# symbols and could bind across plugins). Works in-tree and against the installed SDK
# (find_package(MissionControlSDK)); in-tree the library lands in MC_PLUGIN_OUTPUT_DIR.
function(mc_add_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "mc_add_plugin(${name}): SOURCES is required")
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  if(TARGET MissionControl::sdk)
    target_link_libraries(${name} PRIVATE MissionControl::sdk)
  else()
    target_link_libraries(${name} PRIVATE mc_sdk)
  endif()
  target_link_libraries(${name} PRIVATE ${ARG_LIBRARIES})
  if(DEFINED MC_PLUGIN_OUTPUT_DIR)
    set(out ${MC_PLUGIN_OUTPUT_DIR})
  else()
    set(out ${CMAKE_CURRENT_BINARY_DIR})
  endif()
  set(exports ${CMAKE_CURRENT_BINARY_DIR}/mc_plugin_exports.map)
  if(NOT EXISTS ${exports})
    file(WRITE ${exports} "{\n  global: mc_plugin_entry;\n  local: *;\n};\n")
  endif()
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    OUTPUT_NAME ${name}
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY ${out}
    LINK_DEPENDS ${exports})
  target_link_options(${name} PRIVATE "LINKER:--version-script=${exports}")
  # Every symbol resolved at link time, except in clang's sanitizer builds: clang leaves the runtime's
  # symbols to the program that loads the plugin (its executables export them), as g++'s libasan.so does not.
  if(NOT (MC_SANITIZE AND CMAKE_CXX_COMPILER_ID MATCHES "Clang"))
    target_link_options(${name} PRIVATE "LINKER:-z,defs")
  endif()
  set_property(GLOBAL APPEND PROPERTY MC_PLUGIN_TARGETS ${name})
endfunction()

# mc_plugin_test_sources(<src>...)
#
# In-tree: also compiles these sources of the current plugin (paths relative to its folder) into
# mc-plugin-tests, with the plugin's src/ on the include path, so internal pieces (parsers, codecs)
# are tested directly. tests/CMakeLists.txt collects them; out of tree it does nothing.
function(mc_plugin_test_sources)
  foreach(src ${ARGN})
    set_property(GLOBAL APPEND PROPERTY MC_PLUGIN_TEST_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/${src})
  endforeach()
  set_property(GLOBAL APPEND PROPERTY MC_PLUGIN_TEST_INCLUDES ${CMAKE_CURRENT_SOURCE_DIR}/src)
endfunction()
