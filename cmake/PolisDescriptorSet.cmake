# polis_descriptor_set(<target> OUTPUT <file> PROTOS <file.proto>... [ROOT <dir>])
#
# One serialized FileDescriptorSet of the given protos (paths relative to
# ROOT, by default proto/) and everything they import (--include_imports, in dependency
# order), for code that reads messages by reflection at run time: the Lua
# host turns messages into tables with it. <target> builds <file> (ALL).
function(polis_descriptor_set target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "OUTPUT;ROOT" "PROTOS")
  if(NOT arg_OUTPUT OR NOT arg_PROTOS)
    message(FATAL_ERROR "polis_descriptor_set(${target}): OUTPUT and PROTOS are required")
  endif()
  set(proto_root ${PROJECT_SOURCE_DIR}/proto)
  if(arg_ROOT)
    set(proto_root ${arg_ROOT})
  endif()
  set(inputs)
  foreach(proto IN LISTS arg_PROTOS)
    list(APPEND inputs ${proto_root}/${proto})
  endforeach()
  get_filename_component(out_dir ${arg_OUTPUT} DIRECTORY)
  add_custom_command(
    OUTPUT ${arg_OUTPUT}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${out_dir}
    COMMAND ${Protobuf_PROTOC_EXECUTABLE} --descriptor_set_out=${arg_OUTPUT} --include_imports
            -I ${proto_root} ${inputs}
    DEPENDS ${inputs} ${Protobuf_PROTOC_EXECUTABLE}
    COMMENT "protoc --descriptor_set_out: ${target}"
    VERBATIM)
  add_custom_target(${target} ALL DEPENDS ${arg_OUTPUT})
endfunction()
