# The subsystems of common/, lowest first.  A subsystem may include headers of itself and of those
# before it, never of one after it, nor of hsm/, public/, secure/, simdev/ or tests/.  The public
# extension header (tapeseal/prov_ext.h) belongs to prov.
set(TS_SUBSYSTEMS base topgen otp prov ft tree)

# Fails (FATAL_ERROR, naming the file and the include) when a source of subsystem SUB under
# COMMON_DIR breaks the order.  In a build the files are configure dependencies, so an edit that
# breaks the order fails the next build.
function(ts_check_layering common_dir sub)
  list(FIND TS_SUBSYSTEMS ${sub} rank)
  file(GLOB_RECURSE files ${common_dir}/${sub}/*.c ${common_dir}/${sub}/*.h)
  foreach(f ${files})
    if(NOT CMAKE_SCRIPT_MODE_FILE)
      set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${f})
    endif()
    file(STRINGS ${f} includes REGEX "^#include \"")
    foreach(line ${includes})
      string(REGEX REPLACE "^#include \"([^\"]+)\".*" "\\1" inc "${line}")
      set(inc_rank -1)
      if(inc MATCHES "^common/([a-z]+)/")
        list(FIND TS_SUBSYSTEMS ${CMAKE_MATCH_1} inc_rank)
        if(inc_rank EQUAL -1)
          set(inc_rank 99)
        endif()
      elseif(inc MATCHES "^tapeseal/")
        list(FIND TS_SUBSYSTEMS prov inc_rank)
      elseif(inc MATCHES "^(common|hsm|public|secure|simdev|tests)/")
        set(inc_rank 99)
      endif()
      if(inc_rank GREATER rank)
        file(RELATIVE_PATH rel ${common_dir}/.. ${f})
        message(FATAL_ERROR "${rel}: includes \"${inc}\", which is not in subsystem '${sub}' or below it "
                "(order: ${TS_SUBSYSTEMS}; see common/README.md)")
      endif()
    endforeach()
  endforeach()
endfunction()

# cmake -DCOMMON_DIR=DIR -P layering.cmake checks every subsystem of DIR (the layering test).
if(CMAKE_SCRIPT_MODE_FILE AND COMMON_DIR)
  foreach(sub ${TS_SUBSYSTEMS})
    ts_check_layering(${COMMON_DIR} ${sub})
  endforeach()
  message(STATUS "layering: ok (${TS_SUBSYSTEMS})")
endif()
