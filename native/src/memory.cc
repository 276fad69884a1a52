// Size classes: 64-byte multiples up to 1 KiB, then four classes per power of two (<= 25% slack).
// Freed blocks go to a per-class free list while the cache holds under its limit (512 MiB by default).
// `held` (live + cached) changes only when a block comes from or goes back to the system.
#include "memory.h"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace gb {
namespace {

std::mutex g_mu;
std::unordered_map<size_t, std::vector<void*>> g_cache;
int64_t g_cached = 0, g_live = 0, g_live_blocks = 0, g_total = 0, g_held = 0;
int64_t g_limit = int64_t(512) << 20;

size_t size_class(size_t n) {
  if (n <= 1024) return n <= 64 ? 64 : (n + 63) & ~size_t(63);
  int top = 63 - __builtin_clzll((unsigned long long)n);  // 2^top <= n < 2^(top+1)
  size_t quarter = size_t(1) << (top - 2);
  return (n + quarter - 1) / quarter * quarter;
}

}  // namespace

void* mem_alloc(size_t nbytes, size_t* cap, bool zero) {
  size_t c = size_class(nbytes);
  void* p = nullptr;
  {
    std::lock_guard<std::mutex> lk(g_mu);
    auto it = g_cache.find(c);
    if (it != g_cache.end() && !it->second.empty()) {
      p = it->second.back();
      it->second.pop_back();
      g_cached -= (int64_t)c;
    }
  }
  bool fresh = p == nullptr;
  if (fresh) {
    if (posix_memalign(&p, 64, c) != 0) return nullptr;
  }
  if (zero) std::memset(p, 0, nbytes);  // only what the caller sees: untouched slack pages of big blocks stay unmapped
  std::lock_guard<std::mutex> lk(g_mu);
  g_live += (int64_t)c;
  if (fresh) g_held += (int64_t)c;
  g_live_blocks++;
  g_total++;
  *cap = c;
  return p;
}

void mem_release(void* p, size_t cap) {
  std::lock_guard<std::mutex> lk(g_mu);
  g_live -= (int64_t)cap;
  g_live_blocks--;
  if (g_cached + (int64_t)cap <= g_limit) {
    g_cache[cap].push_back(p);
    g_cached += (int64_t)cap;
  } else {
    std::free(p);
    g_held -= (int64_t)cap;
  }
}

MemStats mem_stats() {
  std::lock_guard<std::mutex> lk(g_mu);
  return MemStats{g_live, g_cached, g_live_blocks, g_total};
}

int64_t mem_held() {
  std::lock_guard<std::mutex> lk(g_mu);
  return g_held;
}

void mem_trim() {
  std::lock_guard<std::mutex> lk(g_mu);
  for (auto& kv : g_cache)
    for (void* p : kv.second) std::free(p);
  g_cache.clear();
  g_held -= g_cached;
  g_cached = 0;
}

void mem_set_cache_limit(int64_t bytes) {
  {
    std::lock_guard<std::mutex> lk(g_mu);
    g_limit = bytes < 0 ? 0 : bytes;
  }
  mem_trim();
}

}  // namespace gb
