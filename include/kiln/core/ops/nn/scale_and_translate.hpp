// ScaleAndTranslate: images [N, H, W, C] resampled to `size` = [new_height, new_width] through
// a scale and a translation per axis (output pixel centre x + 0.5 maps to input position
// (x + 0.5 - translation) / scale), with one of eight sampling kernels, as float32. It is what
// tf.image.resize emits for antialias=True and for the kernels only it has (lanczos3, lanczos5,
// gaussian, mitchellcubic). With antialias, downsampling widens the kernel by 1 / scale so that
// it filters out what the coarser grid cannot hold.
#pragma once

#include <array>
#include <cctype>
#include <cmath>
#include <optional>

#include "resize.hpp"

namespace kiln::ops::nn {

enum class SamplingKernel {
  lanczos1,
  lanczos3,
  lanczos5,
  gaussian,
  box,
  triangle,
  keys_cubic,
  mitchell_cubic
};

// kernel_type, read as TensorFlow reads it: case does not matter.
inline SamplingKernel sampling_kernel(const InferContext& ctx) {
  const std::string& text = ctx.attr<std::string>("kernel_type");
  std::string name;
  for (char ch : text) name += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  static const std::array<std::pair<const char*, SamplingKernel>, 8> kernels = {{
      {"lanczos1", SamplingKernel::lanczos1},
      {"lanczos3", SamplingKernel::lanczos3},
      {"lanczos5", SamplingKernel::lanczos5},
      {"gaussian", SamplingKernel::gaussian},
      {"box", SamplingKernel::box},
      {"triangle", SamplingKernel::triangle},
      {"keyscubic", SamplingKernel::keys_cubic},
      {"mitchellcubic", SamplingKernel::mitchell_cubic},
  }};
  for (const auto& [known, kernel] : kernels) {
    if (name == known) return kernel;
  }
  throw ctx.error(Errc::invalid_attr, "unknown sampling kernel")
      .attr("kernel_type")
      .expected("lanczos1, lanczos3, lanczos5, gaussian, box, triangle, keyscubic or "
                "mitchellcubic")
      .found(text);
}

// One axis's scale (output pixels per input pixel) and translation (in output pixels).
struct AxisTransform {
  float scale = 1;
  float translation = 0;
};

// A float32 vector input of two entries, [rows, columns], or nothing when its value is unknown.
inline std::optional<std::array<float, 2>> two_floats(const InferContext& ctx, int i,
                                                      const std::string& what) {
  array::expect_dtype(ctx, i, DType::float32);
  const std::int64_t length = array::vector_length(ctx, i);
  if (length != kUnknownDim && length != 2) {
    throw ctx.error(Errc::invalid_argument, what + " must hold a row and a column entry")
        .input(std::to_string(i))
        .expected("2 entries")
        .found(std::to_string(length));
  }
  const Tensor* value = ctx.value(i);
  if (value == nullptr) return std::nullopt;
  return std::array<float, 2>{value->data<float>()[0], value->data<float>()[1]};
}

// The rows' and columns' transforms when both inputs are known. A scale must be positive and
// finite (TensorFlow refuses the rest but an infinite one). A translation may be anything:
// an infinite or NaN one moves every sample off the image, so the output is zeros.
inline std::optional<std::array<AxisTransform, 2>> axis_transforms(const InferContext& ctx) {
  const std::optional<std::array<float, 2>> scale = two_floats(ctx, 2, "scale");
  const std::optional<std::array<float, 2>> translation = two_floats(ctx, 3, "translation");
  if (scale) {
    for (float s : *scale) {
      if (!(s > 0) || !std::isfinite(s)) {
        throw ctx.error(Errc::invalid_argument, "scale must be positive and finite")
            .input("2")
            .found(std::to_string((*scale)[0]) + ", " + std::to_string((*scale)[1]));
      }
    }
  }
  if (!scale || !translation) return std::nullopt;
  return std::array<AxisTransform, 2>{AxisTransform{(*scale)[0], (*translation)[0]},
                                      AxisTransform{(*scale)[1], (*translation)[1]}};
}

inline std::vector<TensorType> infer_scale_and_translate(const InferContext& ctx) {
  sampling_kernel(ctx);
  ctx.attr<bool>("antialias");
  const std::vector<std::int64_t> image = image_dims(ctx, 0);
  if (image[3] == 0) {
    throw ctx.error(Errc::invalid_argument, "the image must have at least one channel")
        .input("0")
        .found(ctx.shape(0).str());
  }
  const std::optional<Ints> size = two_positive_sizes(ctx, 1, "the output size");
  axis_transforms(ctx);
  return {{DType::float32,
           array::checked_shape(ctx, {image[0], size ? (*size)[0] : kUnknownDim,
                                      size ? (*size)[1] : kUnknownDim, image[3]})}};
}

inline void register_scale_and_translate_ops(OpCatalogue& c) {
  c.add(op("ScaleAndTranslate")
            .inputs(4)
            .attrs({{"T", {}}, {"kernel_type", std::string("lanczos3")}, {"antialias", true}})
            .input_types({"T", "", "", ""})
            .infer(infer_scale_and_translate));
}

}  // namespace kiln::ops::nn
