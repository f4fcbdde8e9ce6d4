# polis_plugin(<target> SOURCES <file>... [PROTO_LIBS <polis_proto_library target>...])
#
# Builds a native plugin: a shared module (no lib prefix rules change) that
# includes only the plugin SDK (polis/plugin.h) and the generated
# X.polis_plugin.h of the listed proto libraries, and links only their
# message libraries (shared, never unloaded: the plugin must not carry
# message code of its own, see cmake/PolisProto.cmake). Symbols are hidden
# except the entry point, so two loaded versions never see each other's.
function(polis_plugin target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "SOURCES;PROTO_LIBS")
  add_library(${target} MODULE ${arg_SOURCES})
  set_target_properties(${target} PROPERTIES CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON PREFIX "lib")
  target_link_libraries(${target} PRIVATE polis_plugin_sdk)
  foreach(lib IN LISTS arg_PROTO_LIBS)
    target_link_libraries(${target} PRIVATE ${lib}_messages)
    add_dependencies(${target} ${lib}_generate)
  endforeach()
  # An undefined symbol is a load error the host reports; fail the build first.
  target_link_options(${target} PRIVATE -Wl,--no-undefined)
endfunction()
