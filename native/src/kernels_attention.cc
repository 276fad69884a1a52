// Fused attention (GQA, causal, sliding window, logit soft-capping, key padding mask, strided q/k/v),
// forward and backward, O(T*S) memory per head. Two paths with the same results:
//  - blocks of queries (T >= 16): per (batch, head) OpenBLAS sgemm for Q K^T and P V (and the four
//    backward products), called from this thread so OpenBLAS's own threads do the parallel work; the
//    masked, soft-capped softmax runs in between on the rows;
//  - few queries (decoding) or layouts sgemm cannot take: row loops split over the addon's pool by query
//    rows (forward, gq) and key rows (gk, gv), so every output row has exactly one writer.
#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "fastmath.h"
#include "kernels.h"
#include "pool.h"

using gb::parallel_for;

namespace {

inline float dot(const float* a, const float* b, int64_t n) {
  float s = 0;
  #pragma omp simd reduction(+ : s)
  for (int64_t d = 0; d < n; d++) s += a[d] * b[d];
  return s;
}

// Visible key range [lo, hi) for query i, before the key mask.
inline void key_range(const gb_attn_geom& g, int64_t i, int64_t* lo, int64_t* hi) {
  int64_t qi = i + g.qPos0;
  int64_t h = g.S;
  if (g.causal) h = std::min<int64_t>(h, qi + 1);
  int64_t l = 0;
  if (g.window > 0) l = std::max<int64_t>(0, qi - g.window + 1);
  if (h < 0) h = 0;
  if (l > h) l = h;
  *lo = l;
  *hi = h;
}

// Keys (or values) of every (b, kv head) transposed to [B][Hkv][D][S], so a score row is D contiguous
// axpys over keys (vectorized, no horizontal sums) instead of S short dot products.
std::vector<float> transpose_heads(const float* x, int64_t sB, int64_t sS, int64_t B, int64_t S, int64_t Hkv,
                                   int64_t D) {
  std::vector<float> t((size_t)(B * Hkv * D * S));
  parallel_for(B * Hkv, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, S * D)), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; p++) {
      int64_t b = p / Hkv, hk = p % Hkv;
      float* dst = t.data() + p * D * S;
      for (int64_t j = 0; j < S; j++) {
        const float* src = x + b * sB + j * sS + hk * D;
        for (int64_t d = 0; d < D; d++) dst[d * S + j] = src[d];
      }
    }
  });
  return t;
}

// out[j] = scale * (q . key_j) for j in [lo, hi), from transposed keys kt [D][S].
inline void score_row(const float* q, const float* kt, int64_t S, int64_t D, float scale, int64_t lo, int64_t hi,
                      float* out) {
  for (int64_t j = lo; j < hi; j++) out[j] = 0;
  for (int64_t d = 0; d < D; d++) {
    const float qd = q[d];
    const float* row = kt + d * S;
    for (int64_t j = lo; j < hi; j++) out[j] += qd * row[j];
  }
  for (int64_t j = lo; j < hi; j++) out[j] *= scale;
}

}  // namespace


