# Test registration: every layer of DESIGN.md section 6, found by file name so that adding a
# test needs no edit here.
#
#   tests/unit/<dir>/test_<module>.c  Check, links otad_<dir>; needs nothing.
#   tests/store/test_*.c              Check, links otad_store; run inside the harness (PostgreSQL
#                                     and Redis on unix sockets, env OTAD_TEST_PG/OTAD_TEST_REDIS).
#   tests/api/test_*.c                Check + HTTP; run inside the harness with a spawned otad
#                                     (env OTAD_TEST_URL).
#   tests/sdk/test_*.py               boto3 against a harness-started otad (the test starts it).
#   tests/sdk/node/test_*.mjs         AWS SDK for JavaScript, same.
#   tests/sim/test_*.c|py             otasim in virtual time, or live against the harness.
set(OTAD_HARNESS ${CMAKE_SOURCE_DIR}/tests/harness/harness.py)
find_program(PYTHON3 python3 REQUIRED)
find_program(NODE node)

# Small C helpers shared by the C test layers (HTTP client, JSON assertions).
file(GLOB OTAD_TESTLIB_SRC CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/harness/*.c)
if(OTAD_TESTLIB_SRC)
    add_library(otad_testlib STATIC ${OTAD_TESTLIB_SRC})
    target_link_libraries(otad_testlib PUBLIC otad_engine otad_flags PkgConfig::CHECK
        PkgConfig::CJSON)
endif()

function(otad_test_env name)
    set_property(TEST ${name} APPEND PROPERTY ENVIRONMENT
        "OTAD_BIN=$<TARGET_FILE:otad>" "OTASIM_BIN=$<TARGET_FILE:otasim>"
        "OTAD_SOURCE_DIR=${CMAKE_SOURCE_DIR}" "PYTHONPATH=${CMAKE_SOURCE_DIR}/tests/harness"
        "CK_DEFAULT_TIMEOUT=60")
endfunction()

# Unit tests.
file(GLOB OTAD_UNIT_DIRS LIST_DIRECTORIES true ${CMAKE_SOURCE_DIR}/tests/unit/*)
foreach(dir ${OTAD_UNIT_DIRS})
    get_filename_component(layer ${dir} NAME)
    file(GLOB srcs CONFIGURE_DEPENDS ${dir}/test_*.c)
    foreach(src ${srcs})
        get_filename_component(base ${src} NAME_WE)
        set(t unit_${layer}_${base})
        add_executable(${t} ${src})
        # tests may use any layer: engine tests read JSON through sim/cjview
        target_link_libraries(${t} PRIVATE otad_${layer} otad_sim otad_engine PkgConfig::CHECK
            PkgConfig::CJSON)
        add_test(NAME ${t} COMMAND ${t})
        set_tests_properties(${t} PROPERTIES LABELS unit TIMEOUT 300)
        otad_test_env(${t})
    endforeach()
endforeach()

# Store tests: real PostgreSQL and Redis from the harness.
file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/store/test_*.c)
foreach(src ${srcs})
    get_filename_component(base ${src} NAME_WE)
    set(t store_${base})
    add_executable(${t} ${src})
    target_link_libraries(${t} PRIVATE otad_store otad_engine otad_testlib PkgConfig::CHECK
        PkgConfig::LIBEVENT PkgConfig::LIBPQ PkgConfig::HIREDIS PkgConfig::CJSON)
    add_test(NAME ${t} COMMAND ${PYTHON3} ${OTAD_HARNESS} run --pg --redis -- $<TARGET_FILE:${t}>)
    set_tests_properties(${t} PROPERTIES LABELS store TIMEOUT 600)
    otad_test_env(${t})
endforeach()

# API tests: HTTP against a harness-spawned otad.
file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/api/test_*.c)
foreach(src ${srcs})
    get_filename_component(base ${src} NAME_WE)
    set(t api_${base})
    add_executable(${t} ${src})
    target_link_libraries(${t} PRIVATE otad_testlib otad_engine PkgConfig::CHECK
        PkgConfig::CJSON PkgConfig::LIBPQ)
    add_test(NAME ${t} COMMAND ${PYTHON3} ${OTAD_HARNESS} run --pg --redis --otad -- $<TARGET_FILE:${t}>)
    set_tests_properties(${t} PROPERTIES LABELS api TIMEOUT 600)
    otad_test_env(${t})
endforeach()

# SDK tests (Python boto3): each file starts its own harness through the harness module.
# Files named *_soak.py are long soaks: labelled soak (excluded by dev.sh test and CI with
# -LE soak; run them with ctest -L soak), with OTAD_SOAK=1 so they run in full.
file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/sdk/test_*.py)
foreach(src ${srcs})
    get_filename_component(base ${src} NAME_WE)
    set(t sdk_${base})
    add_test(NAME ${t} COMMAND ${PYTHON3} -u ${src})
    if(base MATCHES "_soak$")
        set_tests_properties(${t} PROPERTIES LABELS soak TIMEOUT 3600 ENVIRONMENT OTAD_SOAK=1)
    else()
        set_tests_properties(${t} PROPERTIES LABELS sdk TIMEOUT 900)
    endif()
    otad_test_env(${t})
endforeach()

# SDK tests (Node): need node and the npm packages of tests/sdk/node (installed by dev.sh).
file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/sdk/node/test_*.mjs)
foreach(src ${srcs})
    get_filename_component(base ${src} NAME_WE)
    set(t sdk_node_${base})
    add_test(NAME ${t} COMMAND ${PYTHON3} ${OTAD_HARNESS} run --pg --redis --otad -- ${NODE} ${src})
    set_tests_properties(${t} PROPERTIES LABELS sdk TIMEOUT 900)
    otad_test_env(${t})
endforeach()

# The harness checks itself (PostgreSQL, Redis and otad start, stop and restart).
add_test(NAME store_harness_selftest COMMAND ${PYTHON3} ${OTAD_HARNESS} selftest)
set_tests_properties(store_harness_selftest PROPERTIES LABELS store TIMEOUT 300)
otad_test_env(store_harness_selftest)

# Simulator tests: C (virtual time) and Python (live, harness).
file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/sim/test_*.c)
foreach(src ${srcs})
    get_filename_component(base ${src} NAME_WE)
    set(t sim_${base})
    add_executable(${t} ${src})
    target_link_libraries(${t} PRIVATE otad_sim otad_engine PkgConfig::CHECK PkgConfig::CJSON)
    add_test(NAME ${t} COMMAND ${t})
    set_tests_properties(${t} PROPERTIES LABELS sim TIMEOUT 600)
    otad_test_env(${t})
endforeach()
file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/sim/test_*.py)
foreach(src ${srcs})
    get_filename_component(base ${src} NAME_WE)
    set(t sim_${base})
    add_test(NAME ${t} COMMAND ${PYTHON3} -u ${src})
    set_tests_properties(${t} PROPERTIES LABELS sim TIMEOUT 900)
    otad_test_env(${t})
endforeach()

# Benchmarks are programs, not tests: built, never timed by ctest.
file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/bench/*.c)
foreach(src ${srcs})
    get_filename_component(base ${src} NAME_WE)
    add_executable(bench_${base} ${src})
    target_link_libraries(bench_${base} PRIVATE otad_sim otad_engine)
endforeach()
