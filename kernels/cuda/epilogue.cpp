// Splitting a fused epilogue between cuBLASLt and elementwise passes (epilogue.hpp).
#include "epilogue.hpp"

namespace kiln::cuda_kernels {

bool fused_epilogue(const KernelRequest& request, bool into_product, FusedEpilogue& e,
                    std::string& why) {
  const Node& node = request.node;
  if (!node.has_attr("fused_ops")) return true;
  const float alpha = node.has_attr("leakyrelu_alpha") ? node.attr<float>("leakyrelu_alpha") : 0.2f;
  // How far the steps still fold into the product: bias, then residual, then one activation.
  enum Stage { bias, residual, activation, after } stage = into_product ? bias : after;
  int next = 2;  // the arguments follow the product's two inputs
  std::vector<std::string> folded, unfolded;
  for (const std::string& step : node.attr<Strings>("fused_ops")) {
    PostStep post;
    if (step == "BiasAdd") {
      post.kind = PostStep::bias;
      post.input = next++;
      if (stage == bias) {
        e.bias_input = post.input;
        stage = residual;
        folded.push_back("bias");
        continue;
      }
    } else if (step == "Add") {
      post.kind = PostStep::add;
      post.input = next++;
      if (stage <= residual) {
        e.residual_input = post.input;
        stage = activation;
        folded.push_back("add");
        continue;
      }
    } else if (step == "ScaleShift") {
      post.kind = PostStep::scale_shift;
      post.input = next++;
      post.second_input = next++;
    } else if (const std::optional<Unary> f = unary_of(step)) {
      post.f = *f;
      post.alpha = alpha;
      const bool foldable = step == "Relu" || step == "GeluApproximate";
      if (stage <= activation && foldable) {
        e.activation = step == "Relu" ? ProductActivation::relu : ProductActivation::gelu_tanh;
        stage = after;
        folded.push_back(step == "Relu" ? "relu" : "gelu-tanh");
        continue;
      }
    } else {
      why = "epilogue step " + step + " has no cuda form";
      return false;
    }
    stage = after;
    e.after.push_back(post);
    unfolded.push_back(step);
  }
  // Only the product's own residual may share the output's buffer: cuBLASLt reads C before it
  // writes D. A residual added later would already be overwritten.
  if (aliases_other_than(request, e.residual_input)) {
    why = "in place on an input read after the product";
    return false;
  }
  auto join = [](const std::vector<std::string>& parts) {
    std::string text;
    for (const std::string& p : parts) text += (text.empty() ? "" : "+") + p;
    return text;
  };
  e.text = join(folded);
  if (!unfolded.empty()) e.text += (e.text.empty() ? "then " : ", then ") + join(unfolded);
  return true;
}

void run_post_steps(const std::vector<PostStep>& steps, const KernelArgs& args, float* y, i64 n,
                    i64 channels, cudaStream_t stream) {
  auto arg = [&](int i) { return static_cast<const float*>(args.inputs[i]); };
  for (const PostStep& s : steps) {
    switch (s.kind) {
      case PostStep::activation:
        unary(s.f, s.alpha, y, y, n, stream);
        break;
      case PostStep::bias:
        channel_affine(y, nullptr, arg(s.input), n, channels, stream);
        break;
      case PostStep::scale_shift:
        channel_affine(y, arg(s.input), arg(s.second_input), n, channels, stream);
        break;
      case PostStep::add: {
        Broadcast same;  // the residual has exactly the output's shape
        same.rank = 1;
        same.dims[0] = n;
        same.a[0] = same.b[0] = 1;
        binary(Binary::add, y, arg(s.input), y, n, same, stream);
        break;
      }
    }
    check_launch("epilogue kernel");
  }
}

}  // namespace kiln::cuda_kernels