static void attention_rows(const float* q, const float* k, const float* v, const gb_attn_geom* gp,
                           const int32_t* key_mask, float* out, float* probs) {
  const gb_attn_geom g = *gp;
  const int64_t B = g.B, T = g.T, S = g.S, Hq = g.Hq, D = g.D, group = g.Hq / g.Hkv;
  int64_t rows = B * Hq * T;
  int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, S * D + D));
  // with few queries per kv head (decoding) the transpose would cost as much as the scores themselves
  const bool use_kt = T * group >= 8 && S > 0 && D > 0;
  std::vector<float> kt;
  if (use_kt) kt = transpose_heads(k, g.ksB, g.ksS, B, S, g.Hkv, D);
  parallel_for(rows, grain, [&](int64_t r0, int64_t r1) {
    std::vector<float> sc(S > 0 ? S : 1);
    for (int64_t r = r0; r < r1; r++) {
      int64_t i = r % T, bh = r / T, h = bh % Hq, b = bh / Hq, hk = h / group;
      const float* qi = q + b * g.qsB + i * g.qsT + h * D;
      const float* kb = k + b * g.ksB + hk * D;
      const float* vb = v + b * g.vsB + hk * D;
      const int32_t* mask = key_mask ? key_mask + b * S : nullptr;
      float* o = out + ((b * T + i) * Hq + h) * D;
      float* pr = probs ? probs + ((b * Hq + h) * T + i) * S : nullptr;
      int64_t lo, hi;
      key_range(g, i, &lo, &hi);
      if (use_kt) score_row(qi, kt.data() + (b * g.Hkv + hk) * D * S, S, D, g.scale, lo, hi, sc.data());
      else for (int64_t j = lo; j < hi; j++) sc[j] = dot(qi, kb + j * g.ksS, D) * g.scale;
      if (g.softcap > 0) {
        const float cap = g.softcap, inv = 1.0f / g.softcap;
        for (int64_t j = lo; j < hi; j++) sc[j] = cap * gb::tanh_fast(sc[j] * inv);
      }
      if (mask)
        for (int64_t j = lo; j < hi; j++) sc[j] = mask[j] == 0 ? -INFINITY : sc[j];
      float m = -INFINITY;
#pragma omp simd reduction(max : m)
      for (int64_t j = lo; j < hi; j++) m = sc[j] > m ? sc[j] : m;
      for (int64_t d = 0; d < D; d++) o[d] = 0;
      if (pr) {
        for (int64_t j = 0; j < lo; j++) pr[j] = 0;
        for (int64_t j = hi; j < S; j++) pr[j] = 0;
      }
      double z = 0;
      if (m != -INFINITY) {
#pragma omp simd reduction(+ : z)
        for (int64_t j = lo; j < hi; j++) {
          float e = gb::exp_fast(sc[j] - m);  // exp(-inf) = 0 for masked keys
          sc[j] = e;
          z += e;
        }
      } else {
        for (int64_t j = lo; j < hi; j++) sc[j] = 0;
      }
      float inv = z > 0 ? (float)(1.0 / z) : 0.0f;
      for (int64_t j = lo; j < hi; j++) {
        float p = sc[j] * inv;
        if (pr) pr[j] = p;
        if (p == 0.0f) continue;
        const float* vj = vb + j * g.vsS;
        for (int64_t d = 0; d < D; d++) o[d] += p * vj[d];
      }
    }
  });
}

