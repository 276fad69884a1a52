// Fused kernels for training: the SwiGLU gate (silu(gate) * up, forward and backward in one pass each,
// instead of a unary, a binary and their two backwards with their temporaries) and the sum of squares
// behind gradient clipping. The element formulas are those of the unfused unary/binary kernels, so the
// results are bitwise the same.
#include <algorithm>
#include <vector>

#include "fastmath.h"
#include "kernels.h"
#include "pool.h"

using gb::parallel_for;

namespace {
constexpr int64_t kGrain = 16384;

inline float silu(float v) { return v / (1.0f + gb::exp_fast(-v)); }
}  // namespace

extern "C" {

void gb_swiglu(const float* gate, const float* up, float* y, int64_t n) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) y[i] = silu(gate[i]) * up[i];
  });
}

void gb_swiglu_backward(const float* gate, const float* up, const float* gy, float* ggate, float* gup, int64_t n) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) {
      const float x = gate[i], g = gy[i];
      const float s = gb::sigmoid_fast(x);
      ggate[i] = (g * up[i]) * (s * (1.0f + x * (1.0f - s)));
      gup[i] = g * silu(x);
    }
  });
}

double gb_sum_squares(const float* x, int64_t n) {
  // fixed chunks (independent of the thread count), each summed in double, then added in chunk order:
  // the result does not depend on how many threads ran
  constexpr int64_t kChunk = 65536;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  if (chunks <= 1) {
    double s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < n; i++) s += (double)x[i] * x[i];
    return s;
  }
  std::vector<double> part((size_t)chunks);
  parallel_for(chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; c++) {
      const int64_t b = c * kChunk, e = std::min(n, b + kChunk);
      double s = 0;
#pragma omp simd reduction(+ : s)
      for (int64_t i = b; i < e; i++) s += (double)x[i] * x[i];
      part[(size_t)c] = s;
    }
  });
  double s = 0;
  for (double p : part) s += p;
  return s;
}

}  // extern "C"
