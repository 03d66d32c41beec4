# Small helpers so every module is one target with an alias licet::<name>,
# and every test, benchmark and fuzzer is declared the same way.

function(licet_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                         -Wnon-virtual-dtor -Wno-missing-field-initializers)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12 reports std::optional/std::string members as maybe-uninitialized after
    # inlining (false positives, GCC bug 105562); -Werror would turn them into failures.
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
  if(LICET_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(LICET_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
  if(LICET_FUZZ)
    # Everything in a fuzz build carries ASan/UBSan, so plain executables (licet, licetd,
    # test probes) must link the sanitizer runtimes too.
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link,address,undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# licet_library(NAME SOURCES ... DEPS ...): static library licet_NAME, alias licet::NAME.
function(licet_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(licet_${name} STATIC ${ARG_SOURCES})
  add_library(licet::${name} ALIAS licet_${name})
  target_include_directories(licet_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/include)
  target_link_libraries(licet_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  licet_warnings(licet_${name})
endfunction()

# licet_test(NAME SOURCES ... DEPS ... [LABELS ...]): a GoogleTest binary registered with ctest.
function(licet_test name)
  if(NOT LICET_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
  licet_warnings(${name})
  add_test(NAME ${name} COMMAND ${name})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES TIMEOUT ${ARG_TIMEOUT}
    ENVIRONMENT "LICET_BIN_DIR=${PROJECT_BINARY_DIR}/bin;LICET_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
  if(ARG_LABELS)
    set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}")
  endif()
endfunction()

# licet_benchmark(NAME SOURCES ... DEPS ...): a Google Benchmark binary in build/bench.
function(licet_benchmark name)
  if(NOT LICET_BUILD_BENCHMARKS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bench)
  licet_warnings(${name})
endfunction()

# licet_fuzzer(NAME SOURCES ... DEPS ...): a libFuzzer target; ctest runs it briefly on
# fuzz/corpus/NAME (LICET_FUZZ_SECONDS, default 30).
function(licet_fuzzer name)
  if(NOT LICET_FUZZ)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/fuzz)
  if(NOT DEFINED LICET_FUZZ_SECONDS)
    set(LICET_FUZZ_SECONDS 30)
  endif()
  # New inputs go to a scratch folder in the build tree; the seed corpus in the repo is
  # only read, so a CI run never dirties the checkout.
  set(seeds ${PROJECT_SOURCE_DIR}/fuzz/corpus/${name})
  set(scratch ${PROJECT_BINARY_DIR}/fuzz/work/${name})
  file(MAKE_DIRECTORY ${scratch})
  add_test(NAME ${name}
    COMMAND $<TARGET_FILE:${name}> -max_total_time=${LICET_FUZZ_SECONDS} -timeout=10
            -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=${scratch}/
            ${scratch} ${seeds})
  set_tests_properties(${name} PROPERTIES LABELS fuzz TIMEOUT 600)
endfunction()
