#pragma once
// Deterministic randomness for the generator: splitmix64 for hashing and
// seeding, xoshiro256** (Blackman & Vigna, "Scrambled linear pseudorandom
// number generators", 2018) for streams. Only integer arithmetic and IEEE
// operations that are exactly rounded (+ - * / sqrt) are used on the results,
// never <random> distributions or libm transcendentals, so the same options
// give byte-identical output on every standard library and libm.

#include <cstdint>
#include <initializer_list>

namespace scanscope::generate {

// The splitmix64 finaliser: a bijective 64-bit mix.
constexpr uint64_t Mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 31;
  return x;
}

// A hash of several integers, order-sensitive: the key of every derived
// quantity (a source slot's identity, a point-day's stream, an event's draw).
inline uint64_t HashOf(std::initializer_list<uint64_t> parts) {
  uint64_t h = 0x6A09E667F3BCC909ull;
  for (uint64_t p : parts) h = Mix64(h ^ Mix64(p + 0x9E3779B97F4A7C15ull));
  return h;
}

// A uniform double in [0, 1) from the top 53 bits of `bits`.
inline double UnitFromBits(uint64_t bits) {
  return static_cast<double>(bits >> 11) * (1.0 / 9007199254740992.0);
}

// xoshiro256**, seeded through splitmix64. Not thread-safe; one per stream.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (uint64_t& s : s_) {
      seed += 0x9E3779B97F4A7C15ull;
      s = Mix64(seed);
    }
  }
  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, n); n > 0. The modulo bias (< n / 2^64) is irrelevant here.
  uint64_t Below(uint64_t n) { return Next() % n; }
  // Uniform in [lo, hi], inclusive.
  int64_t Range(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }
  double Unit() { return UnitFromBits(Next()); }
  // A uniform in (0, 1]: safe to divide by.
  double UnitPositive() { return 1.0 - Unit(); }
  bool Chance(double p) { return Unit() < p; }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// A smooth periodic curve in [-1, 1] with period 1 (Bhaskara-style parabola
// pieces), used where a sine would do but libm must not decide the bytes.
inline double Wave(double x) {
  double f = x - static_cast<double>(static_cast<int64_t>(x));
  if (f < 0) f += 1.0;
  double g = f < 0.5 ? f * 2.0 : (f - 0.5) * 2.0;  // position in the half period
  double v = 4.0 * g * (1.0 - g);                  // 0..1..0
  return f < 0.5 ? v : -v;
}

}  // namespace scanscope::generate
