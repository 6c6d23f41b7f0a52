// Helpers the nn ops' shape functions share: reading and checking attribute lists, merging
// dimensions that must agree, dtype families, and the spatial attributes of convolutions and
// pooling (strides, dilations, padding) validated once in the way TensorFlow validates them.
//
// The reference kernels call the same geometry functions on their known inputs, so inference
// and execution cannot disagree about an output size or a padding.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../../shape_functions.hpp"

namespace kiln::ops::nn {

// The dimensions of `shape` when its rank is known (the caller checked it is `rank`), else
// `rank` unknown dimensions: shape functions then propagate what they can.
inline std::vector<std::int64_t> dims_or_unknown(const Shape& shape, int rank) {
  if (shape.has_rank()) return shape.dims();
  return std::vector<std::int64_t>(static_cast<std::size_t>(rank), kUnknownDim);
}

// a * b where either may be unknown.
inline std::int64_t mul_dims(std::int64_t a, std::int64_t b) {
  if (a == kUnknownDim || b == kUnknownDim) return kUnknownDim;
  return checked_mul(a, b);
}

// A list(int) attribute that must hold exactly `count` entries (strides, ksize, dilations).
inline const Ints& int_list(const InferContext& ctx, const char* name, std::size_t count) {
  const Ints& v = ctx.attr<Ints>(name);
  if (v.size() != count) {
    throw ctx.error(Errc::invalid_attr, "attribute has the wrong number of entries")
        .attr(name)
        .expected(std::to_string(count) + " entries")
        .found(std::to_string(v.size()));
  }
  return v;
}

// Input i must be a floating-point tensor (what TensorFlow's op definition allows).
inline void expect_floating(const InferContext& ctx, int i) {
  if (!is_floating(ctx.dtype(i))) {
    throw ctx.error(Errc::type_mismatch, "op needs a floating-point input")
        .input(std::to_string(i))
        .expected("float16, bfloat16, float32 or float64")
        .found(dtype_name(ctx.dtype(i)));
  }
}

// Input i must be a number: anything but bool.
inline void expect_numeric(const InferContext& ctx, int i) {
  if (ctx.dtype(i) == DType::boolean) {
    throw ctx.error(Errc::type_mismatch, "op needs a numeric input")
        .input(std::to_string(i))
        .expected("a numeric dtype")
        .found(dtype_name(ctx.dtype(i)));
  }
}

// The spatial attributes of a 2-D convolution or pooling, validated.
struct Spatial2D {
  Layout4 layout{0, 1, 2, 3};
  std::int64_t stride_h = 1, stride_w = 1;
  std::int64_t dilation_h = 1, dilation_w = 1;
  std::string padding;
  // Only for padding == "EXPLICIT".
  std::int64_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
};

// A per-dimension attribute list (strides, dilations, ksize) must be 1 on batch and channels:
// TensorFlow's kernels refuse anything else, and so does Kiln.
inline void expect_unit_batch_and_channel(const InferContext& ctx, const Ints& v,
                                          const Layout4& layout, const char* name) {
  const auto n = static_cast<std::size_t>(layout.n), c = static_cast<std::size_t>(layout.c);
  if (v[n] != 1 || v[c] != 1) {
    throw ctx.error(Errc::invalid_attr, "only the spatial dimensions may differ from 1")
        .attr(name)
        .expected("1 in the batch and channel entries")
        .found(attr_text(AttrValue(v)));
  }
}

// Reads data_format, strides, padding and, when the op has them, dilations and
// explicit_paddings. Every value is checked here, so a kernel can trust them.
inline Spatial2D spatial_attrs(const InferContext& ctx, bool has_dilations, bool allow_explicit) {
  Spatial2D s;
  s.layout = layout_of(ctx, ctx.attr<std::string>("data_format"));
  const Ints& strides = int_list(ctx, "strides", 4);
  for (std::int64_t v : strides) {
    if (v <= 0) {
      throw ctx.error(Errc::invalid_attr, "strides must be positive")
          .attr("strides")
          .expected("> 0")
          .found(std::to_string(v));
    }
  }
  expect_unit_batch_and_channel(ctx, strides, s.layout, "strides");
  s.stride_h = strides[static_cast<std::size_t>(s.layout.h)];
  s.stride_w = strides[static_cast<std::size_t>(s.layout.w)];
  if (has_dilations) {
    const Ints& dilations = int_list(ctx, "dilations", 4);
    for (std::int64_t v : dilations) {
      if (v <= 0) {
        throw ctx.error(Errc::invalid_attr, "dilations must be positive")
            .attr("dilations")
            .expected(">= 1")
            .found(std::to_string(v));
      }
    }
    expect_unit_batch_and_channel(ctx, dilations, s.layout, "dilations");
    s.dilation_h = dilations[static_cast<std::size_t>(s.layout.h)];
    s.dilation_w = dilations[static_cast<std::size_t>(s.layout.w)];
  }
  s.padding = ctx.attr<std::string>("padding");
  const bool known =
      s.padding == "SAME" || s.padding == "VALID" || (allow_explicit && s.padding == "EXPLICIT");
  if (!known) {
    throw ctx.error(Errc::invalid_attr, "unknown padding")
        .attr("padding")
        .expected(allow_explicit ? "SAME, VALID or EXPLICIT" : "SAME or VALID")
        .found(s.padding);
  }
  if (!allow_explicit) return s;
  const Ints& explicit_paddings = ctx.attr<Ints>("explicit_paddings");
  if (s.padding != "EXPLICIT") {
    if (!explicit_paddings.empty()) {
      throw ctx.error(Errc::invalid_attr, "explicit_paddings given without EXPLICIT padding")
          .attr("explicit_paddings")
          .found(attr_text(AttrValue(explicit_paddings)));
    }
    return s;
  }
  // Eight numbers: (before, after) for each dimension, in the data format's order.
  if (explicit_paddings.size() != 8) {
    throw ctx.error(Errc::invalid_attr, "explicit_paddings needs a (before, after) pair per dim")
        .attr("explicit_paddings")
        .expected("8 entries")
        .found(std::to_string(explicit_paddings.size()));
  }
  for (std::int64_t v : explicit_paddings) {
    if (v < 0) {
      throw ctx.error(Errc::invalid_attr, "explicit padding must be non-negative")
          .attr("explicit_paddings")
          .found(std::to_string(v));
    }
  }
  auto pad = [&](int dim, int side) {
    return explicit_paddings[static_cast<std::size_t>(2 * dim + side)];
  };
  if (pad(s.layout.n, 0) || pad(s.layout.n, 1) || pad(s.layout.c, 0) || pad(s.layout.c, 1)) {
    throw ctx.error(Errc::invalid_attr, "padding the batch or channel dimension is not supported")
        .attr("explicit_paddings")
        .found(attr_text(AttrValue(explicit_paddings)));
  }
  s.pad_top = pad(s.layout.h, 0);
  s.pad_bottom = pad(s.layout.h, 1);
  s.pad_left = pad(s.layout.w, 0);
  s.pad_right = pad(s.layout.w, 1);
  return s;
}

// window() for one spatial dimension, tolerating an unknown window size: SAME padding does
// not need it to size the output, VALID and EXPLICIT then give an unknown size.
inline Window spatial_window(const InferContext& ctx, std::int64_t in, std::int64_t k,
                             std::int64_t stride, std::int64_t dilation, const std::string& padding,
                             std::int64_t before, std::int64_t after) {
  if (k != kUnknownDim) return window(ctx, in, k, stride, dilation, padding, before, after);
  Window w = window(ctx, in, 1, stride, dilation, padding, before, after);
  if (padding != "SAME") w.out = kUnknownDim;
  return w;
}

// A 4-D shape from its batch, spatial and channel sizes, placed as the layout says.
inline Shape shape_in_layout(const Layout4& layout, std::int64_t n, std::int64_t h, std::int64_t w,
                             std::int64_t c) {
  std::vector<std::int64_t> dims(4);
  dims[static_cast<std::size_t>(layout.n)] = n;
  dims[static_cast<std::size_t>(layout.h)] = h;
  dims[static_cast<std::size_t>(layout.w)] = w;
  dims[static_cast<std::size_t>(layout.c)] = c;
  return Shape(dims);
}

}  // namespace kiln::ops::nn
