// Native kernels: strided copy, fill, axpy, unary and binary elementwise ops, reductions, batched GEMM.
// Loops are written so that -O3 vectorizes the contiguous cases; large inputs are split over the pool.
#include <cblas.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "fastmath.h"
#include "kernels.h"
#include "pool.h"

using gb::parallel_for;

namespace {

constexpr int64_t kGrain = 16384;  // elements per task below which a loop stays on one thread
constexpr int kMaxDims = 16;       // the addon refuses more
constexpr float kSqrt2OverPi = 0.7978845608028654f;
constexpr float kInvSqrt2 = 0.7071067811865476f;
constexpr float kInvSqrt2Pi = 0.3989422804014327f;

// Drops size-1 dims and merges neighbours that are contiguous with each other in every operand.
// Returns the new rank; shapes/strides are rewritten in place (nops operands of strides).
int coalesce(int ndim, int64_t* shape, int64_t** strides, int nops) {
  int out = 0;
  for (int d = 0; d < ndim; d++) {
    if (shape[d] == 1) continue;
    if (out > 0) {
      bool merge = true;
      for (int o = 0; o < nops; o++)
        if (strides[o][out - 1] != strides[o][d] * shape[d]) merge = false;
      if (merge) {
        shape[out - 1] *= shape[d];
        for (int o = 0; o < nops; o++) strides[o][out - 1] = strides[o][d];
        continue;
      }
    }
    shape[out] = shape[d];
    for (int o = 0; o < nops; o++) strides[o][out] = strides[o][d];
    out++;
  }
  if (out == 0) {  // a scalar: one element
    shape[0] = 1;
    for (int o = 0; o < nops; o++) strides[o][0] = 0;
    out = 1;
  }
  return out;
}

// Offset of row `row` (over the dims before the last) for each operand.
inline void row_offsets(int64_t row, int nd, const int64_t* shape, int64_t** strides, int nops, int64_t* offs) {
  for (int o = 0; o < nops; o++) offs[o] = 0;
  for (int d = nd - 2; d >= 0; d--) {
    int64_t i = row % shape[d];
    row /= shape[d];
    for (int o = 0; o < nops; o++) offs[o] += i * strides[o][d];
  }
}

template <typename F>
void unary_loop(const float* x, float* y, int64_t n, F f) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) y[i] = f(x[i]);
  });
}

template <typename F>
void unary_bw_loop(const float* x, const float* y, const float* gy, float* gx, int64_t n, F d) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) gx[i] = gy[i] * d(x[i], y[i]);
  });
}

template <typename F>
void binary_loop(const float* a, const int64_t* sa, const float* b, const int64_t* sb, float* out, const int64_t* shape,
                 int nd, F f) {
  int64_t inner = shape[nd - 1], rows = 1;
  for (int d = 0; d < nd - 1; d++) rows *= shape[d];
  int64_t ia = sa[nd - 1], ib = sb[nd - 1];
  int64_t* strides[2] = {const_cast<int64_t*>(sa), const_cast<int64_t*>(sb)};
  parallel_for(rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, inner)), [&](int64_t r0, int64_t r1) {
    int64_t offs[2];
    for (int64_t r = r0; r < r1; r++) {
      row_offsets(r, nd, shape, strides, 2, offs);
      const float* pa = a + offs[0];
      const float* pb = b + offs[1];
      float* po = out + r * inner;
      if (ia == 1 && ib == 1) {
        for (int64_t i = 0; i < inner; i++) po[i] = f(pa[i], pb[i]);
      } else if (ia == 1 && ib == 0) {
        float bv = pb[0];
        for (int64_t i = 0; i < inner; i++) po[i] = f(pa[i], bv);
      } else if (ia == 0 && ib == 1) {
        float av = pa[0];
        for (int64_t i = 0; i < inner; i++) po[i] = f(av, pb[i]);
      } else {
        for (int64_t i = 0; i < inner; i++) po[i] = f(pa[i * ia], pb[i * ib]);
      }
    }
  });
}

