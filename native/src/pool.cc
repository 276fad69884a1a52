// Persistent worker threads for parallel_for. One job at a time: the calling thread publishes a job,
// wakes the workers, takes chunks itself, then waits for the stragglers. Callers that find the pool busy
// (another JS thread) or are themselves workers run serially, so no deadlock and no oversubscription.
#include "pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace gb {
namespace {

thread_local bool t_in_pool = false;

struct Pool {
  std::mutex mu;
  std::condition_variable wake, done;
  std::vector<std::thread> workers;
  int nthreads = 1;
  bool stopping = false;
  uint64_t generation = 0;
  // current job
  const std::function<void(int64_t, int64_t)>* fn = nullptr;
  int64_t n = 0, chunk = 1;
  std::atomic<int64_t> next{0};
  int active = 0;  // workers still inside the current job
  std::mutex busy;  // held by the thread that owns the current job

  void run_chunks() {
    for (;;) {
      int64_t b = next.fetch_add(chunk, std::memory_order_relaxed);
      if (b >= n) break;
      (*fn)(b, std::min(n, b + chunk));
    }
  }

  void worker_main() {
    t_in_pool = true;
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lk(mu);
        wake.wait(lk, [&] { return stopping || generation != seen; });
        if (stopping) return;
        seen = generation;
      }
      run_chunks();
      {
        std::lock_guard<std::mutex> lk(mu);
        if (--active == 0) done.notify_one();
      }
    }
  }

  void stop_all() {
    {
      std::lock_guard<std::mutex> lk(mu);
      stopping = true;
    }
    wake.notify_all();
    for (auto& t : workers) t.join();
    workers.clear();
    stopping = false;
  }

  void resize(int n_threads) {
    std::lock_guard<std::mutex> own(busy);
    stop_all();
    nthreads = n_threads;
    for (int i = 1; i < n_threads; i++) workers.emplace_back([this] { worker_main(); });
  }

  ~Pool() { stop_all(); }
};

Pool& pool() {
  static Pool* p = new Pool();  // leaked on purpose: joining threads during static destruction is fragile
  return *p;
}

}  // namespace

void pool_set_threads(int n) {
  n = std::max(1, std::min(256, n));
  if (n == pool().nthreads && (int)pool().workers.size() == n - 1) return;
  pool().resize(n);
}

int pool_threads() { return pool().nthreads; }

bool pool_in_task() { return t_in_pool; }

void parallel_for_impl(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  Pool& p = pool();
  grain = std::max<int64_t>(1, grain);
  if (n <= grain || p.nthreads <= 1 || t_in_pool) { fn(0, n); return; }
  std::unique_lock<std::mutex> own(p.busy, std::try_to_lock);
  if (!own.owns_lock()) { fn(0, n); return; }
  int64_t parts = std::min<int64_t>((n + grain - 1) / grain, (int64_t)p.nthreads * 4);
  int64_t chunk = (n + parts - 1) / parts;
  int helpers = (int)std::min<int64_t>(p.workers.size(), parts - 1);
  if (helpers <= 0) { fn(0, n); return; }
  {
    std::lock_guard<std::mutex> lk(p.mu);
    p.fn = &fn;
    p.n = n;
    p.chunk = chunk;
    p.next.store(0, std::memory_order_relaxed);
    p.active = (int)p.workers.size();
    p.generation++;
  }
  p.wake.notify_all();
  t_in_pool = true;
  p.run_chunks();
  t_in_pool = false;
  std::unique_lock<std::mutex> lk(p.mu);
  p.done.wait(lk, [&] { return p.active == 0; });
  p.fn = nullptr;
}

}  // namespace gb
