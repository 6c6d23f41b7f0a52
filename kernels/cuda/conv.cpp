// Conv2D, DepthwiseConv2dNative and their fused forms (NHWC, float32). A convolution is one
// cuBLASLt product: its patch matrix [n*oh*ow, kh*kw*c] (im2col, in the plan's scratch) times the
// HWIO filter, which is already the row-major [kh*kw*c, out_channels] matrix; a 1x1 convolution
// with stride 1 and no padding skips im2col, its input being that matrix already. The output
// [n*oh*ow, out_channels] is NHWC. Depthwise convolution has its own kernel (window.cu) and runs
// its whole epilogue as elementwise passes. Grouped and NCHW convolutions fall back.
#include <kiln/core/ops/nn/conv.hpp>

#include "factories.hpp"
#include "gemm.hpp"

namespace kiln::cuda_kernels {

namespace {

// Larger patch matrices fall back rather than ask for that much scratch.
constexpr i64 kMaxPatchBytes = i64{1} << 30;

Window conv_window(const ops::nn::ConvGeometry& g) {
  Window w = window_of(g, g.in_c);
  w.dilation_h = g.attrs.dilation_h;
  w.dilation_w = g.attrs.dilation_w;
  return w;
}

class ConvKernel final : public DeviceKernel {
 public:
  ConvKernel(const Window& w, i64 out_channels, const FusedEpilogue& epilogue, bool pointwise)
      : DeviceKernel(pointwise ? "cuBLASLt conv 1x1" : "im2col + cuBLASLt conv"),
        window_(w),
        pointwise_(pointwise),
        gemm_(shape(w, out_channels), epilogue.bias_input >= 0, epilogue.residual_input >= 0,
              epilogue.activation),
        epilogue_(epilogue),
        out_channels_(out_channels) {
    if (!epilogue.text.empty()) implementation_ += " [" + epilogue.text + "]";
    if (!pointwise) {
      scratch_bytes_ =
          static_cast<std::size_t>(rows() * w.kernel_h * w.kernel_w * w.channels) * sizeof(float);
    }
  }

  std::unique_ptr<KernelState> make_state() const override { return gemm_.make_state(); }

  void run(const KernelArgs& args) const override {
    const float* patches = input(args, 0);
    if (!pointwise_) {
      im2col(input(args, 0), static_cast<float*>(args.scratch), window_, stream(args));
      check_launch("im2col kernel");
      patches = static_cast<const float*>(args.scratch);
    }
    auto arg = [&](int i) { return i >= 0 ? input(args, static_cast<std::size_t>(i)) : nullptr; };
    gemm_.run(*args.state, queue_of(args), patches, input(args, 1), arg(epilogue_.bias_input),
              arg(epilogue_.residual_input), output(args));
    run_post_steps(epilogue_.after, args, output(args), rows() * out_channels_, out_channels_,
                   stream(args));
  }

 private:
  i64 rows() const { return window_.batch * window_.out_height * window_.out_width; }
  static GemmShape shape(const Window& w, i64 out_channels) {
    GemmShape g;
    g.m = w.batch * w.out_height * w.out_width;
    g.k = w.kernel_h * w.kernel_w * w.channels;
    g.n = out_channels;
    return g;
  }

  Window window_;
  bool pointwise_;
  Gemm gemm_;
  FusedEpilogue epilogue_;
  i64 out_channels_;
};

class DepthwiseKernel final : public DeviceKernel {
 public:
  DepthwiseKernel(const Window& w, i64 multiplier, const FusedEpilogue& epilogue)
      : DeviceKernel("depthwise conv"), window_(w), multiplier_(multiplier), epilogue_(epilogue) {
    if (!epilogue.text.empty()) implementation_ += " [" + epilogue.text + "]";
  }

  void run(const KernelArgs& args) const override {
    depthwise_conv(input(args, 0), input(args, 1), output(args), window_, multiplier_,
                   stream(args));
    check_launch("depthwise kernel");
    const i64 channels = window_.channels * multiplier_;
    const i64 n = window_.batch * window_.out_height * window_.out_width * channels;
    run_post_steps(epilogue_.after, args, output(args), n, channels, stream(args));
  }

 private:
  Window window_;
  i64 multiplier_;
  FusedEpilogue epilogue_;
};

KernelPtr make_conv(const KernelRequest& request) {
  if (std::string why = unsupported_tensors(request); !why.empty()) return request.decline(why);
  const InferContext ctx(request.node, request.inputs, request.constants);
  const bool depthwise = request.node.op.find("Depthwise") != std::string::npos;
  const ops::nn::ConvGeometry g =
      depthwise ? ops::nn::depthwise_geometry(ctx) : ops::nn::conv2d_geometry(ctx);
  if (g.attrs.layout.c != 3) return request.decline("NHWC only");
  if (!depthwise && g.groups != 1) return request.decline("grouped convolution");
  const Window w = conv_window(g);
  FusedEpilogue epilogue;
  std::string why;
  if (!fused_epilogue(request, /*into_product=*/!depthwise, epilogue, why)) {
    return request.decline(why);
  }
  if (depthwise) {
    if (aliases_other_than(request, -1)) return request.decline("in place");
    return std::make_unique<DepthwiseKernel>(w, g.filter_out, epilogue);
  }
  const bool pointwise = w.kernel_h == 1 && w.kernel_w == 1 && w.stride_h == 1 && w.stride_w == 1 &&
                         w.pad_top == 0 && w.pad_left == 0;
  const i64 patch_bytes =
      w.batch * w.out_height * w.out_width * w.kernel_h * w.kernel_w * w.channels * 4;
  if (!pointwise && patch_bytes > kMaxPatchBytes)
    return request.decline("patch matrix above 1 GiB");
  return std::make_unique<ConvKernel>(w, g.out_c, epilogue, pointwise);
}

}  // namespace

void add_conv_kernels(KernelFactoryTable& table) {
  for (const char* op :
       {"Conv2D", "_FusedConv2D", "DepthwiseConv2dNative", "_FusedDepthwiseConv2dNative"}) {
    table[op] = make_conv;
  }
}

}  // namespace kiln::cuda_kernels
