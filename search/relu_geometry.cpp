// Elhage's feature dimensionality, superposition and the recognition of the geometry of a W (search/search.hpp,
// section "The ReLU model: feature geometry"; Elhage et al. 2022, "Toy Models of Superposition", section "Feature
// Dimensionality").
#include "search/search.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numbers>

namespace superpose {

std::vector<double> feature_dimensionality(const Matrix<double>& W) {
  std::vector<double> D(static_cast<size_t>(W.cols()), 0.0);
  const Matrix<double> A = W.transpose() * W;
  for (int i : represented_columns(W)) D[i] = A(i, i) * A(i, i) / A.col(i).squaredNorm();
  return D;
}

namespace relu {

namespace {

/// The unit vectors of each named shape (columns), from which its cosine rows are computed.
Matrix<double> shape_vectors(Shape s) {
  const double pi = std::numbers::pi;
  auto polygon = [pi](int k) {
    Matrix<double> U(2, k);
    for (int j = 0; j < k; ++j) U.col(j) << std::cos(2 * pi * j / k), std::sin(2 * pi * j / k);
    return U;
  };
  switch (s) {
    case Shape::dedicated: return Matrix<double>::Ones(1, 1);
    case Shape::digon: return polygon(2);
    case Shape::triangle: return polygon(3);
    case Shape::pentagon: return polygon(5);
    case Shape::tetrahedron: {
      Matrix<double> U(3, 4);
      U << 1, 1, -1, -1, 1, -1, 1, -1, 1, -1, -1, 1;
      return U / std::sqrt(3.0);
    }
    case Shape::square_antiprism: {
      Matrix<double> U(3, 8);
      for (int j = 0; j < 8; ++j)
        U.col(j) << std::cos(j * pi / 4), std::sin(j * pi / 4), (j % 2 ? -1 : 1) / std::sqrt(2.0);
      return U * std::sqrt(2.0 / 3.0);
    }
    case Shape::other: break;
  }
  return {};
}

/// Each row of the cosine Gram matrix G, sorted ascending.
std::vector<std::vector<double>> sorted_cosine_rows(const Matrix<double>& G) {
  std::vector<std::vector<double>> rows;
  for (Eigen::Index i = 0; i < G.rows(); ++i) {
    std::vector<double> r;
    for (Eigen::Index j = 0; j < G.cols(); ++j) r.push_back(G(i, j));
    std::sort(r.begin(), r.end());
    rows.push_back(std::move(r));
  }
  return rows;
}

constexpr std::array<Shape, 6> kNamedShapes = {Shape::dedicated, Shape::digon,      Shape::triangle,
                                               Shape::tetrahedron, Shape::pentagon, Shape::square_antiprism};

/// The shape of the group `idx` of W: the named shape with as many vertices whose D_i and sorted cosine rows match.
Shape recognise(const Matrix<double>& A, const std::vector<double>& D, const std::vector<int>& idx, double tol) {
  const Eigen::Index k = static_cast<Eigen::Index>(idx.size());
  Matrix<double> C(k, k);
  for (Eigen::Index a = 0; a < k; ++a)
    for (Eigen::Index b = 0; b < k; ++b)
      C(a, b) = A(idx[a], idx[b]) / std::sqrt(A(idx[a], idx[a]) * A(idx[b], idx[b]));
  const auto rows = sorted_cosine_rows(C);
  for (Shape s : kNamedShapes) {
    const Matrix<double> U = shape_vectors(s);
    if (U.cols() != k) continue;
    const double target = static_cast<double>(shape_dimensionality(s));
    bool ok = std::all_of(idx.begin(), idx.end(), [&](int i) { return std::abs(D[i] - target) <= tol; });
    const auto ref = sorted_cosine_rows(U.transpose() * U);  // every template is vertex-transitive: one row
    for (Eigen::Index a = 0; ok && a < k; ++a)
      for (Eigen::Index b = 0; ok && b < k; ++b) ok = std::abs(rows[a][b] - ref[0][b]) <= tol;
    if (ok) return s;
  }
  return Shape::other;
}

}  // namespace

std::string_view to_string(Shape s) {
  switch (s) {
    case Shape::dedicated: return "dedicated";
    case Shape::digon: return "digon";
    case Shape::triangle: return "triangle";
    case Shape::tetrahedron: return "tetrahedron";
    case Shape::pentagon: return "pentagon";
    case Shape::square_antiprism: return "square_antiprism";
    case Shape::other: break;
  }
  return "other";
}

Rational shape_dimensionality(Shape s) {
  switch (s) {
    case Shape::dedicated: return Rational(1);
    case Shape::digon: return Rational(1, 2);
    case Shape::triangle: return Rational(2, 3);
    case Shape::tetrahedron: return Rational(3, 4);
    case Shape::pentagon: return Rational(2, 5);
    case Shape::square_antiprism: return Rational(3, 8);
    case Shape::other: break;
  }
  return Rational(0);
}

FeatureGeometry feature_geometry(const Matrix<double>& W, double tolerance) {
  if (!W.allFinite()) throw InputError("W: every entry must be finite");
  if (!(tolerance > 0 && tolerance < 1))
    throw InputError("--tolerance: must lie in (0, 1) (got " + to_decimal(tolerance, 6) + ")");
  const Eigen::Index n = W.cols();
  FeatureGeometry g;
  const Matrix<double> A = W.transpose() * W;
  g.dimensionality = feature_dimensionality(W);
  g.represented = represented_columns(W);
  g.superposition.assign(static_cast<size_t>(n), 0.0);
  for (int i : g.represented) g.superposition[i] = (A.col(i).squaredNorm() - A(i, i) * A(i, i)) / A(i, i);
  const double frob2 = W.squaredNorm();
  g.dimensions_per_feature = frob2 > 0 ? static_cast<double>(W.rows()) / frob2 : std::numeric_limits<double>::infinity();

  // Connected components of the interference graph over the represented features (union-find).
  const double max_norm = std::sqrt(A.diagonal().maxCoeff() > 0 ? A.diagonal().maxCoeff() : 0.0);
  std::vector<int> parent(static_cast<size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) parent[i] = static_cast<int>(i);
  auto find = [&](int i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
  };
  std::vector<int> strong;  // represented features longer than tolerance·max_k ‖W_k‖: the ones grouped
  for (int i : g.represented)
    if (std::sqrt(A(i, i)) > tolerance * max_norm) strong.push_back(i);
  for (size_t a = 0; a < strong.size(); ++a)
    for (size_t b = a + 1; b < strong.size(); ++b) {
      const int i = strong[a], j = strong[b];
      const double overlap = std::abs(A(i, j)) / std::sqrt(std::min(A(i, i), A(j, j)));  // max of |Ŵ_i·W_j|, |Ŵ_j·W_i|
      if (overlap > tolerance * max_norm) parent[find(i)] = find(j);
    }
  std::vector<std::vector<int>> members(static_cast<size_t>(n));
  for (int i : strong) members[find(i)].push_back(i);
  for (int i : strong)
    if (find(i) == i) g.groups.push_back({Shape::other, members[i]});
  std::sort(g.groups.begin(), g.groups.end(),
            [](const ShapeGroup& x, const ShapeGroup& y) { return x.features.front() < y.features.front(); });

  g.shape.assign(static_cast<size_t>(n), Shape::other);
  g.fraction.assign(kShapeCount, 0.0);
  for (ShapeGroup& grp : g.groups) {
    grp.shape = recognise(A, g.dimensionality, grp.features, tolerance);
    for (int i : grp.features) g.shape[i] = grp.shape;
    g.fraction[static_cast<int>(grp.shape)] += static_cast<double>(grp.features.size()) / static_cast<double>(n);
  }
  g.unrepresented_fraction = static_cast<double>(n - static_cast<Eigen::Index>(g.represented.size())) / static_cast<double>(n);
  g.weak_fraction = static_cast<double>(g.represented.size() - strong.size()) / static_cast<double>(n);
  return g;
}

}  // namespace relu

}  // namespace superpose
