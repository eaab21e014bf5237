# CTest: cmake/CheckHostModuleIncludes.cmake refuses an include of an undeclared host module, naming
# the file, the header and the module, and accepts one that is declared. Run with -DCHECK=<script>
# -DWORK=<scratch directory>.
cmake_minimum_required(VERSION 3.20)
file(REMOVE_RECURSE ${WORK})
file(WRITE ${WORK}/host/src/web/Router.h "#pragma once\n")
file(WRITE ${WORK}/host/src/gateway/Call.cpp "#include \"gateway/Call.h\"\n#include \"util/Json.h\"\n  #  include \"web/Router.h\"\n#include <web/Other.h>\n")
file(WRITE ${WORK}/host/src/gateway/Call.h "#pragma once\n")

execute_process(COMMAND ${CMAKE_COMMAND} -DMODULE=gateway "-DUSES=util" "-DMODULES=gateway;util;web"
                        -DSRC=${WORK}/host/src -DSTAMP=${WORK}/gateway.ok -P ${CHECK}
                RESULT_VARIABLE refused ERROR_VARIABLE refusal)
if(refused EQUAL 0 OR EXISTS ${WORK}/gateway.ok)
  message(FATAL_ERROR "an include of the undeclared module 'web' passed the check")
endif()
string(REGEX REPLACE "[ \t\r\n]+" " " refusal "${refusal}")
if(NOT refusal MATCHES "host/src/gateway/Call.cpp includes web/Router.h, but module 'gateway' does not use 'web'")
  message(FATAL_ERROR "the refusal does not name the file, the header and the module:\n${refusal}")
endif()
if(refusal MATCHES "Other.h")
  message(FATAL_ERROR "a system include (<...>) was taken for a module include:\n${refusal}")
endif()

execute_process(COMMAND ${CMAKE_COMMAND} -DMODULE=gateway "-DUSES=util;web" "-DMODULES=gateway;util;web"
                        -DSRC=${WORK}/host/src -DSTAMP=${WORK}/gateway.ok -P ${CHECK}
                RESULT_VARIABLE accepted ERROR_VARIABLE complaint)
if(NOT accepted EQUAL 0 OR NOT EXISTS ${WORK}/gateway.ok)
  message(FATAL_ERROR "a declared use was refused:\n${complaint}")
endif()
message(STATUS "include check refuses undeclared modules and accepts declared ones")
