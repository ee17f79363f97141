# libFuzzer harnesses (DESIGN.md section 6), included when OTAD_FUZZ is ON.
#
# The whole tree is then built with clang and the sanitizers of OTAD_SANITIZE:
#   CC=clang cmake -S . -B build-fuzz -DOTAD_FUZZ=ON -DOTAD_SANITIZE="address;undefined"
# Every tests/fuzz/fuzz_<name>.c becomes an executable fuzz_<name> linked with
# -fsanitize=fuzzer (libFuzzer's main); the project's libraries get -fsanitize=fuzzer-no-link,
# the coverage instrumentation libFuzzer steers by, without its main. A harness links the
# libraries it needs through OTAD_FUZZ_LIBS_<name> below (default: otad_engine).
# ctest replays each committed seed corpus tests/fuzz/corpus/<name>/ once (label fuzz);
# tests/fuzz/run.sh does the timed runs.
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "OTAD_FUZZ needs clang (libFuzzer): configure a fresh build directory "
        "with CC=clang")
endif()
if(NOT "address" IN_LIST OTAD_SANITIZE)
    message(FATAL_ERROR "OTAD_FUZZ needs the sanitizers: add -DOTAD_SANITIZE=\"address;undefined\"")
endif()

# Coverage instrumentation for every target of the project (the sanitizer runtime linked into
# the non-fuzz executables supplies the weak coverage hooks, so they still link and run).
target_compile_options(otad_flags INTERFACE -fsanitize=fuzzer-no-link)

# Libraries per harness; a harness not listed links otad_engine.
set(OTAD_FUZZ_LIBS_query otad_engine)
set(OTAD_FUZZ_LIBS_cron otad_engine)

file(GLOB OTAD_FUZZ_SRC CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_*.c)
set(OTAD_FUZZ_TARGETS "")
foreach(src ${OTAD_FUZZ_SRC})
    get_filename_component(t ${src} NAME_WE)
    string(REGEX REPLACE "^fuzz_" "" name ${t})
    add_executable(${t} ${src})
    if(DEFINED OTAD_FUZZ_LIBS_${name})
        target_link_libraries(${t} PRIVATE ${OTAD_FUZZ_LIBS_${name}})
    else()
        target_link_libraries(${t} PRIVATE otad_engine)
    endif()
    target_compile_options(${t} PRIVATE -fsanitize=fuzzer)
    target_link_options(${t} PRIVATE -fsanitize=fuzzer)
    list(APPEND OTAD_FUZZ_TARGETS ${t})
    set(corpus ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${name})
    if(OTAD_TESTS AND IS_DIRECTORY ${corpus})
        # -runs=0: execute every seed once, mutate nothing; the corpus is only read.
        add_test(NAME ${t}_corpus COMMAND ${t} -runs=0 ${corpus})
        set_tests_properties(${t}_corpus PROPERTIES LABELS fuzz TIMEOUT 300)
    endif()
endforeach()

# `cmake --build <dir> --target fuzz` builds every harness.
add_custom_target(fuzz DEPENDS ${OTAD_FUZZ_TARGETS})
