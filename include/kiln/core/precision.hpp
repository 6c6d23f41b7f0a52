// The arithmetic a compiled model's heavy products use. f32 (the default) computes everything as
// the SavedModel says. bf16 is opt-in: convolutions and matrix products with constant weights
// compute in bfloat16 (weights converted once, at compile; sums and epilogues in float32), a
// value passed from one such product to another stays bfloat16, and every other op, and the
// model's inputs and outputs, stay float32 (optimizer/bf16_products.hpp). bfloat16 keeps float32's range but only 8 bits of mantissa (about 2-3
// significant digits), so outputs move by roughly 1e-3 to 1e-2 of their scale: measure it on
// your inputs (`kiln bench --precision bf16` prints the difference) before you ship it.
#pragma once

#include <string>
#include <string_view>

#include "error.hpp"

namespace kiln {

enum class Precision { f32, bf16 };

inline const char* precision_name(Precision p) { return p == Precision::bf16 ? "bf16" : "f32"; }

inline Precision precision_from_name(std::string_view name) {
  if (name == "f32" || name == "float32") return Precision::f32;
  if (name == "bf16" || name == "bfloat16") return Precision::bf16;
  throw Error(Errc::invalid_argument, "unknown precision")
      .expected("f32 or bf16")
      .found(std::string(name));
}

}  // namespace kiln
