/* Memory bandwidth from C: the ceiling batch-1 decode is compared against (bench/models.bench.ts).
 * Usage: membw THREADS MIB; prints "copy GB/s" and "read GB/s" lines.
 * copy: dst = src over MIB MiB split across THREADS pthreads, bytes counted as read + written (STREAM's
 * convention). read: a sum over the same MIB MiB (bytes read only: what decode does to its weights), the
 * best of several loops: plain, and with software prefetch 4 KiB / 16 KiB ahead (one per 64-byte line),
 * which on some machines streams well above what the hardware prefetcher alone reaches per core; with
 * 512-bit vector loads where the compiler targets AVX-512. So the read figure is a ceiling, not a floor.
 * Method: one warm-up pass (faults the pages in), then the best of 7 passes per loop. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct {
  float* src;
  float* dst;
  size_t n;
  int mode; /* 0 copy, 1 read */
  size_t ahead; /* read: software prefetch distance in floats (0: none) */
  double sum;
} Job;

#ifdef __AVX512F__
#include <immintrin.h>
/* 64 floats (4 lines) per iteration in four 512-bit accumulators; integer adds, so nothing can overflow into
 * NaN checks or denormal slow paths */
static double read_sum(const float* s, size_t n, size_t ahead) {
  __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
  size_t i = 0;
  if (ahead) {
    for (; i + 64 <= n; i += 64) {
      _mm_prefetch((const char*)(s + i + ahead), _MM_HINT_T0);
      _mm_prefetch((const char*)(s + i + ahead + 16), _MM_HINT_T0);
      _mm_prefetch((const char*)(s + i + ahead + 32), _MM_HINT_T0);
      _mm_prefetch((const char*)(s + i + ahead + 48), _MM_HINT_T0);
      a0 = _mm512_add_epi32(a0, _mm512_load_si512((const void*)(s + i)));
      a1 = _mm512_add_epi32(a1, _mm512_load_si512((const void*)(s + i + 16)));
      a2 = _mm512_add_epi32(a2, _mm512_load_si512((const void*)(s + i + 32)));
      a3 = _mm512_add_epi32(a3, _mm512_load_si512((const void*)(s + i + 48)));
    }
  } else {
    for (; i + 64 <= n; i += 64) {
      a0 = _mm512_add_epi32(a0, _mm512_load_si512((const void*)(s + i)));
      a1 = _mm512_add_epi32(a1, _mm512_load_si512((const void*)(s + i + 16)));
      a2 = _mm512_add_epi32(a2, _mm512_load_si512((const void*)(s + i + 32)));
      a3 = _mm512_add_epi32(a3, _mm512_load_si512((const void*)(s + i + 48)));
    }
  }
  long long t = _mm512_reduce_add_epi32(_mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3)));
  const unsigned* u = (const unsigned*)s;
  for (; i < n; i++) t += u[i];
  return (double)t;
}
#else
static double read_sum(const float* s, size_t n, size_t ahead) {
  /* integer adds (associative) so the compiler vectorizes; reads every byte once */
  const unsigned long long* w = (const unsigned long long*)s;
  size_t nw = n / 2, i = 0;
  unsigned long long s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  if (ahead) {
    for (; i + 8 <= nw; i += 8) {
      __builtin_prefetch(w + i + ahead / 2, 0, 3);
      s0 += w[i] + w[i + 4]; s1 += w[i + 1] + w[i + 5]; s2 += w[i + 2] + w[i + 6]; s3 += w[i + 3] + w[i + 7];
    }
  }
  for (; i + 4 <= nw; i += 4) { s0 += w[i]; s1 += w[i + 1]; s2 += w[i + 2]; s3 += w[i + 3]; }
  for (; i < nw; i++) s0 += w[i];
  if (n & 1) s0 += ((const unsigned*)s)[n - 1];
  return (double)(s0 + s1 + s2 + s3);
}
#endif

static void* work(void* arg) {
  Job* j = (Job*)arg;
  if (j->mode == 0) memcpy(j->dst, j->src, j->n * sizeof(float));
  else j->sum = read_sum(j->src, j->n, j->ahead);
  return NULL;
}

static double pass(float* src, float* dst, size_t n, int threads, int mode, size_t ahead, double* sink) {
  pthread_t th[64];
  Job jobs[64];
  size_t per = (n / threads) & ~(size_t)15;
  double t0 = now();
  for (int t = 0; t < threads; t++) {
    size_t a = per * t, b = t == threads - 1 ? n : per * (t + 1);
    jobs[t] = (Job){src + a, dst + a, b - a, mode, ahead, 0};
    pthread_create(&th[t], NULL, work, &jobs[t]);
  }
  for (int t = 0; t < threads; t++) {
    pthread_join(th[t], NULL);
    *sink += jobs[t].sum;
  }
  return now() - t0;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s THREADS MIB\n", argv[0]);
    return 2;
  }
  int threads = atoi(argv[1]);
  if (threads < 1) threads = 1;
  if (threads > 64) threads = 64;
  size_t n = (size_t)atol(argv[2]) * 1024 * 1024 / sizeof(float);
  float* src = aligned_alloc(64, n * sizeof(float));
  float* dst = aligned_alloc(64, n * sizeof(float));
  if (!src || !dst) {
    fprintf(stderr, "membw: cannot allocate 2 x %s MiB\n", argv[2]);
    return 1;
  }
  for (size_t i = 0; i < n; i++) { src[i] = (float)(i % 97); dst[i] = 0; }
  double sink = 0;
  /* copy, then read without prefetch and with prefetch 1024 and 4096 floats ahead; read prints the best */
  const size_t aheads[3] = {0, 1024, 4096};
  double read_best = 0;
  for (int v = 0; v < 4; v++) {
    int mode = v == 0 ? 0 : 1;
    size_t ahead = v == 0 ? 0 : aheads[v - 1];
    pass(src, dst, n, threads, mode, ahead, &sink);
    double best = 1e30;
    for (int r = 0; r < 7; r++) {
      double t = pass(src, dst, n, threads, mode, ahead, &sink);
      if (t < best) best = t;
    }
    double gbs = (double)n * sizeof(float) * (mode == 0 ? 2 : 1) / best / 1e9;
    if (mode == 0) printf("copy %.3f\n", gbs);
    else {
      fprintf(stderr, "(read, prefetch %zu floats ahead: %.3f GB/s)\n", ahead, gbs);
      if (gbs > read_best) read_best = gbs;
    }
  }
  printf("read %.3f\n", read_best);
  fprintf(stderr, "(checksum %g)\n", sink);
  free(src);
  free(dst);
  return 0;
}
