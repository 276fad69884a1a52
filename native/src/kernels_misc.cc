// Native kernels on indices and rows: embedding gather / scatter-add, cross-entropy, row gather, top-k,
// sampling from logits, and the fused AdamW step. Index ranges are checked by the caller (addon.cc).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <vector>

#include "fastmath.h"
#include "kernels.h"
#include "pool.h"

using gb::parallel_for;

namespace {
constexpr int64_t kGrain = 16384;
inline int64_t row_grain(int64_t cols) { return std::max<int64_t>(1, kGrain / std::max<int64_t>(1, cols)); }

// Descending by value, ties (and equal NaNs) by lower index; NaN ranks above every number (a total
// order, so std::sort stays well defined whatever the data).
struct Desc {
  const float* x;
  bool operator()(int32_t a, int32_t b) const {
    float va = x[a], vb = x[b];
    bool na = std::isnan(va), nb = std::isnan(vb);
    if (na != nb) return na;
    if (!na && va != vb) return va > vb;
    return a < b;
  }
};
}  // namespace

extern "C" {

void gb_embedding(const float* w, int64_t D, const int32_t* ids, int64_t n, float* out) {
  parallel_for(n, row_grain(D), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) std::copy(w + (int64_t)ids[i] * D, w + (int64_t)ids[i] * D + D, out + i * D);
  });
}

void gb_embedding_backward(const float* gy, const int32_t* ids, int64_t n, int64_t V, int64_t D, float* gw) {
  // columns split over threads: each thread owns a column block of gw, so scatter-adds never race
  constexpr int64_t kBlock = 64;
  int64_t nb = (D + kBlock - 1) / kBlock;
  parallel_for(V * D, kGrain * 4, [&](int64_t a, int64_t e) { std::fill(gw + a, gw + e, 0.0f); });
  parallel_for(nb, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, n * kBlock)), [&](int64_t b0, int64_t b1) {
    for (int64_t bl = b0; bl < b1; bl++) {
      int64_t c0 = bl * kBlock, w = std::min(kBlock, D - c0);
      for (int64_t i = 0; i < n; i++) {
        float* dst = gw + (int64_t)ids[i] * D + c0;
        const float* src = gy + i * D + c0;
        for (int64_t c = 0; c < w; c++) dst[c] += src[c];
      }
    }
  });
}

void gb_cross_entropy(const float* logits, int64_t rows, int64_t V, const int32_t* t, int32_t ignore, float* losses,
                      float* lse) {
  parallel_for(rows, row_grain(V), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* l = logits + r * V;
      float m = -INFINITY;
      #pragma omp simd reduction(max : m)
      for (int64_t c = 0; c < V; c++) m = l[c] > m ? l[c] : m;
      double s = 0;
      #pragma omp simd reduction(+ : s)
      for (int64_t c = 0; c < V; c++) s += gb::exp_fast(l[c] - m);
      double ls = std::log(s) + (double)m;
      lse[r] = (float)ls;
      losses[r] = t[r] == ignore ? 0.0f : (float)(ls - (double)l[t[r]]);
    }
  });
}

void gb_cross_entropy_backward(const float* logits, const float* lse, const int32_t* t, int64_t rows, int64_t V,
                               int32_t ignore, const float* gloss, float* glogits) {
  parallel_for(rows, row_grain(V), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* l = logits + r * V;
      float* g = glogits + r * V;
      if (t[r] == ignore) { std::fill(g, g + V, 0.0f); continue; }
      float gl = gloss[r], ls = lse[r];
      for (int64_t c = 0; c < V; c++) g[c] = gl * gb::exp_fast(l[c] - ls);
      g[t[r]] -= gl;
    }
  });
}

void gb_gather_rows(const float* x, int64_t rows, int64_t cols, const int32_t* idx, float* out) {
  for (int64_t r = 0; r < rows; r++) out[r] = x[r * cols + idx[r]];
}

void gb_gather_rows_backward(const float* g, const int32_t* idx, int64_t rows, int64_t cols, float* gx) {
  parallel_for(rows, row_grain(cols), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      std::fill(gx + r * cols, gx + (r + 1) * cols, 0.0f);
      gx[r * cols + idx[r]] = g[r];
    }
  });
}

