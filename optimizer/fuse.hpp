// fuse: the fusion passes of O2 as one named group, for `kiln opt --passes fuse` and for tests
// and ablations that want "all the fusion" without spelling it out. It runs, in O2's order:
//
//   fuse-lstm-gates           an LSTM step's gate arithmetic -> _FusedLSTMGates
//   fuse-layer-norm           layer normalizations spelled out in small nodes -> _FusedLayerNorm
//   einsum-to-matmul          Einsum with constant weights -> BatchMatMulV2 (a main op)
//   space-to-batch-to-dilation  SpaceToBatchND -> convolution -> BatchToSpaceND -> dilated conv
//   move-scale-to-projection  attention's scalar 1/sqrt(d) moves onto a projection
//   fold-affine               BatchNorm, bias, scale and zero Pad fold into the weights
//   fuse-epilogue             activation, residual Add and a BatchNorm after them join the epilogue
//   absorb-pool-pad           a zero Pad before a MaxPool of non-negative values becomes padding
//   fuse-lstm-loop            a Keras LSTM's whole While loop -> _FusedLSTMSequence
//
// and reports what they did together: the sum of their statistics, all their notes.
#pragma once

#include "absorb_pool_pad.hpp"
#include "einsum_to_matmul.hpp"
#include "fold_affine.hpp"
#include "fuse_epilogue.hpp"
#include "fuse_layer_norm.hpp"
#include "fuse_lstm_gates.hpp"
#include "fuse_lstm_loop.hpp"
#include "move_scale_to_projection.hpp"
#include "pass.hpp"
#include "space_to_batch_to_dilation.hpp"

namespace kiln::opt {

inline Pipeline fusion_passes() {
  return {
      fuse_lstm_gates_pass(),   // inside loop bodies: before fuse-epilogue takes a Sigmoid or Tanh
      fuse_layer_norm_pass(),   // first: its nodes can join no chain, and the graph gets smaller
      einsum_to_matmul_pass(),  // EinsumDense becomes a product that fold-affine can start from
      space_to_batch_to_dilation_pass(),  // before fold-affine: a Keras bias follows BatchToSpaceND
      move_scale_to_projection_pass(),    // before fold-affine, which then folds the moved scale
      fold_affine_pass(),     // BatchNorm, bias and scale fold into weights while they are linear
      fuse_epilogue_pass(),   // then activation, residual and a BatchNorm after them join
      absorb_pool_pad_pass(),  // after fuse-epilogue: it needs the ReLU inside the convolution
      fuse_lstm_loop_pass(),   // last: it reads the body as the passes above left it
  };
}

inline PassResult fuse(Graph& graph, PassContext& context) {
  PassResult total;
  for (const Pass& pass : fusion_passes()) {
    const PassResult part = pass.run(graph, context);
    for (const Statistic& s : part.stats) {
      if (s.unit == StatUnit::bytes)
        total.bytes(s.name, s.value);
      else
        total.count(s.name, s.value);
    }
    total.notes.insert(total.notes.end(), part.notes.begin(), part.notes.end());
    total.changed = total.changed || part.changed;
  }
  return total;
}

inline Pass fuse_pass() {
  return {"fuse", "the fusion passes of O2 in order, as one group", fuse};
}

}  // namespace kiln::opt
