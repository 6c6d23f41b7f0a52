// One recorded run of a TensorFlow op (see make_array_cases.py): inputs, attributes, and the
// outputs TensorFlow returned, or the fact that it refused the inputs.
#pragma once

#include <string>
#include <vector>

#include "../support.hpp"

namespace kiln::test {

// A tensor written out as numbers. Doubles carry every value the cases use exactly (integers
// stay below 2^53; floats are printed from their exact binary value).
struct Literal {
  DType dtype;
  std::vector<std::int64_t> shape;
  std::vector<double> values;

  Tensor tensor() const {
    Tensor t(dtype, Shape(shape));
    dispatch(dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* data = t.data<T>();
      for (std::size_t i = 0; i < values.size(); ++i) {
        if constexpr (std::is_same_v<T, half> || std::is_same_v<T, bfloat16>) {
          data[i] = T(static_cast<float>(values[i]));
        } else {
          data[i] = static_cast<T>(values[i]);
        }
      }
    });
    return t;
  }
};

struct ArrayCase {
  std::string name;
  std::string op;
  std::vector<Literal> inputs;
  Attrs attrs;
  std::vector<Literal> outputs;
  bool fails;
};

}  // namespace kiln::test
