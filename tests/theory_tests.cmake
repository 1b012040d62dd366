foreach(t engine_exact engine_precision engine_montecarlo gradient identities)
  superpose_test(test_${t} test_${t}.cpp LIBS superpose_theory)
  target_include_directories(test_${t} PRIVATE ${PROJECT_SOURCE_DIR})
endforeach()
