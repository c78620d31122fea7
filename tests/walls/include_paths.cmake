# cmake -DSOURCE_DIR=<repository> -P include_paths.cmake
# The include roots keep the walls only for includes spelled from a layer's root: a relative
# include ("../../workflows/x.hpp", or "x.hpp" beside the file) is found without one, whatever the
# target links. Every quoted include of the production sources must name a layer's folder (or a
# header the build generates).
file(GLOB_RECURSE sources ${SOURCE_DIR}/engine/*.hpp ${SOURCE_DIR}/engine/*.cpp
     ${SOURCE_DIR}/workflows/*.hpp ${SOURCE_DIR}/workflows/*.cpp ${SOURCE_DIR}/adapters/*.hpp
     ${SOURCE_DIR}/adapters/*.cpp)
set(allowed "^(engine/domain|engine/runtime|workflows|adapters/(common|redis|http|metrics|cli))/[a-z0-9_]+\\.hpp$|^xinyipi_version\\.hpp$")
set(bad "")
foreach(source IN LISTS sources)
  file(STRINGS ${source} lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]*)\".*" "\\1" header "${line}")
    if(NOT header MATCHES "${allowed}")
      file(RELATIVE_PATH where ${SOURCE_DIR} ${source})
      string(APPEND bad "  ${where}: #include \"${header}\"\n")
    endif()
  endforeach()
endforeach()
if(bad)
  message(FATAL_ERROR "includes that do not name a layer's folder:\n${bad}")
endif()
message(STATUS "every include names a layer's folder")
