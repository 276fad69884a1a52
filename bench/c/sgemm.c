/* OpenBLAS cblas_sgemm called from C: the ceiling the engine's gemm is compared against.
 * Usage: sgemm THREADS M N K [M N K ...]; prints one line "M N K GFLOP/s" per shape.
 * Method (shared with bench/sgemm.bench.ts): C = A B (row-major, no transposes, beta 0); one warm-up
 * call, then 7 rounds of enough calls to fill ~0.15 s each; the best round's mean time counts. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char** argv) {
  if (argc < 5 || (argc - 2) % 3 != 0) {
    fprintf(stderr, "usage: %s THREADS M N K [M N K ...]\n", argv[0]);
    return 2;
  }
  openblas_set_num_threads(atoi(argv[1]));
  for (int a = 2; a + 2 < argc; a += 3) {
    int M = atoi(argv[a]), N = atoi(argv[a + 1]), K = atoi(argv[a + 2]);
    float* A = malloc(sizeof(float) * (size_t)M * K);
    float* B = malloc(sizeof(float) * (size_t)K * N);
    float* C = malloc(sizeof(float) * (size_t)M * N);
    for (size_t i = 0; i < (size_t)M * K; i++) A[i] = (float)((i * 7919) % 13) / 13.0f - 0.5f;
    for (size_t i = 0; i < (size_t)K * N; i++) B[i] = (float)((i * 104729) % 17) / 17.0f - 0.5f;
    double flops = 2.0 * M * N * K;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N);
    double t0 = now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N);
    double one = now() - t0;
    int reps = (int)(0.15 / (one > 1e-6 ? one : 1e-6));
    if (reps < 1) reps = 1;
    double best = 1e30;
    for (int round = 0; round < 7; round++) {
      t0 = now();
      for (int r = 0; r < reps; r++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N);
      double t = (now() - t0) / reps;
      if (t < best) best = t;
    }
    printf("%d %d %d %.2f\n", M, N, K, flops / best / 1e9);
    fflush(stdout);
    free(A);
    free(B);
    free(C);
  }
  return 0;
}
