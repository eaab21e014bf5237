# Run by host/CMakeLists.txt before a host module compiles (cmake -P). Fails when a source of module
# MODULE includes a header of a host module it does not declare in USES (MODULES lists every host
# module). Writes STAMP when the module is clean.
cmake_minimum_required(VERSION 3.20)
file(GLOB_RECURSE files ${SRC}/${MODULE}/*.cpp ${SRC}/${MODULE}/*.h)
set(problems "")
foreach(file IN LISTS files)
  file(STRINGS ${file} includes REGEX "^[ \t]*#[ \t]*include[ \t]*\"[a-z_]+/")
  foreach(line IN LISTS includes)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([a-z_]+)/([^\"]*)\".*" "\\1;\\2" parts "${line}")
    list(GET parts 0 used)
    list(GET parts 1 header)
    if(NOT used IN_LIST MODULES OR used STREQUAL MODULE OR used IN_LIST USES)
      continue()
    endif()
    file(RELATIVE_PATH where ${SRC}/../.. ${file})
    string(APPEND problems "\n  ${where} includes ${used}/${header}, but module '${MODULE}' does not use '${used}'")
  endforeach()
endforeach()
if(problems)
  message(FATAL_ERROR "host module '${MODULE}' includes modules it does not declare:${problems}\n"
                      "Declare the use in host/CMakeLists.txt (a module may use only modules declared above "
                      "it, so a cycle cannot be declared), or move the code to the module it belongs to.")
endif()
file(WRITE ${STAMP} "ok\n")
