// Philox4x32-10, the counter-based generator behind every TensorFlow random op on CPU, and the
// three ways TensorFlow turns seeds into its key and counter. Matching TensorFlow bit for bit
// starts here: the same key and counter give the same 32-bit words in the same order.
//
// A generator is a 64-bit key and a 128-bit counter. Each call encrypts the counter with the key
// (ten rounds of Salmon et al.'s Philox-4x32, "Parallel random numbers: as easy as 1, 2, 3",
// SC11) into four 32-bit words, then adds one to the counter. Nothing else is state, so skipping
// ahead n calls is adding n to the counter.
#pragma once

#include <array>
#include <cstdint>

namespace kiln::reference::random {

class Philox {
 public:
  using Block = std::array<std::uint32_t, 4>;  // a counter or four outputs; word 0 is lowest
  using Key = std::array<std::uint32_t, 2>;

  Philox() = default;
  Philox(Block counter, Key key) : counter_(counter), key_(key) {}

  // The next four words; the counter moves on by one.
  Block operator()() {
    const Block out = encrypt(counter_, key_);
    skip(1);
    return out;
  }

  // Moves the counter on by `n` calls: a 128-bit addition.
  void skip(std::uint64_t n) {
    std::uint64_t low = words_to_u64(counter_[0], counter_[1]);
    std::uint64_t high = words_to_u64(counter_[2], counter_[3]);
    const std::uint64_t sum = low + n;
    if (sum < low) ++high;  // carry
    low = sum;
    counter_ = {lo32(low), hi32(low), lo32(high), hi32(high)};
  }

  const Block& counter() const { return counter_; }
  const Key& key() const { return key_; }

  static std::uint64_t words_to_u64(std::uint32_t low, std::uint32_t high) {
    return static_cast<std::uint64_t>(high) << 32 | low;
  }
  static std::uint32_t lo32(std::uint64_t v) { return static_cast<std::uint32_t>(v); }
  static std::uint32_t hi32(std::uint64_t v) { return static_cast<std::uint32_t>(v >> 32); }

  // Ten Philox rounds of `counter` under `key`.
  static Block encrypt(Block counter, Key key) {
    // The round multipliers and the Weyl sequence that bumps the key (Salmon et al., table 2).
    constexpr std::uint64_t kMultiplier0 = 0xD2511F53;
    constexpr std::uint64_t kMultiplier1 = 0xCD9E8D57;
    constexpr std::uint32_t kBump0 = 0x9E3779B9;
    constexpr std::uint32_t kBump1 = 0xBB67AE85;
    for (int round = 0; round < 10; ++round) {
      const std::uint64_t product0 = kMultiplier0 * counter[0];
      const std::uint64_t product1 = kMultiplier1 * counter[2];
      counter = {hi32(product1) ^ counter[1] ^ key[0], lo32(product1),
                 hi32(product0) ^ counter[3] ^ key[1], lo32(product0)};
      key = {key[0] + kBump0, key[1] + kBump1};
    }
    return counter;
  }

 private:
  Block counter_{};
  Key key_{};
};

// ---- Seeds -----------------------------------------------------------------------------------

// Stateful ops (RandomUniform, ...): `seed` is the key, `seed2` the upper half of the counter.
// TensorFlow's first run of the op starts exactly here; later runs start further on.
inline Philox philox_from_seed_attrs(std::int64_t seed, std::int64_t seed2) {
  const auto key = static_cast<std::uint64_t>(seed);
  const auto upper = static_cast<std::uint64_t>(seed2);
  return Philox({0, 0, Philox::lo32(upper), Philox::hi32(upper)},
                {Philox::lo32(key), Philox::hi32(key)});
}

// Stateless ops: the seed pair (int32 values sign-extended to 64 bits) is encrypted once under
// a fixed key, so that a weak half of the seed does not make a weak stream. The first two words
// become the key, the last two the upper half of the counter; the lower half starts at zero.
inline Philox philox_from_stateless_seed(std::int64_t seed0, std::int64_t seed1) {
  constexpr Philox::Key kScrambleKey = {0x3ec8f720, 0x02461e29};
  const auto s0 = static_cast<std::uint64_t>(seed0);
  const auto s1 = static_cast<std::uint64_t>(seed1);
  const Philox::Block mixed = Philox::encrypt(
      {Philox::lo32(s0), Philox::hi32(s0), Philox::lo32(s1), Philox::hi32(s1)}, kScrambleKey);
  return Philox({0, 0, mixed[2], mixed[3]}, {mixed[0], mixed[1]});
}

// The V2 ops' explicit form: one 64-bit key and two 64-bit counter words, lowest first (what
// StatelessRandomGetKeyCounter returns).
inline Philox philox_from_key_counter(std::uint64_t key, std::uint64_t counter0,
                                      std::uint64_t counter1) {
  return Philox({Philox::lo32(counter0), Philox::hi32(counter0), Philox::lo32(counter1),
                 Philox::hi32(counter1)},
                {Philox::lo32(key), Philox::hi32(key)});
}

// The key of `gen` as one 64-bit word, and its counter as two: philox_from_key_counter's inverse.
inline std::uint64_t key_word(const Philox& gen) {
  return Philox::words_to_u64(gen.key()[0], gen.key()[1]);
}
inline std::array<std::uint64_t, 2> counter_words(const Philox& gen) {
  return {Philox::words_to_u64(gen.counter()[0], gen.counter()[1]),
          Philox::words_to_u64(gen.counter()[2], gen.counter()[3])};
}

}  // namespace kiln::reference::random