static void attention_backward_rows(const float* q, const float* k, const float* v, const gb_attn_geom* gp,
                                    const int32_t* key_mask, const float* probs, const float* gout, float* gq,
                                    float* gk, float* gv) {
  const gb_attn_geom g = *gp;
  const int64_t B = g.B, T = g.T, S = g.S, Hq = g.Hq, Hkv = g.Hkv, D = g.D, group = g.Hq / g.Hkv;
  if (B == 0 || D == 0) return;
  // ds[hl, i, j]: d loss / d (q_i . k_j) for the query heads of one (b, kv head), scale included.
  std::vector<float> ds((size_t)std::max<int64_t>(1, group * T * S));
  const bool use_t = T * group >= 8 && S > 0;
  std::vector<float> vt, kt;
  if (use_t) {
    vt = transpose_heads(v, g.vsB, g.vsS, B, S, Hkv, D);
    if (g.softcap > 0) kt = transpose_heads(k, g.ksB, g.ksS, B, S, Hkv, D);
  }
  for (int64_t b = 0; b < B; b++) {
    for (int64_t hk = 0; hk < Hkv; hk++) {
      const float* kb = k + b * g.ksB + hk * D;
      const float* vb = v + b * g.vsB + hk * D;
      // pass 1: over query rows of the group -> ds and gq
      parallel_for(group * T, std::max<int64_t>(1, 8192 / std::max<int64_t>(1, S * D)), [&](int64_t r0, int64_t r1) {
        std::vector<float> raw_buf;  // soft-cap only: raw scores of one row
        for (int64_t r = r0; r < r1; r++) {
          int64_t hl = r / T, i = r % T, h = hk * group + hl;
          const float* pr = probs + ((b * Hq + h) * T + i) * S;
          const float* go = gout + ((b * T + i) * Hq + h) * D;
          const float* qi = q + b * g.qsB + i * g.qsT + h * D;
          float* dsr = ds.data() + (hl * T + i) * S;
          float* gqi = gq + ((b * T + i) * Hq + h) * D;
          // dp_j = gOut_i . v_j over the keys this row attends to (probs are 0 elsewhere)
          int64_t lo, hi;
          key_range(g, i, &lo, &hi);
          for (int64_t j = 0; j < lo; j++) dsr[j] = 0;
          for (int64_t j = hi; j < S; j++) dsr[j] = 0;
          if (use_t) score_row(go, vt.data() + (b * Hkv + hk) * D * S, S, D, 1.0f, lo, hi, dsr);
          else for (int64_t j = lo; j < hi; j++) dsr[j] = dot(go, vb + j * g.vsS, D);
          double dotp = 0;
#pragma omp simd reduction(+ : dotp)
          for (int64_t j = lo; j < hi; j++) dotp += (double)pr[j] * dsr[j];
          const float dotf = (float)dotp;
          for (int64_t j = lo; j < hi; j++) dsr[j] = pr[j] * (dsr[j] - dotf);  // d loss / d capped score
          if (g.softcap > 0) {
            // d capped / d raw = 1 - tanh^2(raw / cap), raw recomputed from q and k
            if (raw_buf.empty()) raw_buf.resize(S);
            float* raw = raw_buf.data();
            if (use_t) score_row(qi, kt.data() + (b * Hkv + hk) * D * S, S, D, g.scale, lo, hi, raw);
            else for (int64_t j = lo; j < hi; j++) raw[j] = dot(qi, kb + j * g.ksS, D) * g.scale;
            const float inv = 1.0f / g.softcap;
            for (int64_t j = lo; j < hi; j++) { float t = gb::tanh_fast(raw[j] * inv); dsr[j] *= 1.0f - t * t; }
          }
          for (int64_t j = lo; j < hi; j++) dsr[j] *= g.scale;
          for (int64_t d = 0; d < D; d++) gqi[d] = 0;
          for (int64_t j = lo; j < hi; j++) {
            const float d_s = dsr[j];
            if (d_s == 0.0f) continue;
            const float* kj = kb + j * g.ksS;
            for (int64_t d = 0; d < D; d++) gqi[d] += d_s * kj[d];
          }
        }
      });
      // pass 2: over keys -> gk, gv
      parallel_for(S, std::max<int64_t>(1, 8192 / std::max<int64_t>(1, group * T * D)), [&](int64_t j0, int64_t j1) {
        for (int64_t j = j0; j < j1; j++) {
          float* gkj = gk + ((b * S + j) * Hkv + hk) * D;
          float* gvj = gv + ((b * S + j) * Hkv + hk) * D;
          for (int64_t d = 0; d < D; d++) { gkj[d] = 0; gvj[d] = 0; }
          for (int64_t hl = 0; hl < group; hl++) {
            int64_t h = hk * group + hl;
            for (int64_t i = 0; i < T; i++) {
              float p = probs[((b * Hq + h) * T + i) * S + j];
              if (p == 0.0f) continue;
              float d_s = ds[(hl * T + i) * S + j];
              const float* qi = q + b * g.qsB + i * g.qsT + h * D;
              const float* go = gout + ((b * T + i) * Hq + h) * D;
              for (int64_t d = 0; d < D; d++) { gkj[d] += d_s * qi[d]; gvj[d] += p * go[d]; }
            }
          }
        }
      });
    }
  }
}


namespace {

bool blas_path_ok(const gb_attn_geom& g) {
  return g.T >= 16 && g.S >= 1 && g.D >= 1 && g.Hq >= 1 && g.qsT >= g.D && g.ksS >= g.D && g.vsS >= g.D;
}

// One row of scores (already scaled) -> masked, soft-capped softmax probabilities, in place.
inline void softmax_row(const gb_attn_geom& g, const int32_t* mask, int64_t i, float* row) {
  const int64_t S = g.S;
  int64_t lo, hi;
  key_range(g, i, &lo, &hi);
  for (int64_t j = 0; j < lo; j++) row[j] = 0;
  for (int64_t j = hi; j < S; j++) row[j] = 0;
  if (g.softcap > 0) {
    const float cap = g.softcap, inv = 1.0f / g.softcap;
    for (int64_t j = lo; j < hi; j++) row[j] = cap * gb::tanh_fast(row[j] * inv);
  }
  if (mask)
    for (int64_t j = lo; j < hi; j++) row[j] = mask[j] == 0 ? -INFINITY : row[j];
  float m = -INFINITY;
#pragma omp simd reduction(max : m)
  for (int64_t j = lo; j < hi; j++) m = row[j] > m ? row[j] : m;
  if (m == -INFINITY) {
    for (int64_t j = lo; j < hi; j++) row[j] = 0;
    return;
  }
  double z = 0;
#pragma omp simd reduction(+ : z)
  for (int64_t j = lo; j < hi; j++) {
    float e = gb::exp_fast(row[j] - m);
    row[j] = e;
    z += e;
  }
  const float inv = (float)(1.0 / z);
  for (int64_t j = lo; j < hi; j++) row[j] *= inv;
}

// Runs fn(p) for p in [0, n): split over the pool with OpenBLAS held to one thread per call when there are
// enough independent (batch, head) problems to fill the pool, otherwise serially with OpenBLAS threading each
// (small) sgemm. At training shapes (T = S = 128, D = 64) handing each small sgemm to OpenBLAS's threads cost
// more in hand-offs than it gained; sgemm splits M and N, never K, so results do not depend on the threads.
template <typename F>
void over_heads(int64_t n, F fn) {
  const int threads = gb::pool_threads();
  if (threads > 1 && n >= 2 * threads && !gb::pool_in_task()) {
    const int blas = openblas_get_num_threads();
    openblas_set_num_threads(1);
    parallel_for(n, 1, [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; p++) fn(p);
    });
    openblas_set_num_threads(blas);
  } else {
    for (int64_t p = 0; p < n; p++) fn(p);
  }
}

