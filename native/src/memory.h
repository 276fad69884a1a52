// Native tensor storage: 64-byte aligned, zero-filled blocks with a bounded size-class cache of freed
// blocks, so a training loop reuses memory instead of churning mmap/munmap.
#pragma once
#include <cstddef>
#include <cstdint>

namespace gb {

struct MemStats {
  int64_t live_bytes;    // capacity of blocks handed out and not yet released
  int64_t cached_bytes;  // capacity of released blocks kept for reuse
  int64_t live_blocks;   // blocks handed out and not yet released
  int64_t total_allocs;  // blocks handed out since load
};

// Returns a block of at least nbytes (capacity written to *cap), or nullptr when out of memory. Its first nbytes
// are zero-filled unless zero is false (then they hold whatever a recycled block held: for outputs a kernel
// overwrites in full, e.g. a GEMM with beta = 0, where the fill would cost a pass over memory for nothing).
void* mem_alloc(size_t nbytes, size_t* cap, bool zero = true);
// Returns a block (of capacity cap) to the cache or to the system.
void mem_release(void* p, size_t cap);
MemStats mem_stats();
// Bytes taken from the system and not returned (live + cached): what the process really holds.
int64_t mem_held();
// Frees every cached block; sets the cache bound (bytes).
void mem_trim();
void mem_set_cache_limit(int64_t bytes);

}  // namespace gb
