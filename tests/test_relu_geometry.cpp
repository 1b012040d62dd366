// Elhage's metrics of a W (search/relu_geometry.cpp): the feature dimensionality of the known geometries against
// their exact values r/k (a tight frame of k unit vectors spanning r dimensions has Σ_j cos²_ij = k/r for every i,
// so D_i = r/k), and the recognition of the geometry on those, on near misses, and on a random W.
#define BOOST_TEST_MODULE relu_geometry
#include <boost/test/unit_test.hpp>

#include "search/search.hpp"
#include "tests/test_support.hpp"

#include <Eigen/QR>

#include <cmath>
#include <numbers>

using namespace superpose;
using relu::Shape;

namespace {

const double pi = std::numbers::pi;

/// k unit vectors at angles 2πj/k in the plane (2×k).
Matrix<double> polygon(int k, double phase = 0) {
  Matrix<double> U(2, k);
  for (int j = 0; j < k; ++j) U.col(j) << std::cos(phase + 2 * pi * j / k), std::sin(phase + 2 * pi * j / k);
  return U;
}

/// The regular tetrahedron: alternate vertices of the cube, unit length (3×4).
Matrix<double> tetrahedron() {
  Matrix<double> U(3, 4);
  U << 1, 1, -1, -1, 1, -1, 1, -1, 1, -1, -1, 1;
  return U / std::sqrt(3.0);
}

/// The square antiprism with D_i = 3/8: two squares at heights ±h, the second turned by 45°. Its frame operator
/// Σ_j u_j u_jᵀ is diag(4, 4, 8h²)/(1 + h²) (the cross terms cancel), so it is tight exactly when 4 = 8h², h = 1/√2,
/// and then every D_i = 3/8. Computed here from that derivation, unit length (3×8).
Matrix<double> square_antiprism() {
  const double h = 1 / std::sqrt(2.0);
  Matrix<double> U(3, 8);
  for (int j = 0; j < 8; ++j) U.col(j) = Eigen::Vector3d(std::cos(j * pi / 4), std::sin(j * pi / 4), j % 2 ? -h : h).normalized();
  return U;
}

/// The cube (±1, ±1, ±1)/√3: also tight in R³ with 8 vectors (D_i = 3/8), but antipodal, not an antiprism.
Matrix<double> cube() {
  Matrix<double> U(3, 8);
  for (int j = 0; j < 8; ++j) U.col(j) << (j & 1 ? 1 : -1), (j & 2 ? 1 : -1), (j & 4 ? 1 : -1);
  return U / std::sqrt(3.0);
}

/// The blocks placed on orthogonal coordinates (block-diagonal), each block scaled, then a random rotation Q.
Matrix<double> assemble(const std::vector<std::pair<Matrix<double>, double>>& blocks, int zero_columns,
                        std::mt19937_64& rng) {
  Eigen::Index d = 0, n = zero_columns;
  for (const auto& b : blocks) d += b.first.rows(), n += b.first.cols();
  Matrix<double> W = Matrix<double>::Zero(d, n);
  Eigen::Index r = 0, c = 0;
  for (const auto& [U, s] : blocks) {
    W.block(r, c, U.rows(), U.cols()) = s * U;
    r += U.rows();
    c += U.cols();
  }
  const Matrix<double> G = test::random_gaussian_weights(static_cast<int>(d), static_cast<int>(d), 1.0, rng);
  const Matrix<double> Q = Eigen::HouseholderQR<Matrix<double>>(G).householderQ();
  return Q * W;
}

}  // namespace

BOOST_AUTO_TEST_CASE(dimensionality_of_known_geometries_is_exact) {
  std::mt19937_64 rng(7);
  const struct {
    const char* name;
    Matrix<double> U;
    double D;
  } cases[] = {{"antipodal pair", polygon(2), 1.0 / 2}, {"triangle", polygon(3), 2.0 / 3},
               {"pentagon", polygon(5), 2.0 / 5},       {"tetrahedron", tetrahedron(), 3.0 / 4},
               {"square antiprism", square_antiprism(), 3.0 / 8}};
  for (const auto& c : cases) {
    // In a larger space, rotated and scaled: D_i is invariant under W -> s·QW.
    const Matrix<double> W = assemble({{c.U, 1.7}}, 0, rng);
    const std::vector<double> D = feature_dimensionality(W);
    for (double x : D) {
      BOOST_TEST_INFO(c.name << ": D = " << x << ", exact " << c.D);
      BOOST_TEST(std::abs(x - c.D) < 1e-13);
    }
    const relu::FeatureGeometry g = relu::feature_geometry(W);
    // superposition Σ_{j≠i}(Ŵ_i·W_j)² = ‖W_i‖²(1/D_i − 1) for equal norms ‖W_i‖ = 1.7
    for (double s : g.superposition) BOOST_TEST(std::abs(s - 1.7 * 1.7 * (1 / c.D - 1)) < 1e-12);
    // dimensions per feature d/‖W‖_F² with d = the block's rows
    BOOST_TEST(std::abs(g.dimensions_per_feature - c.U.rows() / (1.7 * 1.7 * c.U.cols())) < 1e-14);
  }
}

