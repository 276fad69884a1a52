// Fused kernels for training: the SwiGLU gate (silu(gate) * up, forward and backward in one pass each,
// instead of a unary, a binary and their two backwards with their temporaries) and the sum of squares
// behind gradient clipping. The element formulas are those of the unfused unary/binary kernels, so the
// results are bitwise the same.
#include <algorithm>
#include <cmath>
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

extern "C" {

// Per-token log-probs of targets under softmax(a * logits) with a = 1 / temperature: one pass for the row's
// log-sum-exp, the target's log-prob written directly (0 at ignored rows). z = a * x is formed exactly as the
// unary 'scale' kernel forms it and the rest follows gb_cross_entropy, so the values are bitwise those of
// -crossEntropy(scale(logits, a)) without materialising the scaled [rows, V] logits (or their gradient).
// z goes through a row buffer behind a compiler barrier: GCC contracts a * x - m into an FMA otherwise,
// which rounds differently from the stored f32 z of the unfused path.
void gb_token_logprobs(const float* logits, int64_t rows, int64_t V, const int32_t* t, int32_t ignore, float a,
                       float* out, float* lse) {
  parallel_for(rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, V)), [&](int64_t r0, int64_t r1) {
    std::vector<float> zbuf((size_t)std::max<int64_t>(1, V));
    float* z = zbuf.data();
    for (int64_t r = r0; r < r1; r++) {
      const float* l = logits + r * V;
      for (int64_t c = 0; c < V; c++) z[c] = a * l[c];
      asm volatile("" ::: "memory");
      float m = -INFINITY;
#pragma omp simd reduction(max : m)
      for (int64_t c = 0; c < V; c++) m = z[c] > m ? z[c] : m;
      double s = 0;
#pragma omp simd reduction(+ : s)
      for (int64_t c = 0; c < V; c++) s += gb::exp_fast(z[c] - m);
      const double ls = std::log(s) + (double)m;
      lse[r] = (float)ls;
      out[r] = t[r] == ignore ? 0.0f : -(float)(ls - (double)z[t[r]]);
    }
  });
}

// Its backward: glogits = a * gout * (onehot(t) - softmax(a * logits)), as scale's backward of
// crossEntropy's backward with gLoss = -gout gives it (zero rows where ignored).
void gb_token_logprobs_backward(const float* logits, const float* lse, const int32_t* t, int64_t rows, int64_t V,
                                int32_t ignore, float a, const float* gout, float* glogits) {
  parallel_for(rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, V)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* l = logits + r * V;
      float* g = glogits + r * V;
      if (t[r] == ignore) { std::fill(g, g + V, 0.0f); continue; }
      const float gl = -gout[r], ls = lse[r];
      for (int64_t c = 0; c < V; c++) g[c] = a * l[c];  // z, in the output row (see above)
      asm volatile("" ::: "memory");
      for (int64_t c = 0; c < V; c++) g[c] = gl * gb::exp_fast(g[c] - ls);
      g[t[r]] -= gl;
      for (int64_t c = 0; c < V; c++) g[c] = a * g[c];
    }
  });
}

}  // extern "C"
