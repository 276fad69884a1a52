/* Memory bandwidth from C: the ceiling batch-1 decode is compared against (bench/models.bench.ts).
 * Usage: membw THREADS MIB; prints "copy GB/s" and "read GB/s" lines.
 * copy: dst = src over MIB MiB split across THREADS pthreads, bytes counted as read + written (STREAM's
 * convention). read: a sum over the same MIB MiB (bytes read only: what decode does to its weights).
 * Method: one warm-up pass (faults the pages in), then the best of 7 passes. */
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
  double sum;
} Job;

static void* work(void* arg) {
  Job* j = (Job*)arg;
  if (j->mode == 0) {
    memcpy(j->dst, j->src, j->n * sizeof(float));
  } else {
    /* integer adds (associative) so the compiler vectorizes; reads every byte once */
    const unsigned long long* w = (const unsigned long long*)j->src;
    size_t nw = j->n / 2, i = 0;
    unsigned long long s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (; i + 4 <= nw; i += 4) { s0 += w[i]; s1 += w[i + 1]; s2 += w[i + 2]; s3 += w[i + 3]; }
    for (; i < nw; i++) s0 += w[i];
    j->sum = (double)(s0 + s1 + s2 + s3);
  }
  return NULL;
}

static double pass(float* src, float* dst, size_t n, int threads, int mode, double* sink) {
  pthread_t th[64];
  Job jobs[64];
  size_t per = (n / threads) & ~(size_t)15;
  double t0 = now();
  for (int t = 0; t < threads; t++) {
    size_t a = per * t, b = t == threads - 1 ? n : per * (t + 1);
    jobs[t] = (Job){src + a, dst + a, b - a, mode, 0};
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
  for (int mode = 0; mode < 2; mode++) {
    pass(src, dst, n, threads, mode, &sink);
    double best = 1e30;
    for (int r = 0; r < 7; r++) {
      double t = pass(src, dst, n, threads, mode, &sink);
      if (t < best) best = t;
    }
    double bytes = (double)n * sizeof(float) * (mode == 0 ? 2 : 1);
    printf("%s %.3f\n", mode == 0 ? "copy" : "read", bytes / best / 1e9);
  }
  fprintf(stderr, "(checksum %g)\n", sink);
  free(src);
  free(dst);
  return 0;
}
