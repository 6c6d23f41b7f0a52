// Sliding-window device kernels on NHWC tensors: the patch matrix of a convolution (im2col, which
// turns it into one cuBLASLt product), depthwise convolution, max and average pooling. One thread
// per output element; coordinates outside the image read as padding.
#include <cfloat>

#include "grid.cuh"
#include "launch.hpp"

namespace kiln::cuda_kernels {

namespace {

// The output pixel (n, oy, ox) of flat pixel index p.
struct Pixel {
  i64 n, oy, ox;
};
__device__ Pixel pixel_of(i64 p, const Window& w) {
  return {p / (w.out_height * w.out_width), (p / w.out_width) % w.out_height, p % w.out_width};
}

// Row p of the patch matrix, column (ky, kx, c).
__global__ void im2col_kernel(const float* x, float* columns, Window w, i64 n) {
  const i64 row_length = w.kernel_h * w.kernel_w * w.channels;
  KILN_FOR_EACH(i, n) {
    const i64 p = i / row_length, k = i % row_length;
    const i64 c = k % w.channels, kx = (k / w.channels) % w.kernel_w,
              ky = k / (w.channels * w.kernel_w);
    const Pixel px = pixel_of(p, w);
    const i64 iy = px.oy * w.stride_h - w.pad_top + ky * w.dilation_h;
    const i64 ix = px.ox * w.stride_w - w.pad_left + kx * w.dilation_w;
    const bool inside = iy >= 0 && iy < w.height && ix >= 0 && ix < w.width;
    columns[i] = inside ? x[((px.n * w.height + iy) * w.width + ix) * w.channels + c] : 0.f;
  }
}

__global__ void depthwise_kernel(const float* x, const float* filter, float* y, Window w,
                                 i64 multiplier, i64 n) {
  const i64 out_channels = w.channels * multiplier;
  KILN_FOR_EACH(i, n) {
    const i64 oc = i % out_channels, c = oc / multiplier, m = oc % multiplier;
    const Pixel px = pixel_of(i / out_channels, w);
    float sum = 0.f;
    for (i64 ky = 0; ky < w.kernel_h; ++ky) {
      const i64 iy = px.oy * w.stride_h - w.pad_top + ky * w.dilation_h;
      if (iy < 0 || iy >= w.height) continue;
      for (i64 kx = 0; kx < w.kernel_w; ++kx) {
        const i64 ix = px.ox * w.stride_w - w.pad_left + kx * w.dilation_w;
        if (ix < 0 || ix >= w.width) continue;
        sum += x[((px.n * w.height + iy) * w.width + ix) * w.channels + c] *
               filter[((ky * w.kernel_w + kx) * w.channels + c) * multiplier + m];
      }
    }
    y[i] = sum;
  }
}

template <bool kMax>
__global__ void pool_kernel(const float* x, float* y, Window w, i64 n) {
  KILN_FOR_EACH(i, n) {
    const i64 c = i % w.channels;
    const Pixel px = pixel_of(i / w.channels, w);
    float acc = kMax ? -FLT_MAX : 0.f;
    i64 count = 0;
    for (i64 ky = 0; ky < w.kernel_h; ++ky) {
      const i64 iy = px.oy * w.stride_h - w.pad_top + ky;
      if (iy < 0 || iy >= w.height) continue;
      for (i64 kx = 0; kx < w.kernel_w; ++kx) {
        const i64 ix = px.ox * w.stride_w - w.pad_left + kx;
        if (ix < 0 || ix >= w.width) continue;
        const float v = x[((px.n * w.height + iy) * w.width + ix) * w.channels + c];
        acc = kMax ? fmaxf(acc, v) : acc + v;
        ++count;
      }
    }
    y[i] = kMax ? acc : (count > 0 ? acc / static_cast<float>(count) : 0.f);
  }
}

i64 outputs_of(const Window& w, i64 channels) {
  return w.batch * w.out_height * w.out_width * channels;
}

}  // namespace

void im2col(const float* x, float* columns, const Window& w, cudaStream_t stream) {
  const i64 n = outputs_of(w, w.kernel_h * w.kernel_w * w.channels);
  im2col_kernel<<<blocks_for(n), kThreads, 0, stream>>>(x, columns, w, n);
}

void depthwise_conv(const float* x, const float* filter, float* y, const Window& w, i64 multiplier,
                    cudaStream_t stream) {
  const i64 n = outputs_of(w, w.channels * multiplier);
  depthwise_kernel<<<blocks_for(n), kThreads, 0, stream>>>(x, filter, y, w, multiplier, n);
}

void max_pool(const float* x, float* y, const Window& w, cudaStream_t stream) {
  const i64 n = outputs_of(w, w.channels);
  pool_kernel<true><<<blocks_for(n), kThreads, 0, stream>>>(x, y, w, n);
}

void avg_pool(const float* x, float* y, const Window& w, cudaStream_t stream) {
  const i64 n = outputs_of(w, w.channels);
  pool_kernel<false><<<blocks_for(n), kThreads, 0, stream>>>(x, y, w, n);
}

}  // namespace kiln::cuda_kernels