// Query rows per block: with a causal mask or a window each block of rows sees only a band of keys, so
// the score and value products skip the keys no row of the block can see (a causal T = 128 computes
// 62.5% of the full products in 32-row blocks).
inline int64_t row_block(const gb_attn_geom& g) {
  return (g.causal || g.window > 0) && g.T >= 64 ? 32 : g.T;
}

// Keys [klo, khi) visible to any of the rows [i0, i1) (ranges move monotonically with the row).
inline void block_keys(const gb_attn_geom& g, int64_t i0, int64_t i1, int64_t* klo, int64_t* khi) {
  int64_t lo0, hi0, lo1, hi1;
  key_range(g, i0, &lo0, &hi0);
  key_range(g, i1 - 1, &lo1, &hi1);
  *klo = lo0;
  *khi = std::max(hi1, lo0);
}

void attention_blas(const float* q, const float* k, const float* v, const gb_attn_geom& g, const int32_t* key_mask,
                    float* out, float* probs) {
  const int64_t B = g.B, T = g.T, S = g.S, Hq = g.Hq, D = g.D, group = g.Hq / g.Hkv, blk = row_block(g);
  over_heads(B * Hq, [&](int64_t p) {
    const int64_t b = p / Hq, h = p % Hq, hk = h / group;
    const int32_t* mask = key_mask ? key_mask + b * S : nullptr;
    const float* qh = q + b * g.qsB + h * D;
    const float* kh = k + b * g.ksB + hk * D;
    const float* vh = v + b * g.vsB + hk * D;
    std::vector<float> scratch(probs ? 0 : (size_t)(T * S));
    float* P = probs ? probs + (b * Hq + h) * T * S : scratch.data();
    float* oh = out + (b * T * Hq + h) * D;
    const int ldo = (int)(Hq * D);
    for (int64_t i0 = 0; i0 < T; i0 += blk) {
      const int64_t i1 = std::min(T, i0 + blk), M = i1 - i0;
      int64_t klo, khi;
      block_keys(g, i0, i1, &klo, &khi);
      if (khi > klo)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)M, (int)(khi - klo), (int)D, g.scale, qh + i0 * g.qsT,
                    (int)g.qsT, kh + klo * g.ksS, (int)g.ksS, 0.0f, P + i0 * S + klo, (int)S);
      parallel_for(M, std::max<int64_t>(1, 16384 / S), [&](int64_t r0, int64_t r1) {
        for (int64_t i = i0 + r0; i < i0 + r1; i++) softmax_row(g, mask, i, P + i * S);  // zeroes outside [lo, hi)
      });
      if (khi > klo)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)M, (int)D, (int)(khi - klo), 1.0f, P + i0 * S + klo,
                    (int)S, vh + klo * g.vsS, (int)g.vsS, 0.0f, oh + i0 * ldo, ldo);
      else
        for (int64_t i = i0; i < i1; i++) std::fill(oh + i * ldo, oh + i * ldo + D, 0.0f);
    }
  });
}