// ---- small-M GEMM against a transposed weight (C = alpha A B^T + beta C, A [M, K], B [N, K])
constexpr int64_t kSmallM = 16;
typedef float v16f __attribute__((vector_size(64)));

inline v16f load16(const float* p) {
  v16f v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline float hsum(v16f t) {
  float s = 0;
  for (int j = 0; j < 16; j++) s += t[j];
  return s;
}

// Rows per task so that each thread streams one contiguous stretch of the weight (a multiple of 8 rows).
inline int64_t rows_per_task(int64_t N, int64_t K) {
  int64_t nt = gb::pool_threads();
  int64_t per = (N + nt - 1) / nt;
  per = (per + 7) / 8 * 8;
  // below ~64 KiB of weight per task the wake-up of a worker costs more than it saves
  int64_t min_rows = std::max<int64_t>(8, (int64_t(16384) + K - 1) / std::max<int64_t>(1, K));
  return std::max(per, min_rows);
}

// Dots of up to 4 rows of A (MR of them) with 4 weight rows w0..w3 over k in [0, K16), a multiple of 16:
// acc[m][r] += A_m . w_r. Each weight vector loaded is used MR times, each A vector 4 times.
template <int MR>
inline void tile_dots(const float* const* a, const float* w0, const float* w1, const float* w2, const float* w3,
                      int64_t K16, v16f (&acc)[4][4]) {
  for (int64_t k = 0; k < K16; k += 16) {
    v16f b0 = load16(w0 + k), b1 = load16(w1 + k), b2 = load16(w2 + k), b3 = load16(w3 + k);
    for (int m = 0; m < MR; m++) {
      v16f x = load16(a[m] + k);
      acc[m][0] += x * b0; acc[m][1] += x * b1; acc[m][2] += x * b2; acc[m][3] += x * b3;
    }
  }
}

// C = alpha A B^T + beta C with a few rows A [M, K] and a big weight B [N, K] (small-batch decode): weight rows
// are taken four at a time, streamed from memory once (the next four are prefetched while these are used) and
// dotted with every row of A, four A rows at a time, from cache.
void small_m_gemm_bt(int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda, const float* B,
                     int64_t ldb, float beta, float* C, int64_t ldc) {
  const int64_t K16 = K / 16 * 16;
  auto store = [&](int64_t m, int64_t n, float s) {
    float* c = C + m * ldc + n;
    s *= alpha;
    *c = beta == 0.0f ? s : s + beta * *c;
  };
  parallel_for((N + 3) / 4, std::max<int64_t>(1, rows_per_task(N, K) / 4), [&](int64_t g0, int64_t g1) {
    for (int64_t g = g0; g < g1; g++) {
      const int64_t n = g * 4, nr = std::min<int64_t>(4, N - n);
      const float* w[4];
      for (int r = 0; r < 4; r++) w[r] = B + (n + std::min<int64_t>(r, nr - 1)) * ldb;  // short group: repeat the last row
      // the next group's rows, into L2 while this one is computed
      for (int r = 0; r < 4; r++) {
        const float* nxt = B + (n + 4 + r) * ldb;
        for (int64_t k = 0; k < K; k += 16) __builtin_prefetch(nxt + k, 0, 2);
      }
      for (int64_t m0 = 0; m0 < M; m0 += 4) {
        const int mr = (int)std::min<int64_t>(4, M - m0);
        const float* a[4];
        for (int m = 0; m < 4; m++) a[m] = A + (m0 + std::min(m, mr - 1)) * lda;
        v16f acc[4][4] = {};
        switch (mr) {
          case 4: tile_dots<4>(a, w[0], w[1], w[2], w[3], K16, acc); break;
          case 3: tile_dots<3>(a, w[0], w[1], w[2], w[3], K16, acc); break;
          case 2: tile_dots<2>(a, w[0], w[1], w[2], w[3], K16, acc); break;
          default: tile_dots<1>(a, w[0], w[1], w[2], w[3], K16, acc); break;
        }
        for (int m = 0; m < mr; m++)
          for (int r = 0; r < nr; r++) {
            float s = hsum(acc[m][r]);
            for (int64_t k = K16; k < K; k++) s += a[m][k] * w[r][k];
            store(m0 + m, n + r, s);
          }
      }
    }
  });
}

}  // namespace

