// Native kernels over rows: softmax / log-softmax (+ backward), LayerNorm, RMSNorm (+ backward), RoPE.
// Row statistics accumulate in double; rows are split over the pool.
#include <algorithm>
#include <cmath>
#include <vector>

#include "fastmath.h"
#include "kernels.h"
#include "pool.h"

using gb::parallel_for;

namespace {
constexpr int64_t kGrain = 16384;
inline int64_t row_grain(int64_t cols) { return std::max<int64_t>(1, kGrain / std::max<int64_t>(1, cols)); }
}  // namespace

extern "C" {

void gb_softmax(const float* x, float* y, int64_t rows, int64_t cols, int log) {
  if (cols == 0) return;
  parallel_for(rows, row_grain(cols), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * cols;
      float* yr = y + r * cols;
      float m = -INFINITY;
      #pragma omp simd reduction(max : m)
      for (int64_t c = 0; c < cols; c++) m = xr[c] > m ? xr[c] : m;
      if (log) {
        double s = 0;
        #pragma omp simd reduction(+ : s)
        for (int64_t c = 0; c < cols; c++) s += gb::exp_fast(xr[c] - m);
        float ls = (float)(std::log(s) + (double)m);
        for (int64_t c = 0; c < cols; c++) yr[c] = xr[c] - ls;
      } else {
        double s = 0;
        #pragma omp simd reduction(+ : s)
        for (int64_t c = 0; c < cols; c++) { float e = gb::exp_fast(xr[c] - m); yr[c] = e; s += e; }
        float inv = (float)(1.0 / s);
        for (int64_t c = 0; c < cols; c++) yr[c] *= inv;
      }
    }
  });
}

void gb_softmax_backward(const float* y, const float* gy, float* gx, int64_t rows, int64_t cols, int log) {
  if (cols == 0) return;
  parallel_for(rows, row_grain(cols), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* yr = y + r * cols;
      const float* gr = gy + r * cols;
      float* out = gx + r * cols;
      double s = 0;
      if (log) {
        #pragma omp simd reduction(+ : s)
        for (int64_t c = 0; c < cols; c++) s += gr[c];
        float sf = (float)s;
        for (int64_t c = 0; c < cols; c++) out[c] = gr[c] - gb::exp_fast(yr[c]) * sf;
      } else {
        #pragma omp simd reduction(+ : s)
        for (int64_t c = 0; c < cols; c++) s += (double)gr[c] * yr[c];
        float sf = (float)s;
        for (int64_t c = 0; c < cols; c++) out[c] = yr[c] * (gr[c] - sf);
      }
    }
  });
}

void gb_layer_norm(const float* x, const float* w, const float* b, float* y, float* mean, float* rstd, int64_t rows,
                   int64_t cols, float eps) {
  if (cols == 0) return;
  parallel_for(rows, row_grain(cols), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * cols;
      float* yr = y + r * cols;
      double s = 0;
      #pragma omp simd reduction(+ : s)
      for (int64_t c = 0; c < cols; c++) s += xr[c];
      double mu = s / (double)cols;
      double v = 0;
      #pragma omp simd reduction(+ : v)
      for (int64_t c = 0; c < cols; c++) { double d = xr[c] - mu; v += d * d; }
      double rs = 1.0 / std::sqrt(v / (double)cols + (double)eps);
      mean[r] = (float)mu;
      rstd[r] = (float)rs;
      float muf = (float)mu, rsf = (float)rs;
      if (w && b) for (int64_t c = 0; c < cols; c++) yr[c] = (xr[c] - muf) * rsf * w[c] + b[c];
      else if (w) for (int64_t c = 0; c < cols; c++) yr[c] = (xr[c] - muf) * rsf * w[c];
      else if (b) for (int64_t c = 0; c < cols; c++) yr[c] = (xr[c] - muf) * rsf + b[c];
      else for (int64_t c = 0; c < cols; c++) yr[c] = (xr[c] - muf) * rsf;
    }
  });
}

void gb_layer_norm_backward(const float* x, const float* w, const float* mean, const float* rstd, const float* gy,
                            float* gx, float* gw, float* gbias, int64_t rows, int64_t cols) {
  if (cols == 0) return;
  // As gb_rms_norm_backward: fixed row chunks write gx and, in the same pass, partial column sums for gw and
  // gb (double), added in chunk order afterwards.
  const int64_t chunk = std::max<int64_t>(64, (rows + 255) / 256), nchunks = (rows + chunk - 1) / chunk;
  std::vector<double> pw(gw ? (size_t)(nchunks * cols) : 0), pb(gbias ? (size_t)(nchunks * cols) : 0);
  parallel_for(nchunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t ch = c0; ch < c1; ch++) {
      double* aw = gw ? pw.data() + ch * cols : nullptr;
      double* ab = gbias ? pb.data() + ch * cols : nullptr;
      if (aw) for (int64_t c = 0; c < cols; c++) aw[c] = 0;
      if (ab) for (int64_t c = 0; c < cols; c++) ab[c] = 0;
      for (int64_t r = ch * chunk; r < std::min(rows, (ch + 1) * chunk); r++) {
        const float* xr = x + r * cols;
        const float* gr = gy + r * cols;
        float* out = gx + r * cols;
        float mu = mean[r], rs = rstd[r];
        double sg = 0, sgx = 0;
#pragma omp simd reduction(+ : sg, sgx)
        for (int64_t c = 0; c < cols; c++) {
          float xh = (xr[c] - mu) * rs;
          float g = w ? gr[c] * w[c] : gr[c];
          sg += g;
          sgx += (double)g * xh;
        }
        float a = (float)(sg / (double)cols), bq = (float)(sgx / (double)cols);
        for (int64_t c = 0; c < cols; c++) {
          float xh = (xr[c] - mu) * rs;
          float g = w ? gr[c] * w[c] : gr[c];
          out[c] = rs * (g - a - xh * bq);
        }
        if (aw) for (int64_t c = 0; c < cols; c++) aw[c] += (double)gr[c] * ((xr[c] - mean[r]) * rstd[r]);
        if (ab) for (int64_t c = 0; c < cols; c++) ab[c] += (double)gr[c];
      }
    }
  });
  auto reduce = [&](const std::vector<double>& part, float* dst) {
    parallel_for(cols, kGrain, [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; c++) {
        double s = 0;
        for (int64_t ch = 0; ch < nchunks; ch++) s += part[(size_t)(ch * cols + c)];
        dst[c] = (float)s;
      }
    });
  };
  if (gw) reduce(pw, gw);
  if (gbias) reduce(pb, gbias);
}

