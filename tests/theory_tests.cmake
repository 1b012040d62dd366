foreach(t numerics engine_exact engine_precision engine_montecarlo gradient identities reference enclosure double_interval bounds)
  superpose_test(test_${t} test_${t}.cpp LIBS superpose_theory)
endforeach()
foreach(t constructions optimize certify relu_geometry relu_train)
  superpose_test(test_${t} test_${t}.cpp LIBS superpose_verify)
endforeach()
# Tests that run the `superpose` binary (tests/cli_sandbox.hpp).
foreach(t cli experiments core check sweep validation relu relu_cli relu_compare)
  superpose_test(test_${t} test_${t}.cpp LIBS superpose_verify nlohmann_json::nlohmann_json)
  add_dependencies(test_${t} superpose)
endforeach()
# The checked-in reference table is what its independent generator (standard-library Python, exact rationals,
# cross-checked by enumeration) prints today, byte for byte.
add_test(NAME reference_table_current
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/tools/make_reference.py
                 --check ${CMAKE_CURRENT_SOURCE_DIR}/data/gain_reference.ipp)
# docs/cli-reference.md is the verbatim --help of every command, and every option docs/cli.md names exists.
add_test(NAME cli_doc
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/tools/check_cli_doc.py --check $<TARGET_FILE:superpose>)
# verify under mpirun -np 3 (issue 10): rows identical to one process; stopped and killed runs resume.
if(SUPERPOSE_MPI AND MPIEXEC_EXECUTABLE)
  add_test(NAME mpi_verify
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/tools/mpi_verify_test.sh $<TARGET_FILE:superpose> ${MPIEXEC_EXECUTABLE})
endif()
# The certified table of F*_n(d, m) in docs/theory.md §5.8 is what the committed certificates say, and every one of
# them passes `superpose check-certificate` from scratch; corrupted copies are rejected (issue 13).
add_test(NAME fstar_certificates
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/tools/check_fstar_certificates.py --check
                 $<TARGET_FILE:superpose> ${PROJECT_SOURCE_DIR}/data/fstar/certificates.tar.xz
                 ${PROJECT_SOURCE_DIR}/docs/theory.md)
# The ReLU model's exact routes for the symmetric value laws (issue 12).
superpose_test(test_relu_laws test_relu_laws.cpp LIBS superpose_theory)