extern "C" {

void gb_copy_strided(const uint32_t* src, const int64_t* src_strides, uint32_t* dst, const int64_t* dst_strides,
                     const int64_t* shape_in, int ndim) {
  int64_t total = 1;
  for (int d = 0; d < ndim; d++) total *= shape_in[d];
  if (total == 0) return;
  int64_t shape[kMaxDims] = {1}, ss[kMaxDims] = {0}, ds[kMaxDims] = {0};
  for (int d = 0; d < ndim; d++) { shape[d] = shape_in[d]; ss[d] = src_strides[d]; ds[d] = dst_strides[d]; }
  int64_t* strides[2] = {ss, ds};
  int nd = coalesce(ndim, shape, strides, 2);
  int64_t inner = shape[nd - 1], rows = total / inner;
  int64_t is = ss[nd - 1], id = ds[nd - 1];
  if (nd >= 2 && is != 1 && ss[nd - 2] == 1 && shape[nd - 2] >= 8 && inner >= 8) {
    // a transpose in the last two dims: copy 32x32 tiles so both sides reuse their cache lines
    constexpr int64_t kTile = 32;
    const int64_t R = shape[nd - 2], rs = ss[nd - 2], rd = ds[nd - 2];
    const int64_t planes = rows / R, tr = (R + kTile - 1) / kTile, tc = (inner + kTile - 1) / kTile;
    parallel_for(planes * tr, std::max<int64_t>(1, kGrain / (kTile * inner)), [&](int64_t t0, int64_t t1) {
      int64_t offs[2];
      for (int64_t t = t0; t < t1; t++) {
        const int64_t plane = t / tr, r0 = (t % tr) * kTile, r1 = std::min(R, r0 + kTile);
        row_offsets(plane * R, nd, shape, strides, 2, offs);  // offsets of the plane's first row
        for (int64_t cb = 0; cb < tc; cb++) {
          const int64_t c0 = cb * kTile, c1 = std::min(inner, c0 + kTile);
          for (int64_t r = r0; r < r1; r++) {
            const uint32_t* sp = src + offs[0] + r * rs;
            uint32_t* dp = dst + offs[1] + r * rd;
            for (int64_t c = c0; c < c1; c++) dp[c * id] = sp[c * is];
          }
        }
      }
    });
    return;
  }
  parallel_for(rows, std::max<int64_t>(1, kGrain / inner), [&](int64_t r0, int64_t r1) {
    int64_t offs[2];
    for (int64_t r = r0; r < r1; r++) {
      row_offsets(r, nd, shape, strides, 2, offs);
      const uint32_t* s = src + offs[0];
      uint32_t* t = dst + offs[1];
      if (is == 1 && id == 1) std::memcpy(t, s, inner * 4);
      else if (id == 1) for (int64_t i = 0; i < inner; i++) t[i] = s[i * is];
      else for (int64_t i = 0; i < inner; i++) t[i * id] = s[i * is];
    }
  });
}

void gb_fill_f32(float* dst, int64_t n, float v) {
  parallel_for(n, kGrain * 4, [&](int64_t b, int64_t e) { for (int64_t i = b; i < e; i++) dst[i] = v; });
}

void gb_fill_i32(int32_t* dst, int64_t n, int32_t v) {
  parallel_for(n, kGrain * 4, [&](int64_t b, int64_t e) { for (int64_t i = b; i < e; i++) dst[i] = v; });
}

void gb_axpy(int64_t n, float alpha, const float* x, float* y) {
  parallel_for(n, kGrain * 2, [&](int64_t b, int64_t e) { for (int64_t i = b; i < e; i++) y[i] += alpha * x[i]; });
}

void gb_unary(int op, const float* x, float* y, int64_t n, float a) {
  switch (op) {
    case 0: unary_loop(x, y, n, [](float v) { return -v; }); break;
    case 1: unary_loop(x, y, n, [](float v) { return gb::exp_fast(v); }); break;
    case 2: unary_loop(x, y, n, [](float v) { return std::log(v); }); break;
    case 3: unary_loop(x, y, n, [](float v) { return std::sqrt(v); }); break;
    case 4: unary_loop(x, y, n, [](float v) { return 1.0f / std::sqrt(v); }); break;
    case 5: unary_loop(x, y, n, [](float v) { return gb::tanh_fast(v); }); break;
    case 6: unary_loop(x, y, n, [](float v) { return gb::sigmoid_fast(v); }); break;
    case 7: unary_loop(x, y, n, [](float v) { return v > 0.0f ? v : 0.0f; }); break;
    case 8: unary_loop(x, y, n, [](float v) { return 0.5f * v * (1.0f + gb::erf_fast(v * kInvSqrt2)); }); break;
    case 9:
      unary_loop(x, y, n, [](float v) {
        return 0.5f * v * (1.0f + gb::tanh_fast(kSqrt2OverPi * (v + 0.044715f * v * v * v)));
      });
      break;
    case 10: unary_loop(x, y, n, [](float v) { return v / (1.0f + gb::exp_fast(-v)); }); break;
    case 11: unary_loop(x, y, n, [](float v) { return std::fabs(v); }); break;
    case 12: unary_loop(x, y, n, [](float v) { return std::sin(v); }); break;
    case 13: unary_loop(x, y, n, [](float v) { return std::cos(v); }); break;
    case 14: unary_loop(x, y, n, [](float v) { return v * v; }); break;
    case 15: unary_loop(x, y, n, [](float v) { return 1.0f / v; }); break;
    case 16: unary_loop(x, y, n, [a](float v) { return a * v; }); break;
    case 17: unary_loop(x, y, n, [a](float v) { return v + a; }); break;
    case 18: unary_loop(x, y, n, [a](float v) { return std::pow(v, a); }); break;
    case 19: {
      float inv = 1.0f / a;
      unary_loop(x, y, n, [a, inv](float v) { return a * gb::tanh_fast(v * inv); });
      break;
    }
  }
}

void gb_unary_backward(int op, const float* x, const float* y, const float* gy, float* gx, int64_t n, float a) {
  switch (op) {
    case 0: unary_bw_loop(x, y, gy, gx, n, [](float, float) { return -1.0f; }); break;
    case 1: unary_bw_loop(x, y, gy, gx, n, [](float, float yv) { return yv; }); break;
    case 2: unary_bw_loop(x, y, gy, gx, n, [](float xv, float) { return 1.0f / xv; }); break;
    case 3: unary_bw_loop(x, y, gy, gx, n, [](float, float yv) { return 0.5f / yv; }); break;
    case 4: unary_bw_loop(x, y, gy, gx, n, [](float, float yv) { return -0.5f * yv * yv * yv; }); break;
    case 5: unary_bw_loop(x, y, gy, gx, n, [](float, float yv) { return 1.0f - yv * yv; }); break;
    case 6: unary_bw_loop(x, y, gy, gx, n, [](float, float yv) { return yv * (1.0f - yv); }); break;
    case 7: unary_bw_loop(x, y, gy, gx, n, [](float xv, float) { return xv > 0.0f ? 1.0f : 0.0f; }); break;
    case 8:
      unary_bw_loop(x, y, gy, gx, n, [](float xv, float) {
        float cdf = 0.5f * (1.0f + gb::erf_fast(xv * kInvSqrt2));
        float pdf = gb::exp_fast(-0.5f * xv * xv) * kInvSqrt2Pi;
        return cdf + xv * pdf;
      });
      break;
    case 9:
      unary_bw_loop(x, y, gy, gx, n, [](float xv, float) {
        float u = kSqrt2OverPi * (xv + 0.044715f * xv * xv * xv);
        float t = gb::tanh_fast(u);
        float du = kSqrt2OverPi * (1.0f + 3.0f * 0.044715f * xv * xv);
        return 0.5f * (1.0f + t) + 0.5f * xv * (1.0f - t * t) * du;
      });
      break;
    case 10:
      unary_bw_loop(x, y, gy, gx, n, [](float xv, float) {
        float s = gb::sigmoid_fast(xv);
        return s * (1.0f + xv * (1.0f - s));
      });
      break;
    case 11:
      unary_bw_loop(x, y, gy, gx, n, [](float xv, float) { return xv > 0.0f ? 1.0f : (xv < 0.0f ? -1.0f : 0.0f); });
      break;
    case 12: unary_bw_loop(x, y, gy, gx, n, [](float xv, float) { return std::cos(xv); }); break;
    case 13: unary_bw_loop(x, y, gy, gx, n, [](float xv, float) { return -std::sin(xv); }); break;
    case 14: unary_bw_loop(x, y, gy, gx, n, [](float xv, float) { return 2.0f * xv; }); break;
    case 15: unary_bw_loop(x, y, gy, gx, n, [](float, float yv) { return -yv * yv; }); break;
    case 16: unary_bw_loop(x, y, gy, gx, n, [a](float, float) { return a; }); break;
    case 17: unary_bw_loop(x, y, gy, gx, n, [](float, float) { return 1.0f; }); break;
    case 18: unary_bw_loop(x, y, gy, gx, n, [a](float xv, float) { return a * std::pow(xv, a - 1.0f); }); break;
    case 19: {
      float inv = 1.0f / a;
      unary_bw_loop(x, y, gy, gx, n, [inv](float, float yv) { float t = yv * inv; return 1.0f - t * t; });
      break;
    }
  }
}

void gb_binary(int op, const float* a, const int64_t* a_strides, const float* b, const int64_t* b_strides, float* out,
               const int64_t* shape_in, int ndim) {
  int64_t total = 1;
  for (int d = 0; d < ndim; d++) total *= shape_in[d];
  if (total == 0) return;
  // out is contiguous: its strides join the coalescing so merged dims stay row-major in out.
  int64_t shape[kMaxDims] = {1}, sa_[kMaxDims] = {0}, sb_[kMaxDims] = {0}, so[kMaxDims] = {0};
  int64_t acc = 1;
  for (int d = ndim - 1; d >= 0; d--) { so[d] = acc; acc *= shape_in[d]; }
  for (int d = 0; d < ndim; d++) { shape[d] = shape_in[d]; sa_[d] = a_strides[d]; sb_[d] = b_strides[d]; }
  int64_t* strides[3] = {sa_, sb_, so};
  int nd = coalesce(ndim, shape, strides, 3);
  const int64_t* sh = shape;
  switch (op) {
    case 0: binary_loop(a, sa_, b, sb_, out, sh, nd, [](float u, float v) { return u + v; }); break;
    case 1: binary_loop(a, sa_, b, sb_, out, sh, nd, [](float u, float v) { return u - v; }); break;
    case 2: binary_loop(a, sa_, b, sb_, out, sh, nd, [](float u, float v) { return u * v; }); break;
    case 3: binary_loop(a, sa_, b, sb_, out, sh, nd, [](float u, float v) { return u / v; }); break;
    case 4: binary_loop(a, sa_, b, sb_, out, sh, nd, [](float u, float v) { return u >= v ? u : v; }); break;
    case 5: binary_loop(a, sa_, b, sb_, out, sh, nd, [](float u, float v) { return u <= v ? u : v; }); break;
  }
}

void gb_reduce(int op, const float* x, int64_t outer, int64_t red, int64_t inner, float* out, int32_t* argmax) {
  if (outer == 0 || inner == 0) return;
  if (op == 0) {
    if (inner == 1) {
      parallel_for(outer, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, red)), [&](int64_t o0, int64_t o1) {
        for (int64_t o = o0; o < o1; o++) {
          const float* p = x + o * red;
          double s = 0;
          #pragma omp simd reduction(+ : s)
          for (int64_t r = 0; r < red; r++) s += p[r];
          out[o] = (float)s;
        }
      });
      return;
    }
    // columns: split (outer, inner-block) tasks; accumulate a block of columns in doubles
    constexpr int64_t kBlock = 256;
    int64_t nb = (inner + kBlock - 1) / kBlock;
    parallel_for(outer * nb, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, red * kBlock)), [&](int64_t t0, int64_t t1) {
      double accv[kBlock];
      for (int64_t t = t0; t < t1; t++) {
        int64_t o = t / nb, c0 = (t % nb) * kBlock, w = std::min(kBlock, inner - c0);
        for (int64_t c = 0; c < w; c++) accv[c] = 0;
        const float* p = x + o * red * inner + c0;
        for (int64_t r = 0; r < red; r++) {
          const float* row = p + r * inner;
          for (int64_t c = 0; c < w; c++) accv[c] += row[c];
        }
        for (int64_t c = 0; c < w; c++) out[o * inner + c0 + c] = (float)accv[c];
      }
    });
    return;
  }
  // max (first maximum wins; a NaN wins at once, like the reference)
  parallel_for(outer * inner, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, red)), [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; t++) {
      int64_t o = t / inner, c = t % inner;
      const float* p = x + o * red * inner + c;
      float m = -INFINITY;
      int32_t am = 0;
      for (int64_t r = 0; r < red; r++) {
        float v = p[r * inner];
        if (v > m) { m = v; am = (int32_t)r; }
        else if (std::isnan(v)) { m = v; am = (int32_t)r; break; }
      }
      out[t] = m;
      if (argmax) argmax[t] = am;
    }
  });
}

