# Process start: each shared library costs `cco` an open, several mmaps and
# its symbol relocations at every start, which the statusline pays on every
# call (Claude Code runs it every few hundred milliseconds; docs/benchmarks.md
# has the figures). Where Debian ships a static archive (libabsl-dev,
# libsqlite3-dev, libzstd-dev, libxxhash-dev, libncurses-dev), link it in.
#
# cco_link_static_deps(): call after the find_package() calls. Abseil's
# imported targets keep their names and dependencies; only the file each
# points to becomes its archive.
function(cco_link_static_deps)
  get_property(imported DIRECTORY ${CMAKE_SOURCE_DIR} PROPERTY IMPORTED_TARGETS)
  set(swapped 0)
  foreach(t IN LISTS imported)
    if(NOT t MATCHES "^absl::")
      continue()
    endif()
    get_target_property(type ${t} TYPE)
    if(NOT type STREQUAL "SHARED_LIBRARY")
      continue()
    endif()
    get_target_property(configs ${t} IMPORTED_CONFIGURATIONS)
    foreach(c IN LISTS configs)
      get_target_property(so ${t} IMPORTED_LOCATION_${c})
      string(REGEX REPLACE "\\.so(\\.[0-9]+)*$" ".a" archive "${so}")
      if(NOT archive STREQUAL so AND EXISTS "${archive}")
        set_target_properties(${t} PROPERTIES IMPORTED_LOCATION_${c} "${archive}" IMPORTED_NO_SONAME TRUE)
        set_property(TARGET ${t} PROPERTY IMPORTED_SONAME_${c})
        math(EXPR swapped "${swapped} + 1")
      endif()
    endforeach()
  endforeach()
  message(STATUS "cco: ${swapped} abseil libraries linked statically")
  # SQLite, zstd, xxHash: their archives by path (their imported targets and
  # pkg-config name the shared objects).
  foreach(pair "SQLite::SQLite3;libsqlite3.a" "PkgConfig::ZSTD;libzstd.a" "PkgConfig::XXHASH;libxxhash.a")
    list(GET pair 0 target)
    list(GET pair 1 name)
    find_library(CCO_STATIC_${name} NAMES ${name})
    if(CCO_STATIC_${name} AND TARGET ${target})
      get_target_property(type ${target} TYPE)
      if(type STREQUAL "INTERFACE_LIBRARY")
        set_property(TARGET ${target} PROPERTY INTERFACE_LINK_LIBRARIES "${CCO_STATIC_${name}}")
      else()
        set_target_properties(${target} PROPERTIES IMPORTED_LOCATION "${CCO_STATIC_${name}}")
      endif()
    endif()
  endforeach()
endfunction()

# ncurses and its terminfo library (cco top), as archives when there.
find_library(CCO_STATIC_NCURSES NAMES libncurses.a)
find_library(CCO_STATIC_TINFO NAMES libtinfo.a)
