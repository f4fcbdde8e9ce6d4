# polis_proto_library(<target> PROTOS <file.proto>...)
#
# Compiles protos (paths relative to proto/) under ${CMAKE_BINARY_DIR}/gen
# into two libraries, both with that directory as PUBLIC include:
#   <target>_messages  the protobuf messages (X.pb.h); needs only libprotobuf.
#                      A SHARED library that is never unloaded (-z nodelete):
#                      plugins use these message classes instead of compiling
#                      their own, because protobuf's descriptor pool cannot
#                      unregister a file — a plugin that carried message code
#                      would leave dangling descriptors at unload and register
#                      the same file twice at reload (docs/plugins.md).
#   <target>           the Polis services and stubs (X.polis.h), static;
#                      links the messages and polis_rpc
#   and, per proto, X.polis_plugin.h: the same services and stubs for
#   plugins, header-only over the plugin SDK (src/common/host/sdk).
# Two, because the rpc layer itself needs messages (polis_proto_messages:
# handshake, RpcError) while services sit above it; one library would be a
# link cycle.
#
# All files go through ONE protoc run because protoc-gen-polis checks msg_id
# uniqueness across the files of a run; separate runs could not see a clash.
#
# Dependencies: the run re-executes when a listed proto, protoc or the plugin
# changes. Protos imported from another library are not tracked (protoc's
# --dependency_out takes one input file only); that is mostly harmless, as
# generated code refers to imported messages by name, not by content.
function(polis_proto_library target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "PROTOS")
  if(NOT arg_PROTOS)
    message(FATAL_ERROR "polis_proto_library(${target}): no PROTOS given")
  endif()
  set(proto_root ${PROJECT_SOURCE_DIR}/proto)
  set(out_dir ${CMAKE_BINARY_DIR}/gen)
  # Error messages name files as the user sees them (proto/game/room.proto).
  file(RELATIVE_PATH root_for_messages ${PROJECT_SOURCE_DIR} ${proto_root})

  set(inputs)
  set(messages)
  set(services)
  foreach(proto IN LISTS arg_PROTOS)
    string(REGEX REPLACE "\\.proto$" "" stem ${proto})
    list(APPEND inputs ${proto_root}/${proto})
    list(APPEND messages ${out_dir}/${stem}.pb.h ${out_dir}/${stem}.pb.cc)
    list(APPEND services ${out_dir}/${stem}.polis.h ${out_dir}/${stem}.polis.cc ${out_dir}/${stem}.polis_plugin.h)
  endforeach()

  add_custom_command(
    OUTPUT ${messages} ${services}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${out_dir}
    COMMAND ${Protobuf_PROTOC_EXECUTABLE}
            --plugin=protoc-gen-polis=$<TARGET_FILE:protoc-gen-polis>
            --cpp_out=${out_dir}
            --polis_out=root=${root_for_messages}:${out_dir}
            -I ${proto_root}
            ${inputs}
    DEPENDS ${inputs} protoc-gen-polis ${Protobuf_PROTOC_EXECUTABLE}
    COMMENT "protoc + protoc-gen-polis: ${target}"
    VERBATIM)

  # Both libraries list outputs of the one command; they must not both run
  # it (Makefile generators would, in parallel), so a target owns it.
  add_custom_target(${target}_generate DEPENDS ${messages} ${services})

  add_library(${target}_messages SHARED ${messages})
  add_dependencies(${target}_messages ${target}_generate)
  target_include_directories(${target}_messages PUBLIC ${out_dir})
  target_link_libraries(${target}_messages PUBLIC protobuf::libprotobuf)
  target_link_options(${target}_messages PRIVATE -Wl,-z,nodelete)

  add_library(${target} STATIC ${services})
  add_dependencies(${target} ${target}_generate)
  target_link_libraries(${target} PUBLIC ${target}_messages polis_rpc)
endfunction()
