// Shape: a list of 64-bit dimensions, possibly partly unknown (-1) or of unknown rank.
//
// Shapes come from files, and a file can lie: every product is checked for overflow, and
// negative or absurd dimensions are rejected with an Error instead of wrapping around.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <vector>

#include "error.hpp"

namespace kiln {

constexpr std::int64_t kUnknownDim = -1;
constexpr int kMaxRank = 32;  // TensorFlow allows 254; no real model comes near 32

// a * b for non-negative counts, or an Error if it does not fit in 63 bits.
inline std::int64_t checked_mul(std::int64_t a, std::int64_t b) {
  if (a < 0 || b < 0) throw Error(Errc::internal, "checked_mul of a negative count");
  if (a != 0 && b > std::numeric_limits<std::int64_t>::max() / a) {
    throw Error(Errc::limit_exceeded, "element count overflows 64 bits")
        .found(std::to_string(a) + " x " + std::to_string(b));
  }
  return a * b;
}

inline std::int64_t checked_add(std::int64_t a, std::int64_t b) {
  if (a < 0 || b < 0) throw Error(Errc::internal, "checked_add of a negative count");
  if (b > std::numeric_limits<std::int64_t>::max() - a) {
    throw Error(Errc::limit_exceeded, "size overflows 64 bits");
  }
  return a + b;
}

class Shape {
 public:
  Shape() = default;  // a scalar: rank 0, one element
  Shape(std::initializer_list<std::int64_t> dims) : Shape(std::vector<std::int64_t>(dims)) {}
  explicit Shape(std::vector<std::int64_t> dims) : dims_(std::move(dims)) { validate(); }

  static Shape unknown_rank() {
    Shape s;
    s.known_rank_ = false;
    return s;
  }
  // A shape of the given rank whose every dimension is unknown.
  static Shape unknown_dims(int rank) {
    return Shape(std::vector<std::int64_t>(static_cast<std::size_t>(rank), kUnknownDim));
  }

  bool has_rank() const { return known_rank_; }
  int rank() const {
    if (!known_rank_) throw Error(Errc::shape_mismatch, "rank of a shape of unknown rank");
    return static_cast<int>(dims_.size());
  }
  const std::vector<std::int64_t>& dims() const { return dims_; }

  // dim(i) accepts negative indices like Python: dim(-1) is the last dimension.
  std::int64_t dim(int i) const { return dims_.at(static_cast<std::size_t>(normalize(i))); }
  std::int64_t operator[](int i) const { return dim(i); }
  void set_dim(int i, std::int64_t value) {
    dims_.at(static_cast<std::size_t>(normalize(i))) = value;
    validate();
  }

  bool is_fully_known() const {
    if (!known_rank_) return false;
    for (auto d : dims_) {
      if (d < 0) return false;
    }
    return true;
  }

  // Product of the dimensions; throws if any is unknown or the product overflows.
  std::int64_t num_elements() const {
    if (!is_fully_known()) {
      throw Error(Errc::shape_mismatch, "element count of a partly unknown shape").found(str());
    }
    std::int64_t n = 1;
    for (auto d : dims_) n = checked_mul(n, d);
    return n;
  }

  // "[2,3,?]" for known rank, "<unknown>" otherwise. Scalars print as "[]".
  std::string str() const {
    if (!known_rank_) return "<unknown>";
    std::string s = "[";
    for (std::size_t i = 0; i < dims_.size(); ++i) {
      if (i) s += ",";
      s += dims_[i] < 0 ? "?" : std::to_string(dims_[i]);
    }
    return s + "]";
  }

  // True when the two shapes could describe the same tensor (unknowns match anything).
  bool compatible_with(const Shape& other) const {
    if (!known_rank_ || !other.known_rank_) return true;
    if (dims_.size() != other.dims_.size()) return false;
    for (std::size_t i = 0; i < dims_.size(); ++i) {
      if (dims_[i] >= 0 && other.dims_[i] >= 0 && dims_[i] != other.dims_[i]) return false;
    }
    return true;
  }

  friend bool operator==(const Shape& a, const Shape& b) {
    return a.known_rank_ == b.known_rank_ && a.dims_ == b.dims_;
  }
  friend bool operator!=(const Shape& a, const Shape& b) { return !(a == b); }

 private:
  int normalize(int i) const {
    const int r = rank();
    if (i < -r || i >= r) {
      throw Error(Errc::shape_mismatch, "dimension index out of range")
          .expected("an index in [" + std::to_string(-r) + ", " + std::to_string(r) + ")")
          .found(std::to_string(i));
    }
    return i < 0 ? i + r : i;
  }
  void validate() const {
    if (dims_.size() > static_cast<std::size_t>(kMaxRank)) {
      throw Error(Errc::limit_exceeded, "rank exceeds Kiln's limit")
          .expected("rank <= " + std::to_string(kMaxRank))
          .found(std::to_string(dims_.size()));
    }
    for (auto d : dims_) {
      if (d < kUnknownDim) {
        throw Error(Errc::shape_mismatch, "negative dimension").found(std::to_string(d));
      }
    }
  }

  std::vector<std::int64_t> dims_;
  bool known_rank_ = true;
};

}  // namespace kiln
