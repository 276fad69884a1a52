// The addon's own persistent thread pool (std::thread workers; not OpenMP, which would fight OpenBLAS's
// pthreads for the cores) and a parallel-for over [0, n) in chunks of at least `grain` items.
#pragma once
#include <cstdint>
#include <functional>

namespace gb {

// Number of threads kernels use (the caller counts as one). Clamped to [1, 256].
void pool_set_threads(int n);
int pool_threads();
bool pool_in_task();

void parallel_for_impl(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

// Runs fn(begin, end) over disjoint chunks covering [0, n). Serial when n <= grain, when the pool has one
// thread, or when called from inside a pool task (no nesting). Blocks until every chunk is done.
// The serial case is decided inline, so a tiny kernel pays no std::function or pool cost.
template <typename F>
inline void parallel_for(int64_t n, int64_t grain, F&& fn) {
  if (n <= 0) return;
  if (n <= grain || pool_threads() <= 1 || pool_in_task()) { fn(int64_t(0), n); return; }
  parallel_for_impl(n, grain, std::function<void(int64_t, int64_t)>(fn));
}

}  // namespace gb