void gb_topk(const float* x, int64_t rows, int64_t cols, int64_t k, float* values, int32_t* indices) {
  if (k == 0) return;
  parallel_for(rows, row_grain(cols * 8), [&](int64_t r0, int64_t r1) {
    std::vector<int32_t> order(cols);
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * cols;
      std::iota(order.begin(), order.end(), 0);
      std::partial_sort(order.begin(), order.begin() + k, order.end(), Desc{xr});
      for (int64_t i = 0; i < k; i++) { values[r * k + i] = xr[order[i]]; indices[r * k + i] = order[i]; }
    }
  });
}

void gb_sample_logits(const float* logits, int64_t rows, int64_t V, float temperature, int64_t top_k, float top_p,
                      const float* u, int32_t* out) {
  // Rows in parallel (each row's result depends only on that row). The descending order is that of Desc,
  // found by a stable LSD radix sort (3 passes of 11 bits) of order-preserving 32-bit keys with the index
  // as payload, so equal values stay by lower index: NaN first, -0 == +0.
  parallel_for(rows, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, V)), [&](int64_t r0, int64_t r1) {
    std::vector<uint32_t> key((size_t)V), key2((size_t)V);
    std::vector<int32_t> order((size_t)V), order2((size_t)V);
    std::vector<double> p((size_t)V);
    std::vector<uint32_t> count(2048);
    for (int64_t r = r0; r < r1; r++) {
      const float* l = logits + r * V;
      if (V == 0) { out[r] = 0; continue; }
      if (temperature <= 0) {
        int64_t best = 0;
        for (int64_t c = 1; c < V; c++) if (l[c] > l[best]) best = c;
        out[r] = (int32_t)best;
        continue;
      }
      int64_t kk = top_k > 0 ? std::min<int64_t>(top_k, V) : V;
      for (int64_t c = 0; c < V; c++) {
        float v = l[c];
        uint32_t bits;
        if (std::isnan(v)) bits = 0xFFFFFFFFu;
        else {
          if (v == 0.0f) v = 0.0f;  // -0 ranks with +0
          std::memcpy(&bits, &v, 4);
          bits = (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);  // ascending with the value
        }
        key[(size_t)c] = ~bits;  // ascending keys = descending values
        order[(size_t)c] = (int32_t)c;
      }
      for (int shift = 0; shift < 33; shift += 11) {
        std::fill(count.begin(), count.end(), 0u);
        for (int64_t c = 0; c < V; c++) count[(key[(size_t)c] >> shift) & 2047u]++;
        uint32_t sum = 0;
        for (uint32_t& n : count) { uint32_t t = n; n = sum; sum += t; }
        for (int64_t c = 0; c < V; c++) {
          uint32_t d = count[(key[(size_t)c] >> shift) & 2047u]++;
          key2[d] = key[(size_t)c];
          order2[d] = order[(size_t)c];
        }
        key.swap(key2);
        order.swap(order2);
      }
      double t = temperature;
      double m = (double)l[order[0]] / t;
      double z = 0;
      for (int64_t i = 0; i < kk; i++) { p[i] = std::exp((double)l[order[i]] / t - m); z += p[i]; }
      int64_t keep = kk;
      if (top_p < 1) {
        double cum = 0;
        for (int64_t i = 0; i < kk; i++) { cum += p[i] / z; if (cum >= (double)top_p) { keep = i + 1; break; } }
      }
      double zk = 0;
      for (int64_t i = 0; i < keep; i++) zk += p[i];
      double target = (double)u[r] * zk, acc = 0;
      int32_t chosen = order[keep - 1];
      for (int64_t i = 0; i < keep; i++) { acc += p[i]; if (target < acc) { chosen = order[i]; break; } }
      out[r] = chosen;
    }
  });
}

void gb_adamw(int64_t n, float* p, const float* g, float* m, float* v, double lr, double b1, double b2, double eps,
              double wd, double bc1, double bc2) {
  // double intermediates: b1*m + (1-b1)*g cancels badly in float; the loop is memory-bound anyway
  const double dlr = lr, db1 = b1, db2 = b2, deps = eps, decay = 1.0 - dlr * (double)wd, step = dlr / (double)bc1,
               ibc2 = 1.0 / (double)bc2;
  parallel_for(n, kGrain, [&](int64_t a, int64_t e) {
    for (int64_t i = a; i < e; i++) {
      double gi = g[i];
      double mi = db1 * m[i] + (1.0 - db1) * gi;
      double vi = db2 * v[i] + (1.0 - db2) * gi * gi;
      m[i] = (float)mi;
      v[i] = (float)vi;
      p[i] = (float)((double)p[i] * decay - step * mi / (std::sqrt(vi * ibc2) + deps));
    }
  });
}

}  // extern "C"
