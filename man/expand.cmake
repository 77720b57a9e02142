# Builds one man page: the scdoc source IN with its %%NAME%% lines replaced
# by the shared sections (aws-options, token-options, exit-status,
# output-options), written
# to SCD, then scdoc SCD > OUT. Run by man/CMakeLists.txt:
#   cmake -DIN=... -DSCD=... -DOUT=... -DSCDOC=... -P expand.cmake
get_filename_component(dir "${IN}" DIRECTORY)
file(READ "${IN}" text)
foreach(part aws-options token-options exit-status output-options)
  string(TOUPPER "${part}" tag)
  file(READ "${dir}/${part}.scd.in" body)
  string(REGEX REPLACE "\n$" "" body "${body}")
  string(REPLACE "%%${tag}%%" "${body}" text "${text}")
endforeach()
if(text MATCHES "%%[A-Z-]+%%")
  message(FATAL_ERROR "${IN}: unknown include ${CMAKE_MATCH_0}")
endif()
file(WRITE "${SCD}" "${text}")
execute_process(COMMAND "${SCDOC}" INPUT_FILE "${SCD}" OUTPUT_FILE "${OUT}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE "${OUT}")
  message(FATAL_ERROR "scdoc failed on ${SCD}")
endif()