void attention_backward_blas(const float* q, const float* k, const float* v, const gb_attn_geom& g,
                             const float* probs, const float* gout, float* gq, float* gk, float* gv) {
  const int64_t B = g.B, T = g.T, S = g.S, Hq = g.Hq, Hkv = g.Hkv, D = g.D, group = g.Hq / g.Hkv, blk = row_block(g);
  const int ldo = (int)(Hq * D), ldkv = (int)(Hkv * D);
  // one task per (batch, kv head): the query heads of a group and the row blocks accumulate into its gk / gv
  over_heads(B * Hkv, [&](int64_t p) {
    const int64_t b = p / Hkv, hk = p % Hkv;
    std::vector<float> ds((size_t)(T * S)), raw(g.softcap > 0 ? (size_t)(T * S) : 0);
    float* gkh = gk + (b * S * Hkv + hk) * D;
    float* gvh = gv + (b * S * Hkv + hk) * D;
    for (int64_t j = 0; j < S; j++) {
      std::fill(gkh + j * ldkv, gkh + j * ldkv + D, 0.0f);
      std::fill(gvh + j * ldkv, gvh + j * ldkv + D, 0.0f);
    }
    for (int64_t h = hk * group; h < (hk + 1) * group; h++) {
      const float* qh = q + b * g.qsB + h * D;
      const float* kh = k + b * g.ksB + hk * D;
      const float* vh = v + b * g.vsB + hk * D;
      const float* P = probs + (b * Hq + h) * T * S;
      const float* gO = gout + (b * T * Hq + h) * D;
      float* gqh = gq + (b * T * Hq + h) * D;
      for (int64_t i0 = 0; i0 < T; i0 += blk) {
        const int64_t i1 = std::min(T, i0 + blk), M = i1 - i0;
        int64_t klo, khi;
        block_keys(g, i0, i1, &klo, &khi);
        const int64_t N = khi - klo;
        if (N == 0) {
          for (int64_t i = i0; i < i1; i++) std::fill(gqh + i * ldo, gqh + i * ldo + D, 0.0f);
          continue;
        }
        float* dsb = ds.data() + i0 * S + klo;
        // dP = gOut V^T over the block's keys
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)M, (int)N, (int)D, 1.0f, gO + i0 * ldo, ldo,
                    vh + klo * g.vsS, (int)g.vsS, 0.0f, dsb, (int)S);
        if (g.softcap > 0)
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)M, (int)N, (int)D, g.scale, qh + i0 * g.qsT,
                      (int)g.qsT, kh + klo * g.ksS, (int)g.ksS, 0.0f, raw.data() + i0 * S + klo, (int)S);
        // dS = P * (dP - sum(P dP)) [* (1 - tanh^2)] * scale, row by row (P is 0 outside each row's keys)
        parallel_for(M, std::max<int64_t>(1, 16384 / S), [&](int64_t r0, int64_t r1) {
          for (int64_t i = i0 + r0; i < i0 + r1; i++) {
            const float* pr = P + i * S;
            float* d = ds.data() + i * S;
            double dot = 0;
#pragma omp simd reduction(+ : dot)
            for (int64_t j = klo; j < khi; j++) dot += (double)pr[j] * d[j];
            const float dotf = (float)dot;
            for (int64_t j = klo; j < khi; j++) d[j] = pr[j] * (d[j] - dotf);
            if (g.softcap > 0) {
              const float* r = raw.data() + i * S;
              const float inv = 1.0f / g.softcap;
              for (int64_t j = klo; j < khi; j++) { float t = gb::tanh_fast(r[j] * inv); d[j] *= 1.0f - t * t; }
            }
            for (int64_t j = klo; j < khi; j++) d[j] *= g.scale;
          }
        });
        // gq = dS K ; gk += dS^T Q ; gv += P^T gOut
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)M, (int)D, (int)N, 1.0f, dsb, (int)S,
                    kh + klo * g.ksS, (int)g.ksS, 0.0f, gqh + i0 * ldo, ldo);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)N, (int)D, (int)M, 1.0f, dsb, (int)S,
                    qh + i0 * g.qsT, (int)g.qsT, 1.0f, gkh + klo * ldkv, ldkv);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)N, (int)D, (int)M, 1.0f, P + i0 * S + klo, (int)S,
                    gO + i0 * ldo, ldo, 1.0f, gvh + klo * ldkv, ldkv);
      }
    }
  });
}

}  // namespace

extern "C" {

void gb_attention(const float* q, const float* k, const float* v, const gb_attn_geom* g, const int32_t* key_mask,
                  float* out, float* probs) {
  if (blas_path_ok(*g)) attention_blas(q, k, v, *g, key_mask, out, probs);
  else attention_rows(q, k, v, g, key_mask, out, probs);
}

void gb_attention_backward(const float* q, const float* k, const float* v, const gb_attn_geom* g,
                           const int32_t* key_mask, const float* probs, const float* gout, float* gq, float* gk,
                           float* gv) {
  if (blas_path_ok(*g)) attention_backward_blas(q, k, v, *g, probs, gout, gq, gk, gv);
  else attention_backward_rows(q, k, v, g, key_mask, probs, gout, gq, gk, gv);
}

}  // extern "C"