BOOST_AUTO_TEST_CASE(recognises_each_shape_and_the_fractions) {
  std::mt19937_64 rng(11);
  // n = 1 + 2 + 3 + 5 + 4 + 8 + 1 short + 1 zero column = 25 features in d = 1 + 2 + 2 + 2 + 3 + 3 + 1 = 14
  // dimensions. The short feature (norm 0.01 < tolerance·max norm) is represented but weak: in no group.
  const Matrix<double> one = Matrix<double>::Ones(1, 1);
  const Matrix<double> W = assemble({{one, 1.0}, {polygon(2, 0.3), 0.9}, {polygon(3, 1.1), 1.2}, {polygon(5), 0.8},
                                     {tetrahedron(), 1.1}, {square_antiprism(), 1.0}, {one, 0.01}},
                                    1, rng);
  const relu::FeatureGeometry g = relu::feature_geometry(W);
  BOOST_TEST(g.represented.size() == 24u);
  BOOST_TEST(g.dimensionality[24] == 0.0);
  const Shape expected[] = {Shape::dedicated, Shape::digon,       Shape::triangle,
                            Shape::pentagon,  Shape::tetrahedron, Shape::square_antiprism};
  BOOST_TEST_REQUIRE(g.groups.size() == 6u);
  for (size_t k = 0; k < 6; ++k) {
    BOOST_TEST_INFO("group " << k << ": " << relu::to_string(g.groups[k].shape));
    BOOST_TEST((g.groups[k].shape == expected[k]));
  }
  const double n = 25;
  const double frac[] = {1 / n, 2 / n, 3 / n, 4 / n, 5 / n, 8 / n, 0};  // in enum order (tetrahedron before pentagon)
  for (int s = 0; s < relu::kShapeCount; ++s) BOOST_TEST(std::abs(g.fraction[s] - frac[s]) < 1e-15);
  BOOST_TEST(std::abs(g.weak_fraction - 1 / n) < 1e-15);
  BOOST_TEST(std::abs(g.unrepresented_fraction - 1 / n) < 1e-15);
}

BOOST_AUTO_TEST_CASE(near_misses_and_a_random_w_are_other) {
  std::mt19937_64 rng(3);
  // Three lines at 0°, 100°, 200°: connected, but not the triangle's Gram matrix.
  Matrix<double> bent(2, 3);
  for (int j = 0; j < 3; ++j) bent.col(j) << std::cos(j * 100 * pi / 180), std::sin(j * 100 * pi / 180);
  // An antipodal pair of unequal norms: cos = −1 but D = 1/(1 + 4) and 1/(1 + 1/4), not 1/2.
  Matrix<double> uneven(1, 2);
  uneven << 1, -2;
  const relu::FeatureGeometry g = relu::feature_geometry(assemble({{bent, 1.0}, {uneven, 1.0}, {cube(), 1.0}}, 0, rng));
  BOOST_TEST_REQUIRE(g.groups.size() == 3u);
  for (const auto& grp : g.groups) BOOST_TEST((grp.shape == Shape::other));
  // The cube is tight (D_i = 3/8) like the antiprism: only its Gram matrix tells them apart.
  for (int i = 5; i < 13; ++i) BOOST_TEST(std::abs(g.dimensionality[i] - 3.0 / 8) < 1e-13);
  BOOST_TEST(std::abs(g.fraction[static_cast<int>(Shape::other)] - 1.0) < 1e-15);

  // A random Gaussian W: every pair interferes, one group, no named shape.
  const relu::FeatureGeometry r = relu::feature_geometry(test::random_gaussian_weights(5, 12, 1.0, rng));
  BOOST_TEST(r.groups.size() == 1u);
  BOOST_TEST((r.groups[0].shape == Shape::other));
  for (double D : r.dimensionality) BOOST_TEST((D > 0 && D < 1));
}

BOOST_AUTO_TEST_CASE(bad_input_is_refused) {
  Matrix<double> W = Matrix<double>::Identity(2, 2);
  BOOST_CHECK_THROW(relu::feature_geometry(W, 0.0), InputError);
  BOOST_CHECK_THROW(relu::feature_geometry(W, 1.0), InputError);
  W(0, 1) = std::nan("");
  BOOST_CHECK_THROW(relu::feature_geometry(W), InputError);
  // W = 0: nothing represented, every feature unrepresented.
  const relu::FeatureGeometry z = relu::feature_geometry(Matrix<double>::Zero(2, 3));
  BOOST_TEST(z.groups.empty());
  BOOST_TEST(z.unrepresented_fraction == 1.0);
}