void gb_rms_norm(const float* x, const float* w, float* y, float* rstd, int64_t rows, int64_t cols, float eps,
                 float w_offset) {
  if (cols == 0) return;
  parallel_for(rows, row_grain(cols), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * cols;
      float* yr = y + r * cols;
      double ss = 0;
      #pragma omp simd reduction(+ : ss)
      for (int64_t c = 0; c < cols; c++) ss += (double)xr[c] * xr[c];
      float rs = (float)(1.0 / std::sqrt(ss / (double)cols + (double)eps));
      rstd[r] = rs;
      if (w) for (int64_t c = 0; c < cols; c++) yr[c] = xr[c] * rs * (w_offset + w[c]);
      else for (int64_t c = 0; c < cols; c++) yr[c] = xr[c] * rs;
    }
  });
}

void gb_rms_norm_backward(const float* x, const float* w, const float* rstd, const float* gy, float* gx, float* gw,
                          int64_t rows, int64_t cols, float w_offset) {
  if (cols == 0) return;
  // Rows in fixed chunks (set by the shape alone, so results do not depend on the thread count): each chunk
  // writes its gx rows and, in the same pass, its partial column sums for gw (double); the partials are then
  // added in chunk order. One pass over x and gy instead of two.
  const int64_t chunk = std::max<int64_t>(64, (rows + 255) / 256), nchunks = (rows + chunk - 1) / chunk;
  std::vector<double> part(gw ? (size_t)(nchunks * cols) : 0);
  parallel_for(nchunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t ch = c0; ch < c1; ch++) {
      double* acc = gw ? part.data() + ch * cols : nullptr;
      if (acc) for (int64_t c = 0; c < cols; c++) acc[c] = 0;
      for (int64_t r = ch * chunk; r < std::min(rows, (ch + 1) * chunk); r++) {
        const float* xr = x + r * cols;
        const float* gr = gy + r * cols;
        float* out = gx + r * cols;
        float rs = rstd[r];
        double dot = 0;
        if (w) {
#pragma omp simd reduction(+ : dot)
          for (int64_t c = 0; c < cols; c++) dot += (double)gr[c] * (w_offset + w[c]) * xr[c];
        } else {
#pragma omp simd reduction(+ : dot)
          for (int64_t c = 0; c < cols; c++) dot += (double)gr[c] * xr[c];
        }
        float k = (float)((double)rs * rs * rs * dot / (double)cols);
        if (w) for (int64_t c = 0; c < cols; c++) out[c] = rs * gr[c] * (w_offset + w[c]) - xr[c] * k;
        else for (int64_t c = 0; c < cols; c++) out[c] = rs * gr[c] - xr[c] * k;
        if (acc) for (int64_t c = 0; c < cols; c++) acc[c] += (double)gr[c] * xr[c] * rs;
      }
    }
  });
  if (gw) parallel_for(cols, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; c++) {
      double s = 0;
      for (int64_t ch = 0; ch < nchunks; ch++) s += part[(size_t)(ch * cols + c)];
      gw[c] = (float)s;
    }
  });
}

void gb_rope(const float* x, float* y, const float* cos, const float* sin, int64_t Bc, int64_t B, int64_t T, int64_t H,
             int64_t D, int64_t rot_dim, int inverse) {
  int64_t h = rot_dim / 2;
  float sgn = inverse ? -1.0f : 1.0f;
  parallel_for(B * T, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, H * D)), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; p++) {
      int64_t b = p / T, t = p % T;
      const float* cr = cos + ((Bc == 1 ? 0 : b) * T + t) * h;
      const float* sr = sin + ((Bc == 1 ? 0 : b) * T + t) * h;
      for (int64_t hd = 0; hd < H; hd++) {
        const float* xr = x + (p * H + hd) * D;
        float* yr = y + (p * H + hd) * D;
        for (int64_t d = 0; d < h; d++) {
          float c = cr[d], s = sgn * sr[d];
          float x1 = xr[d], x2 = xr[d + h];
          yr[d] = x1 * c - x2 * s;
          yr[d + h] = x2 * c + x1 * s;
        }
        for (int64_t d = rot_dim; d < D; d++) yr[d] = xr[d];
      }
    }
  });
}

}  // extern "C"