void gb_gemm(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
             int64_t strideA, const float* B, int64_t ldb, int64_t strideB, float beta, float* C, int64_t ldc,
             int64_t strideC, int64_t batch) {
  if (M == 0 || N == 0) return;
  for (int64_t i = 0; i < batch; i++) {
    float* c = C + i * strideC;
    if (K == 0) {  // C = beta * C (beta == 0 overwrites, ignoring what C held)
      for (int64_t r = 0; r < M; r++)
        for (int64_t j = 0; j < N; j++) c[r * ldc + j] = beta == 0.0f ? 0.0f : beta * c[r * ldc + j];
      continue;
    }
    if (M == 1) {
      // one row (batch-1 decode): sgemv streams B once; sgemm would pack B first (2-5x slower here). Measured
      // quiet on this 2-core machine, OpenBLAS's sgemv streamed Qwen2.5-0.5B's decode weights at 25 GB/s against
      // 21 GB/s for a hand-written prefetching AVX-512 gemv, so it stays. op(A) row 0 is A[0, :] (stride 1) or,
      // transposed, A[:, 0] (stride lda).
      const float* x = A + i * strideA;
      int incx = transA ? (int)lda : 1;
      if (beta == 0.0f) std::memset(c, 0, sizeof(float) * N);  // C may be uninitialized: never scale garbage
      if (transB)  // B stored [N, K]: c = B x
        cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)N, (int)K, alpha, B + i * strideB, (int)ldb, x, incx, beta, c, 1);
      else  // B stored [K, N]: c = B^T x
        cblas_sgemv(CblasRowMajor, CblasTrans, (int)K, (int)N, alpha, B + i * strideB, (int)ldb, x, incx, beta, c, 1);
      continue;
    }
    if (M <= kSmallM && transB && !transA && N >= 16) {
      // a few rows times a big weight stored [N, K] (small-batch decode): stream each weight row once and
      // dot it with every row of A while it sits in L1 (sgemm would pack the whole weight first)
      small_m_gemm_bt(M, N, K, alpha, A + i * strideA, lda, B + i * strideB, ldb, beta, c, ldc);
      continue;
    }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, (int)M, (int)N,
                (int)K, alpha, A + i * strideA, (int)lda, B + i * strideB, (int)ldb, beta, c, (int)ldc);
  }
}

}  // extern "C"
