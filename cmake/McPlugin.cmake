# mc_add_plugin(<name> SOURCES <src>... [LIBRARIES <lib>...])
#
# Builds a Mission Control plugin: a MODULE library named exactly <name>.so, hidden visibility (only
# the entry symbol is exported), no undefined symbols. Works in-tree and against the installed SDK.
function(mc_add_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
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
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    OUTPUT_NAME ${name}
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY ${out})
  target_link_options(${name} PRIVATE "LINKER:-z,defs")
  set_property(GLOBAL APPEND PROPERTY MC_PLUGIN_TARGETS ${name})
endfunction()
