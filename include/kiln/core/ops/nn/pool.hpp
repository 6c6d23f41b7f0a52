// MaxPool and AvgPool over the two spatial dimensions.
//
// MaxPool treats padding as -infinity; AvgPool divides by the number of cells of the window
// that fall inside the input, so SAME padding never dilutes a border average with zeros.
#pragma once

#include "common.hpp"

namespace kiln::ops::nn {

struct PoolGeometry {
  Spatial2D attrs;
  std::int64_t batch = kUnknownDim, in_h = kUnknownDim, in_w = kUnknownDim;
  std::int64_t channels = kUnknownDim;
  std::int64_t k_h = 1, k_w = 1;
  Window h, w;

  Shape output_shape() const {
    return shape_in_layout(attrs.layout, batch, h.out, w.out, channels);
  }
};

inline PoolGeometry pool_geometry(const InferContext& ctx, bool allow_explicit) {
  ctx.expect_rank(0, 4);
  PoolGeometry g;
  g.attrs = spatial_attrs(ctx, /*has_dilations=*/false, allow_explicit);
  const Layout4& l = g.attrs.layout;
  const Ints& ksize = int_list(ctx, "ksize", 4);
  for (std::int64_t v : ksize) {
    if (v <= 0) {
      throw ctx.error(Errc::invalid_attr, "window sizes must be positive")
          .attr("ksize")
          .expected("> 0")
          .found(std::to_string(v));
    }
  }
  // TensorFlow pools across depth only in a special CPU kernel, never across the batch; no
  // Keras layer emits either, so Kiln pools over height and width only.
  if (ksize[static_cast<std::size_t>(l.n)] != 1 || ksize[static_cast<std::size_t>(l.c)] != 1) {
    throw ctx.error(Errc::unsupported, "pooling across the batch or channels is not supported")
        .attr("ksize")
        .expected("1 in the batch and channel entries")
        .found(attr_text(AttrValue(ksize)));
  }
  g.k_h = ksize[static_cast<std::size_t>(l.h)];
  g.k_w = ksize[static_cast<std::size_t>(l.w)];
  const Spatial2D& s = g.attrs;
  // A window that lies wholly in the padding would have nothing to pool.
  if (s.pad_top >= g.k_h || s.pad_bottom >= g.k_h || s.pad_left >= g.k_w || s.pad_right >= g.k_w) {
    throw ctx.error(Errc::invalid_attr, "explicit padding must be smaller than the window")
        .attr("explicit_paddings")
        .expected("< " + std::to_string(g.k_h) + " rows and < " + std::to_string(g.k_w) +
                  " columns")
        .found(attr_text(AttrValue(ctx.attr<Ints>("explicit_paddings"))));
  }
  const auto in = dims_or_unknown(ctx.shape(0), 4);
  g.batch = in[static_cast<std::size_t>(l.n)];
  g.in_h = in[static_cast<std::size_t>(l.h)];
  g.in_w = in[static_cast<std::size_t>(l.w)];
  g.channels = in[static_cast<std::size_t>(l.c)];
  g.h = window(ctx, g.in_h, g.k_h, s.stride_h, 1, s.padding, s.pad_top, s.pad_bottom);
  g.w = window(ctx, g.in_w, g.k_w, s.stride_w, 1, s.padding, s.pad_left, s.pad_right);
  return g;
}

inline std::vector<TensorType> infer_max_pool(const InferContext& ctx) {
  expect_numeric(ctx, 0);
  return {{ctx.dtype(0), pool_geometry(ctx, /*allow_explicit=*/true).output_shape()}};
}

inline std::vector<TensorType> infer_avg_pool(const InferContext& ctx) {
  expect_floating(ctx, 0);
  return {{ctx.dtype(0), pool_geometry(ctx, /*allow_explicit=*/false).output_shape()}};
}

inline void register_pool_ops(OpCatalogue& c) {
  c.add(op("MaxPool")
            .inputs(1)
            .attrs({{"T", DType::float32},  // MaxPool is the one pooling op with a default T
                    {"ksize", {}},
                    {"strides", {}},
                    {"padding", {}},
                    {"explicit_paddings", Ints{}},
                    {"data_format", std::string("NHWC")}})
            .input_types({"T"})
            .infer(infer_max_pool));
  c.add(op("AvgPool")
            .inputs(1)
            .attrs({{"T", {}},
                    {"ksize", {}},
                    {"strides", {}},
                    {"padding", {}},
                    {"data_format", std::string("NHWC")}})
            .input_types({"T"})
            .infer(infer_avg_pool));
}

}  // namespace kiln::ops::nn
