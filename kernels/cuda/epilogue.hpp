// The epilogue of a fused node (fused_ops, core/ops/fused.hpp) on the device. What cuBLASLt can
// fold into the product goes there: a leading BiasAdd (its bias epilogue), a residual Add (as
// C with beta = 1, which may share D's buffer: the memory plan's in-place accumulation), and one
// Relu or GeluApproximate right after them. Every other step runs after the product, in order,
// as an elementwise pass over the output.
#pragma once

#include <string>
#include <vector>

#include "common.hpp"

namespace kiln::cuda_kernels {

enum class ProductActivation { none, relu, gelu_tanh };

struct PostStep {
  enum Kind { activation, add, bias, scale_shift } kind = activation;
  Unary f = Unary::relu;
  float alpha = 0;
  int input = -1, second_input = -1;  // the arguments it reads
};

struct FusedEpilogue {
  int bias_input = -1;      // folded into the product
  int residual_input = -1;  // folded into the product
  ProductActivation activation = ProductActivation::none;
  std::vector<PostStep> after;
  std::string text;  // "bias+add+relu, then sigmoid": for the plan summary
};

// The node's epilogue. `into_product`: whether a product runs first that can take the leading
// steps. Returns false (and says why in `why`) when a step has no device form or when the
// output's buffer is an input's that a later step would still read.
bool fused_epilogue(const KernelRequest& request, bool into_product, FusedEpilogue& epilogue,
                    std::string& why);

// The steps after the product, in place on `y` ([.., channels], n elements).
void run_post_steps(const std::vector<PostStep>& steps, const KernelArgs& args, float* y, i64 n,
                    i64 channels, cudaStream_t stream);

}  // namespace kiln::cuda_kernels
