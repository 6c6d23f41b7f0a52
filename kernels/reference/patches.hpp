// Reference kernel for ExtractImagePatches: copies every window cell into the channel
// dimension, zeros where the window lies in the padding. A pure copy, so any element type.
#pragma once

#include <algorithm>
#include <vector>

#include <kiln/core/ops/nn/patches.hpp>

#include "volume.hpp"

namespace kiln::reference::nn {

inline void extract_image_patches_kernel(const Node& node, const std::vector<Tensor>& inputs,
                                         std::vector<Tensor>& outputs) {
  const VolumeGeometry g = ops::nn::patches_geometry(known_context(node, inputs));
  const Triple o = g.out();
  dispatch(inputs[0].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* x = inputs[0].data<T>();
    T* y = outputs[0].data<T>();
    for (std::int64_t n = 0; n < g.batch; ++n) {
      for (std::int64_t oh = 0; oh < o[1]; ++oh) {
        for (std::int64_t ow = 0; ow < o[2]; ++ow) {
          T* patch = y + ((n * o[1] + oh) * o[2] + ow) * g.out_c;
          for (std::int64_t kh = 0; kh < g.k[1]; ++kh) {
            const std::int64_t ih = volume_tap(g, 1, oh, kh);
            for (std::int64_t kw = 0; kw < g.k[2]; ++kw) {
              const std::int64_t iw = volume_tap(g, 2, ow, kw);
              T* cell = patch + (kh * g.k[2] + kw) * g.in_c;
              if (ih < 0 || iw < 0) {
                std::fill(cell, cell + g.in_c, T{});
                continue;
              }
              const T* from = x + ((n * g.in[1] + ih) * g.in[2] + iw) * g.in_c;
              std::copy(from, from + g.in_c, cell);
            }
          }
        }
      }
    }
  });
}

}  // namespace kiln::reference::nn
