// The random ops, with TensorFlow's attributes and defaults. Kiln's kernels reproduce
// TensorFlow's numbers bit for bit (kernels/reference/random/): the same Philox generator, the
// same seeding, the same arithmetic from words to values.
//
// Stateless ops (StatelessRandomUniform, ..., and the V2 forms that take a key, a counter and an
// algorithm) are functions of their inputs: they fold and merge like any other op.
//
// Stateful ops (RandomUniform, RandomStandardNormal, TruncatedNormal, RandomUniformInt) take
// their seeds from the `seed` and `seed2` attributes. TensorFlow's kernel keeps a generator that
// moves on with every run; Kiln's kernels keep nothing, and every run gives what TensorFlow's
// first run of the op gives (in a fresh session) for those seeds: a compiled model answers the
// same inputs with the same outputs, from any thread. When both seeds are 0, TensorFlow seeds
// the op at random, and so does Kiln, on every run. Either way the op is nondeterministic to the
// optimizer: never folded, never merged with another.
//
// Kiln has no uint64: the V2 ops' key and counter, which TensorFlow types uint64, travel as
// int64 tensors holding the same 64 bits.
#pragma once

#include <optional>

#include "array/common.hpp"

namespace kiln::ops {

namespace random {

using array::expect_dtype;
using array::expect_index_type_attr;
using array::known_scalar;

// Philox, the one algorithm TensorFlow's CPU kernels run; auto-select means Philox there.
constexpr std::int64_t kAlgPhilox = 1;
constexpr std::int64_t kAlgThreeFry = 2;
constexpr std::int64_t kAlgAutoSelect = 3;

// Throws unless the type attribute `key` names a floating type TensorFlow's random ops produce.
inline void expect_float_dtype_attr(const InferContext& ctx, std::string_view key) {
  const DType t = ctx.attr<DType>(key);
  if (!is_floating(t)) {
    throw ctx.error(Errc::invalid_attr, "random values are float16, bfloat16, float32 or float64")
        .attr(std::string(key))
        .found(dtype_name(t));
  }
}

// The output shape, from the `shape` input (input 0): a vector of sizes, typed by the attribute
// `type_key` ("T", or "Tshape" for the V2 ops).
inline Shape output_shape(const InferContext& ctx, std::string_view type_key = "T") {
  expect_index_type_attr(ctx, type_key);
  return array::shape_from_shape_input(ctx, 0, "a random output dimension");
}

// Throws unless input i is a vector of exactly `length` elements (where its shape is known).
inline void expect_vector_of(const InferContext& ctx, int i, std::int64_t length,
                             const std::string& what) {
  const Shape& s = ctx.shape(i);
  if (s.has_rank() && (s.rank() != 1 || (s.dim(0) >= 0 && s.dim(0) != length))) {
    throw ctx.error(Errc::shape_mismatch, what + " must be a vector of " + std::to_string(length))
        .input(std::to_string(i))
        .found(s.str());
  }
}

// A stateless op's seed (input i): two int32 or int64 values.
inline void expect_seed_pair(const InferContext& ctx, int i) {
  expect_index_type_attr(ctx, "Tseed");
  expect_vector_of(ctx, i, 2, "the seed");
}

// minval and maxval (inputs i and i + 1) of an integer op: scalars with minval < maxval, which
// only matters when the output has elements (TensorFlow lets an empty output have any range).
inline void expect_int_range(const InferContext& ctx, int i, const Shape& out) {
  for (int k = i; k < i + 2; ++k) array::expect_scalar(ctx, k);
  const std::optional<std::int64_t> lo = known_scalar(ctx, i);
  const std::optional<std::int64_t> hi = known_scalar(ctx, i + 1);
  if (lo && hi && *lo >= *hi && !(out.is_fully_known() && out.num_elements() == 0)) {
    throw ctx.error(Errc::invalid_argument, "a random integer range needs minval < maxval")
        .found("minval " + std::to_string(*lo) + ", maxval " + std::to_string(*hi));
  }
}

// The V2 ops' key (input 1, one word), counter (input 2, at least two words, of which Philox
// uses the first two) and algorithm (input 3, a scalar: Philox or auto-select).
inline void expect_key_counter_alg(const InferContext& ctx) {
  expect_dtype(ctx, 1, DType::int64);
  expect_dtype(ctx, 2, DType::int64);
  expect_dtype(ctx, 3, DType::int32);
  expect_vector_of(ctx, 1, 1, "the key");
  const Shape& counter = ctx.shape(2);
  if (counter.has_rank() && (counter.rank() != 1 || (counter.dim(0) >= 0 && counter.dim(0) < 2))) {
    throw ctx.error(Errc::shape_mismatch, "the counter must be a vector of at least 2 words")
        .input("2")
        .found(counter.str());
  }
  array::expect_scalar(ctx, 3);
  const std::optional<std::int64_t> alg = known_scalar(ctx, 3);
  if (alg && *alg != kAlgPhilox && *alg != kAlgAutoSelect) {
    throw ctx.error(*alg == kAlgThreeFry ? Errc::unsupported : Errc::invalid_argument,
                    *alg == kAlgThreeFry ? "TensorFlow's CPU kernels have no ThreeFry, nor has Kiln"
                                         : "unknown random algorithm")
        .input("3")
        .expected("1 (Philox) or 3 (auto-select)")
        .found(std::to_string(*alg));
  }
}

// RandomUniform, RandomStandardNormal, TruncatedNormal: shape -> dtype.
inline std::vector<TensorType> infer_stateful_float(const InferContext& ctx) {
  expect_float_dtype_attr(ctx, "dtype");
  return {{ctx.attr<DType>("dtype"), output_shape(ctx)}};
}

// RandomUniformInt: shape, minval, maxval -> Tout.
inline std::vector<TensorType> infer_stateful_int(const InferContext& ctx) {
  expect_index_type_attr(ctx, "Tout");
  const Shape out = output_shape(ctx);
  expect_int_range(ctx, 1, out);
  return {{ctx.attr<DType>("Tout"), out}};
}

// StatelessRandomUniform, StatelessRandomNormal, StatelessTruncatedNormal: shape, seed -> dtype.
inline std::vector<TensorType> infer_stateless_float(const InferContext& ctx) {
  expect_float_dtype_attr(ctx, "dtype");
  const Shape out = output_shape(ctx);
  expect_seed_pair(ctx, 1);
  return {{ctx.attr<DType>("dtype"), out}};
}

// StatelessRandomUniformInt: shape, seed, minval, maxval -> dtype.
inline std::vector<TensorType> infer_stateless_int(const InferContext& ctx) {
  expect_index_type_attr(ctx, "dtype");
  const Shape out = output_shape(ctx);
  expect_seed_pair(ctx, 1);
  expect_int_range(ctx, 2, out);
  return {{ctx.attr<DType>("dtype"), out}};
}

// The V2 float ops: shape, key, counter, alg -> dtype.
inline std::vector<TensorType> infer_stateless_v2_float(const InferContext& ctx) {
  expect_float_dtype_attr(ctx, "dtype");
  expect_key_counter_alg(ctx);
  return {{ctx.attr<DType>("dtype"), output_shape(ctx, "Tshape")}};
}

// StatelessRandomUniformIntV2: shape, key, counter, alg, minval, maxval -> dtype.
inline std::vector<TensorType> infer_stateless_v2_int(const InferContext& ctx) {
  expect_index_type_attr(ctx, "dtype");
  expect_key_counter_alg(ctx);
  const Shape out = output_shape(ctx, "Tshape");
  expect_int_range(ctx, 4, out);
  return {{ctx.attr<DType>("dtype"), out}};
}

// StatelessRandomGetKeyCounter: seed -> key [1], counter [2] (uint64 in TensorFlow, int64 here).
inline std::vector<TensorType> infer_get_key_counter(const InferContext& ctx) {
  expect_seed_pair(ctx, 0);
  return {{DType::int64, Shape{1}}, {DType::int64, Shape{2}}};
}

// StatelessRandomGetKeyCounterAlg: the same, and the algorithm (Philox) as an int32 scalar.
inline std::vector<TensorType> infer_get_key_counter_alg(const InferContext& ctx) {
  std::vector<TensorType> out = infer_get_key_counter(ctx);
  out.push_back({DType::int32, Shape{}});
  return out;
}

}  // namespace random

inline void register_random_ops(OpCatalogue& c) {
  using namespace random;
  const std::int64_t zero = 0;
  const AttrDef seeds[] = {{"seed", zero}, {"seed2", zero}};

  // Stateful: seeded by attributes, a new stream on every TensorFlow run.
  for (const char* name : {"RandomUniform", "RandomStandardNormal", "TruncatedNormal"}) {
    c.add(op(name).inputs(1).attrs({seeds[0], seeds[1], {"dtype", {}}, {"T", {}}})
              .input_types({"T"}).infer(infer_stateful_float).nondeterministic());
  }
  c.add(op("RandomUniformInt").inputs(3).attrs({seeds[0], seeds[1], {"Tout", {}}, {"T", {}}})
            .input_types({"T", "Tout", "Tout"}).infer(infer_stateful_int).nondeterministic());

  // Stateless: functions of the seed input.
  const AttrDef shape_type{"T", DType::int32};
  const AttrDef seed_type{"Tseed", DType::int64};
  for (const char* name :
       {"StatelessRandomUniform", "StatelessRandomNormal", "StatelessTruncatedNormal"}) {
    c.add(op(name).inputs(2).attrs({{"dtype", DType::float32}, shape_type, seed_type})
              .input_types({"T", "Tseed"}).infer(infer_stateless_float));
  }
  c.add(op("StatelessRandomUniformInt").inputs(4).attrs({{"dtype", {}}, {"T", {}}, seed_type})
            .input_types({"T", "Tseed", "dtype", "dtype"}).infer(infer_stateless_int));

  // Stateless with an explicit key, counter and algorithm.
  const AttrDef v2_shape_type{"Tshape", DType::int32};
  for (const char* name :
       {"StatelessRandomUniformV2", "StatelessRandomNormalV2", "StatelessTruncatedNormalV2"}) {
    c.add(op(name).inputs(4).attrs({{"dtype", DType::float32}, v2_shape_type})
              .input_types({"Tshape", "", "", ""}).infer(infer_stateless_v2_float));
  }
  c.add(op("StatelessRandomUniformIntV2").inputs(6).attrs({{"dtype", {}}, v2_shape_type})
            .input_types({"Tshape", "", "", "", "dtype", "dtype"}).infer(infer_stateless_v2_int));
  c.add(op("StatelessRandomGetKeyCounter").inputs(1).attrs({seed_type}).input_types({"Tseed"})
            .infer(infer_get_key_counter));
  c.add(op("StatelessRandomGetKeyCounterAlg").inputs(1).attrs({seed_type})
            .input_types({"Tseed"}).infer(infer_get_key_counter_alg));
}

}  // namespace kiln::ops
