// Kernels for the random ops (core/ops/random.hpp): where each op's generator comes from, and
// which distribution fills its output. The numbers are TensorFlow's, bit for bit
// (random/philox.hpp, random/distributions.hpp).
//
// A stateful op with seed == seed2 == 0 draws a fresh seed on every run, as TensorFlow draws one
// per kernel; with either seed set, every run gives TensorFlow's first run for those seeds.
#pragma once

#include <random>
#include <type_traits>

#include <kiln/core/ops.hpp>

#include "kernel.hpp"
#include "random/distributions.hpp"

namespace kiln::reference {

namespace random {

enum class Distribution { uniform, normal, truncated_normal };

// Where an op's generator comes from.
enum class Seeding {
  attrs,        // stateful ops: the seed and seed2 attributes
  seed_input,   // StatelessRandom*: input 1, a pair of int32 or int64
  key_counter,  // Stateless*V2: inputs 1 (key) and 2 (counter), int64 holding uint64 bits
};

// A 64-bit seed nobody can predict, for stateful ops left unseeded.
inline std::int64_t fresh_seed() {
  thread_local std::mt19937_64 engine([] {
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) ^ device();
  }());
  return static_cast<std::int64_t>(engine());
}

// A stateless seed: two int32 or int64 values (int32 sign-extends).
inline Philox from_seed_tensor(const Tensor& seed) {
  const std::vector<std::int64_t> pair = seed.to_int64_vector();
  return philox_from_stateless_seed(pair.at(0), pair.at(1));
}

template <Seeding S> Philox generator(const Node& node, const std::vector<Tensor>& in) {
  if constexpr (S == Seeding::attrs) {
    std::int64_t seed = node.attr<std::int64_t>("seed");
    std::int64_t seed2 = node.attr<std::int64_t>("seed2");
    if (seed == 0 && seed2 == 0) {
      seed = fresh_seed();
      seed2 = fresh_seed();
    }
    return philox_from_seed_attrs(seed, seed2);
  } else if constexpr (S == Seeding::seed_input) {
    return from_seed_tensor(in[1]);
  } else {
    const std::int64_t* key = in[1].data<std::int64_t>();
    const std::int64_t* counter = in[2].data<std::int64_t>();
    return philox_from_key_counter(static_cast<std::uint64_t>(key[0]),
                                   static_cast<std::uint64_t>(counter[0]),
                                   static_cast<std::uint64_t>(counter[1]));
  }
}

// Runs the op's shape function on the actual inputs: the checks that need values (an integer
// range, the algorithm) hold in a compiled plan too, where inference saw no values.
inline void validate(const Node& node, const std::vector<Tensor>& in) {
  op_catalogue().at(node).infer(known_context(node, in));
}

template <Distribution D, Seeding S>
void float_kernel(const Node& node, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  if constexpr (S == Seeding::key_counter) validate(node, in);
  const std::int64_t n = out[0].num_elements();
  if (n == 0) return;
  const Philox gen = generator<S>(node, in);
  dispatch(out[0].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_floating_point_v<T> || std::is_same_v<T, half> ||
                  std::is_same_v<T, bfloat16>) {
      T* values = out[0].data<T>();
      if constexpr (D == Distribution::uniform) fill_uniform(gen, values, n);
      if constexpr (D == Distribution::normal) fill_normal(gen, values, n);
      if constexpr (D == Distribution::truncated_normal) fill_truncated_normal(gen, values, n);
    } else {
      throw node.error(Errc::internal, "random float kernel reached with a non-float output");
    }
  });
}

// RandomUniformInt, StatelessRandomUniformInt(V2): minval and maxval are the last two inputs.
template <Seeding S>
void int_kernel(const Node& node, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  validate(node, in);
  const std::int64_t n = out[0].num_elements();
  if (n == 0) return;
  const Philox gen = generator<S>(node, in);
  const Tensor& lo = in[in.size() - 2];
  const Tensor& hi = in[in.size() - 1];
  if (out[0].dtype() == DType::int32) {
    fill_uniform_int(gen, out[0].data<std::int32_t>(), n, lo.data<std::int32_t>()[0],
                     hi.data<std::int32_t>()[0]);
  } else {
    fill_uniform_int(gen, out[0].data<std::int64_t>(), n, lo.data<std::int64_t>()[0],
                     hi.data<std::int64_t>()[0]);
  }
}

// StatelessRandomGetKeyCounter(Alg): the key and counter a stateless op would derive from the
// seed, as the V2 ops take them; the Alg form adds Philox's number.
inline void get_key_counter_kernel(const Node&, const std::vector<Tensor>& in,
                                   std::vector<Tensor>& out) {
  const Philox gen = from_seed_tensor(in[0]);
  out[0].data<std::int64_t>()[0] = static_cast<std::int64_t>(key_word(gen));
  const std::array<std::uint64_t, 2> counter = counter_words(gen);
  out[1].data<std::int64_t>()[0] = static_cast<std::int64_t>(counter[0]);
  out[1].data<std::int64_t>()[1] = static_cast<std::int64_t>(counter[1]);
  if (out.size() > 2) {
    out[2].data<std::int32_t>()[0] = static_cast<std::int32_t>(ops::random::kAlgPhilox);
  }
}

}  // namespace random

inline void register_random_kernels(KernelTable& table) {
  using random::Distribution;
  using random::Seeding;
  using random::float_kernel;
  table["RandomUniform"] = float_kernel<Distribution::uniform, Seeding::attrs>;
  table["RandomStandardNormal"] = float_kernel<Distribution::normal, Seeding::attrs>;
  table["TruncatedNormal"] = float_kernel<Distribution::truncated_normal, Seeding::attrs>;
  table["RandomUniformInt"] = random::int_kernel<Seeding::attrs>;
  table["StatelessRandomUniform"] = float_kernel<Distribution::uniform, Seeding::seed_input>;
  table["StatelessRandomNormal"] = float_kernel<Distribution::normal, Seeding::seed_input>;
  table["StatelessTruncatedNormal"] =
      float_kernel<Distribution::truncated_normal, Seeding::seed_input>;
  table["StatelessRandomUniformInt"] = random::int_kernel<Seeding::seed_input>;
  table["StatelessRandomUniformV2"] = float_kernel<Distribution::uniform, Seeding::key_counter>;
  table["StatelessRandomNormalV2"] = float_kernel<Distribution::normal, Seeding::key_counter>;
  table["StatelessTruncatedNormalV2"] =
      float_kernel<Distribution::truncated_normal, Seeding::key_counter>;
  table["StatelessRandomUniformIntV2"] = random::int_kernel<Seeding::key_counter>;
  table["StatelessRandomGetKeyCounter"] = random::get_key_counter_kernel;
  table["StatelessRandomGetKeyCounterAlg"] = random::get_key_counter_kernel;
}

}  // namespace kiln::reference
