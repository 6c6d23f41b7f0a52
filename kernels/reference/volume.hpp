// What the reference loops over volumes (conv_volume.hpp, pool_volume.hpp) share: element
// strides and filter-tap positions for the volume geometry of core/ops/nn/volume.hpp. A 4-D
// tensor is a volume of depth 1 whose depth stride is 0, so each loop serves both ranks.
#pragma once

#include <vector>

#include <kiln/core/ops/nn/volume.hpp>

#include "conv.hpp"
#include "nn_support.hpp"

namespace kiln::reference::nn {

using ops::nn::Triple;
using ops::nn::VolumeGeometry;
using ops::nn::VolumeLayout;

// Element strides of batch, channels and the three spatial dimensions of a tensor in `layout`
// (0 for the missing depth of a 4-D tensor, whose size is 1).
struct VolumeStrides {
  std::int64_t n = 0, c = 0;
  Triple s{0, 0, 0};

  std::int64_t at(std::int64_t batch, std::int64_t d, std::int64_t h, std::int64_t w) const {
    return batch * n + d * s[0] + h * s[1] + w * s[2];
  }
};

inline VolumeStrides volume_strides(const Shape& shape, const VolumeLayout& layout) {
  const std::vector<std::int64_t> strides = strides_of(shape);
  VolumeStrides v;
  v.n = strides[static_cast<std::size_t>(layout.n)];
  v.c = strides[static_cast<std::size_t>(layout.c)];
  for (std::size_t i = 0; i < 3; ++i) {
    if (layout.spatial[i] >= 0) v.s[i] = strides[static_cast<std::size_t>(layout.spatial[i])];
  }
  return v;
}

// The forward input position that filter tap `tap` of output position `out` reads along
// spatial dimension i, or -1 in the padding (tap_position of the 2-D convolutions).
inline std::int64_t volume_tap(const VolumeGeometry& g, std::size_t i, std::int64_t out,
                               std::int64_t tap) {
  return tap_position(out, tap, g.attrs.stride[i], g.attrs.dilation[i], g.win[i].pad_before,
                      g.in[i]);
}

// The forward output position whose filter tap `tap` reads input position `in` along spatial
// dimension i, or -1 when no window reads it through that tap (the inverse of volume_tap).
inline std::int64_t volume_source(const VolumeGeometry& g, std::size_t i, std::int64_t in,
                                  std::int64_t tap) {
  const std::int64_t offset = in + g.win[i].pad_before - tap * g.attrs.dilation[i];
  if (offset < 0 || offset % g.attrs.stride[i] != 0) return -1;
  const std::int64_t out = offset / g.attrs.stride[i];
  return out < g.win[i].out ? out : -1;
}

}  // namespace kiln::reference::nn
