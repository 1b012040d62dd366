# BOWS tests (bows/). Included by tests/CMakeLists.txt when the superpose_bows target exists.
# test_bows_data runs the CLI (SUPERPOSE_CLI) for the exit-code checks, so it depends on the superpose target.
superpose_test(test_bows_data test_bows_data.cpp LIBS superpose_bows superpose_numerics)
add_dependencies(test_bows_data superpose)
superpose_test(test_bows_model test_bows_model.cpp LIBS superpose_bows superpose_numerics)
superpose_test(test_bows_measures test_bows_measures.cpp LIBS superpose_bows superpose_numerics)
