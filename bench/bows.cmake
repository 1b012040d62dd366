# BOWS benchmarks (included by bench/CMakeLists.txt). Run: ./build/bench/bench_bows, and bench/bows_compare.sh for
# the comparison with PyTorch (docs/performance.md, "BOWS").
if(TARGET superpose_bows)
  add_executable(bench_bows bench_bows.cpp)
  target_link_libraries(bench_bows PRIVATE superpose_bows superpose_numerics benchmark::benchmark)
endif()
