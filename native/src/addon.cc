// N-API entry points of glassbox_native: memory (alloc/free/memStats), threads, info, and one function per
// kernel of src/engine/kernels.ts. Each entry point reads and validates all of its arguments (kinds, integer
// ranges, extents, indices) before any kernel runs; problems become JS Errors naming the op and the values.
#include <cblas.h>
#include <node_api.h>

#include <cmath>
#include <cstdlib>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <unordered_map>

#include "args.h"
#include "kernels.h"
#include "memory.h"
#include "pool.h"

using gb::Call;
using gb::View;

namespace {

// ---------------------------------------------------------------------------------------------- helpers

template <typename F>
napi_value guard(napi_env env, F&& f) {
  try {
    return f();
  } catch (const gb::ArgError& e) {
    napi_throw_error(env, "ERR_GLASSBOX_NATIVE", e.what());
  } catch (const std::bad_alloc&) {
    napi_throw_error(env, "ERR_GLASSBOX_NATIVE", "native: out of memory");
  } catch (const std::exception& e) {
    napi_throw_error(env, "ERR_GLASSBOX_NATIVE", e.what());
  }
  return nullptr;
}

napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

napi_value make_number(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

void set_prop(napi_env env, napi_value obj, const char* key, napi_value v) { napi_set_named_property(env, obj, key, v); }

int32_t to_int32(double v) {  // ECMAScript ToInt32, as Int32Array stores a number
  if (!std::isfinite(v)) return 0;
  double m = std::fmod(std::trunc(v), 4294967296.0);
  if (m < 0) m += 4294967296.0;
  return (int32_t)(uint32_t)m;
}

constexpr int64_t kMaxInt = 2147483647;

// ---------------------------------------------------------------------------------------------- memory

struct Block {
  void* ptr;
  size_t cap;
  bool freed;
};

std::mutex g_blocks_mu;
std::unordered_map<void*, Block*> g_blocks;  // live blocks by data pointer
int64_t g_reported = 0;                      // bytes V8 has been told about (napi_adjust_external_memory)

// Tells V8 how much memory the pool holds from the system (live + cached blocks), so that buffers leaked
// without free() put pressure on the GC, whose finalizers then release them. Only what the pool takes
// from or returns to the system is reported, not every alloc/free: a training step that reuses cached
// blocks reports nothing, whereas reporting each alloc made V8 run a full GC on nearly every allocation
// once a step's activations exceeded its external-memory limit.
void sync_external(napi_env env) {
  int64_t held = gb::mem_held(), delta;
  {
    std::lock_guard<std::mutex> lk(g_blocks_mu);
    delta = held - g_reported;
    g_reported = held;
  }
  if (delta) {
    int64_t out;
    napi_adjust_external_memory(env, delta, &out);
  }
}

void finalize_block(napi_env env, void* data, void* hint) {
  Block* b = static_cast<Block*>(hint);
  bool release = false;
  {
    std::lock_guard<std::mutex> lk(g_blocks_mu);
    if (!b->freed) {
      auto it = g_blocks.find(b->ptr);
      if (it != g_blocks.end() && it->second == b) g_blocks.erase(it);
      b->freed = true;
      release = true;
    }
  }
  if (release) gb::mem_release(b->ptr, b->cap);
  delete b;
}

napi_value Alloc(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "alloc", 1);
    int64_t n = c.count(0, "nbytes");
    if (n > (int64_t(1) << 40)) c.fail("nbytes " + std::to_string(n) + " is too large");
    if (n == 0) {  // nothing to own: a plain empty ArrayBuffer (free() accepts it as a no-op)
      napi_value ab;
      void* unused;
      napi_create_arraybuffer(env, 0, &unused, &ab);
      return ab;
    }
    bool zero = c.argc() < 2 || c.boolean(1, "zero");
    size_t cap = 0;
    void* p = gb::mem_alloc((size_t)n, &cap, zero);
    if (!p) c.fail("out of memory allocating " + std::to_string(n) + " bytes");
    Block* b = new Block{p, cap, false};
    napi_value ab;
    napi_status st = napi_create_external_arraybuffer(env, p, (size_t)n, finalize_block, b, &ab);
    if (st != napi_ok) {
      gb::mem_release(p, cap);
      delete b;
      c.fail("napi_create_external_arraybuffer failed (status " + std::to_string((int)st) + ")");
    }
    {
      std::lock_guard<std::mutex> lk(g_blocks_mu);
      g_blocks[p] = b;
    }
    sync_external(env);
    return ab;
  });
}

napi_value Free(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "free", 1);
    napi_value argv[1];
    size_t argc = 1;
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    bool is_ab = false;
    napi_is_arraybuffer(env, argv[0], &is_ab);
    if (!is_ab) c.fail("argument must be an ArrayBuffer returned by alloc()");
    void* data = nullptr;
    size_t len = 0;
    napi_get_arraybuffer_info(env, argv[0], &data, &len);
    if (len == 0) {  // alloc(0) buffers own nothing; a detached buffer was freed already
      bool detached = false;
      napi_is_detached_arraybuffer(env, argv[0], &detached);
      if (detached) c.fail("ArrayBuffer is already freed (detached)");
      return undefined(env);
    }
    Block* b = nullptr;
    {
      std::lock_guard<std::mutex> lk(g_blocks_mu);
      auto it = data ? g_blocks.find(data) : g_blocks.end();
      if (it == g_blocks.end()) c.fail("ArrayBuffer was not allocated by alloc() or is already freed");
      b = it->second;
      g_blocks.erase(it);
      b->freed = true;  // the finalizer (whenever the GC runs it) now only deletes the record
    }
    napi_status st = napi_detach_arraybuffer(env, argv[0]);
    (void)st;  // on failure the memory is still released: JS must never read it again anyway
    gb::mem_release(b->ptr, b->cap);
    sync_external(env);
    return undefined(env);
  });
}

napi_value MemStats(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    gb::MemStats s = gb::mem_stats();
    napi_value o;
    napi_create_object(env, &o);
    set_prop(env, o, "liveBytes", make_number(env, (double)s.live_bytes));
    set_prop(env, o, "cachedBytes", make_number(env, (double)s.cached_bytes));
    set_prop(env, o, "allocs", make_number(env, (double)s.live_blocks));
    set_prop(env, o, "totalAllocs", make_number(env, (double)s.total_allocs));
    return o;
  });
}

napi_value TrimCache(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    gb::mem_trim();
    sync_external(env);
    return undefined(env);
  });
}

// ---------------------------------------------------------------------------------------------- threads

void set_threads(int n) {
  gb::pool_set_threads(n);
  openblas_set_num_threads(n);
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "setThreads", 1);
    int64_t n = c.integer(0, "n");
    if (n < 1 || n > 256) c.fail("n must be in [1, 256], got " + std::to_string(n));
    set_threads((int)n);
    return undefined(env);
  });
}

napi_value GetThreads(napi_env env, napi_callback_info info) {
  return guard(env, [&] { return make_number(env, gb::pool_threads()); });
}

const char* simd_name() {
#if defined(__AVX512F__)
  return "avx512";
#elif defined(__AVX2__) && defined(__FMA__)
  return "avx2+fma";
#elif defined(__AVX2__)
  return "avx2";
#elif defined(__SSE4_2__)
  return "sse4.2";
#elif defined(__ARM_NEON)
  return "neon";
#else
  return "scalar";
#endif
}

napi_value Info(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value o, s;
    napi_create_object(env, &o);
    const char* cfg = openblas_get_config();
    napi_create_string_utf8(env, cfg ? cfg : "unknown", NAPI_AUTO_LENGTH, &s);
    set_prop(env, o, "blas", s);
    set_prop(env, o, "threads", make_number(env, gb::pool_threads()));
    set_prop(env, o, "blasThreads", make_number(env, openblas_get_num_threads()));
    napi_create_string_utf8(env, simd_name(), NAPI_AUTO_LENGTH, &s);
    set_prop(env, o, "simd", s);
    return o;
  });
}

// ---------------------------------------------------------------------------------------------- kernels

constexpr int kMaxDims = 16;

// dims: Int32Array [shape(ndim), strides_1(ndim), ..., strides_k(ndim)]
void read_dims(const Call& c, size_t ndim_arg, size_t dims_arg, int k, int* ndim, int64_t* shape, int64_t (*strides)[kMaxDims]) {
  int64_t nd = c.count(ndim_arg, "ndim");
  if (nd > kMaxDims) c.fail("ndim " + std::to_string(nd) + " exceeds " + std::to_string(kMaxDims));
  View<int32_t> dims = c.i32(dims_arg, "dims");
  if (dims.length < nd * (1 + k)) c.fail("dims has " + std::to_string(dims.length) + " entries, needs " + std::to_string(nd * (1 + k)));
  for (int d = 0; d < nd; d++) {
    shape[d] = dims.data[d];
    if (shape[d] < 0) c.fail("shape[" + std::to_string(d) + "] = " + std::to_string(shape[d]) + " is negative");
    for (int o = 0; o < k; o++) strides[o][d] = dims.data[(1 + o) * nd + d];
  }
  *ndim = (int)nd;
}

napi_value CopyStrided(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "copyStrided", 6);
    bool sf, df;
    View<uint32_t> src = c.any32(0, "src", &sf);
    int64_t so = c.count(1, "srcOff");
    View<uint32_t> dst = c.any32(2, "dst", &df);
    int64_t dof = c.count(3, "dstOff");
    int nd;
    int64_t shape[kMaxDims], st[2][kMaxDims];
    read_dims(c, 4, 5, 2, &nd, shape, st);
    c.need_strided("src", src.length, so, shape, st[0], nd);
    c.need_strided("dst", dst.length, dof, shape, st[1], nd);
    int64_t total = 1;
    for (int d = 0; d < nd; d++) total *= shape[d];
    if (total == 0) return undefined(env);
    if (sf == df) {
      gb_copy_strided(src.data + so, st[0], dst.data + dof, st[1], shape, nd);
      return undefined(env);
    }
    // converting copy (f32 <-> i32) with JS typed-array semantics; rare, so a plain serial loop
    int64_t idx[kMaxDims] = {0};
    int64_t ps = so, pd = dof;
    for (int64_t lin = 0; lin < total; lin++) {
      if (sf) reinterpret_cast<int32_t*>(dst.data)[pd] = to_int32(reinterpret_cast<float*>(src.data)[ps]);
      else reinterpret_cast<float*>(dst.data)[pd] = (float)reinterpret_cast<int32_t*>(src.data)[ps];
      for (int d = nd - 1; d >= 0; d--) {
        idx[d]++; ps += st[0][d]; pd += st[1][d];
        if (idx[d] < shape[d]) break;
        ps -= st[0][d] * shape[d]; pd -= st[1][d] * shape[d]; idx[d] = 0;
      }
    }
    return undefined(env);
  });
}

napi_value Fill(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "fill", 4);
    bool f;
    View<uint32_t> dst = c.any32(0, "dst", &f);
    int64_t off = c.count(1, "off"), n = c.count(2, "n");
    double v = c.number(3, "value");
    c.need("dst", dst.length, off, n);
    if (f) gb_fill_f32(reinterpret_cast<float*>(dst.data) + off, n, (float)v);
    else gb_fill_i32(reinterpret_cast<int32_t*>(dst.data) + off, n, to_int32(v));
    return undefined(env);
  });
}

napi_value Axpy(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "axpy", 6);
    int64_t n = c.count(0, "n");
    float alpha = (float)c.number(1, "alpha");
    View<float> x = c.f32(2, "x");
    int64_t xo = c.count(3, "xOff");
    View<float> y = c.f32(4, "y");
    int64_t yo = c.count(5, "yOff");
    c.need("x", x.length, xo, n);
    c.need("y", y.length, yo, n);
    gb_axpy(n, alpha, x.data + xo, y.data + yo);
    return undefined(env);
  });
}

int read_op(const Call& c, size_t i, int n_ops, const char* what) {
  int64_t op = c.integer(i, what);
  if (op < 0 || op >= n_ops) c.fail(std::string("unknown ") + what + " " + std::to_string(op));
  return (int)op;
}

napi_value Unary(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "unary", 6);
    int op = read_op(c, 0, 20, "op");
    View<float> x = c.f32(1, "x");
    int64_t xo = c.count(2, "xOff");
    View<float> y = c.f32(3, "y");
    int64_t n = c.count(4, "n");
    float alpha = (float)c.number(5, "alpha");
    c.need("x", x.length, xo, n);
    c.need("y", y.length, 0, n);
    gb_unary(op, x.data + xo, y.data, n, alpha);
    return undefined(env);
  });
}

napi_value UnaryBackward(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "unaryBackward", 8);
    int op = read_op(c, 0, 20, "op");
    View<float> x = c.f32(1, "x");
    int64_t xo = c.count(2, "xOff");
    View<float> y = c.f32(3, "y"), gy = c.f32(4, "gy"), gx = c.f32(5, "gx");
    int64_t n = c.count(6, "n");
    float alpha = (float)c.number(7, "alpha");
    c.need("x", x.length, xo, n);
    c.need("y", y.length, 0, n);
    c.need("gy", gy.length, 0, n);
    c.need("gx", gx.length, 0, n);
    gb_unary_backward(op, x.data + xo, y.data, gy.data, gx.data, n, alpha);
    return undefined(env);
  });
}

napi_value Binary(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "binary", 8);
    int op = read_op(c, 0, 6, "op");
    View<float> a = c.f32(1, "a");
    int64_t ao = c.count(2, "aOff");
    View<float> b = c.f32(3, "b");
    int64_t bo = c.count(4, "bOff");
    View<float> out = c.f32(5, "out");
    int nd;
    int64_t shape[kMaxDims], st[2][kMaxDims];
    read_dims(c, 6, 7, 2, &nd, shape, st);
    int64_t total = 1;
    for (int d = 0; d < nd; d++) total = c.prod({total, shape[d]});
    c.need_strided("a", a.length, ao, shape, st[0], nd);
    c.need_strided("b", b.length, bo, shape, st[1], nd);
    c.need("out", out.length, 0, total);
    if (total == 0) return undefined(env);
    gb_binary(op, a.data + ao, st[0], b.data + bo, st[1], out.data, shape, nd);
    return undefined(env);
  });
}

napi_value Reduce(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "reduce", 8);
    int op = read_op(c, 0, 2, "op");
    View<float> x = c.f32(1, "x");
    int64_t xo = c.count(2, "xOff");
    int64_t outer = c.count(3, "outer"), red = c.count(4, "red"), inner = c.count(5, "inner");
    View<float> out = c.f32(6, "out");
    View<int32_t> am = c.i32_or_null(7, "argmax");
    c.need("x", x.length, xo, c.prod({outer, red, inner}));
    c.need("out", out.length, 0, c.prod({outer, inner}));
    if (am.data) c.need("argmax", am.length, 0, c.prod({outer, inner}));
    if (red > kMaxInt) c.fail("red " + std::to_string(red) + " exceeds 2^31-1");
    gb_reduce(op, x.data + xo, outer, red, inner, out.data, op == 1 ? am.data : nullptr);
    return undefined(env);
  });
}

napi_value Gemm(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "gemm", 20);
    bool ta = c.boolean(0, "transA"), tb = c.boolean(1, "transB");
    int64_t M = c.count(2, "M"), N = c.count(3, "N"), K = c.count(4, "K");
    float alpha = (float)c.number(5, "alpha");
    View<float> A = c.f32(6, "A");
    int64_t ao = c.count(7, "aOff"), lda = c.count(8, "lda"), sA = c.count(9, "strideA");
    View<float> B = c.f32(10, "B");
    int64_t bo = c.count(11, "bOff"), ldb = c.count(12, "ldb"), sB = c.count(13, "strideB");
    float beta = (float)c.number(14, "beta");
    View<float> C = c.f32(15, "C");
    int64_t co = c.count(16, "cOff"), ldc = c.count(17, "ldc"), sC = c.count(18, "strideC");
    int64_t batch = c.count(19, "batch");
    for (int64_t v : {M, N, K, lda, ldb, ldc})
      if (v > kMaxInt) c.fail("M/N/K/lda/ldb/ldc must be < 2^31, got " + std::to_string(v));
    if (batch == 0 || M == 0 || N == 0) return undefined(env);
    auto check = [&](const char* name, const View<float>& X, int64_t off, int64_t ld, int64_t stride, int64_t rows,
                     int64_t cols, const char* ldname) {
      if (ld < cols) c.fail(std::string(ldname) + " = " + std::to_string(ld) + " is smaller than the row length " + std::to_string(cols) +
                            " (M=" + std::to_string(M) + " N=" + std::to_string(N) + " K=" + std::to_string(K) + ")");
      int64_t shape[3] = {batch, rows, cols}, strides[3] = {stride, ld, 1};
      c.need_strided(name, X.length, off, shape, strides, 3);
    };
    if (K > 0) {
      check("A", A, ao, lda, sA, ta ? K : M, ta ? M : K, "lda");
      check("B", B, bo, ldb, sB, tb ? N : K, tb ? K : N, "ldb");
    }
    check("C", C, co, ldc, sC, M, N, "ldc");
    gb_gemm(ta, tb, M, N, K, alpha, A.data + (K > 0 ? ao : 0), lda, sA, B.data + (K > 0 ? bo : 0), ldb, sB, beta,
            C.data + co, ldc, sC, batch);
    return undefined(env);
  });
}

napi_value Softmax(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "softmax", 6);
    View<float> x = c.f32(0, "x");
    int64_t xo = c.count(1, "xOff");
    View<float> y = c.f32(2, "y");
    int64_t rows = c.count(3, "rows"), cols = c.count(4, "cols");
    bool lg = c.boolean(5, "log");
    int64_t n = c.prod({rows, cols});
    c.need("x", x.length, xo, n);
    c.need("y", y.length, 0, n);
    gb_softmax(x.data + xo, y.data, rows, cols, lg);
    return undefined(env);
  });
}

napi_value SoftmaxBackward(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "softmaxBackward", 6);
    View<float> y = c.f32(0, "y"), gy = c.f32(1, "gy"), gx = c.f32(2, "gx");
    int64_t rows = c.count(3, "rows"), cols = c.count(4, "cols");
    bool lg = c.boolean(5, "log");
    int64_t n = c.prod({rows, cols});
    c.need("y", y.length, 0, n);
    c.need("gy", gy.length, 0, n);
    c.need("gx", gx.length, 0, n);
    gb_softmax_backward(y.data, gy.data, gx.data, rows, cols, lg);
    return undefined(env);
  });
}

napi_value LayerNorm(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "layerNorm", 12);
    View<float> x = c.f32(0, "x");
    int64_t xo = c.count(1, "xOff");
    View<float> w = c.f32_or_null(2, "w");
    int64_t wo = c.count(3, "wOff");
    View<float> b = c.f32_or_null(4, "b");
    int64_t bo = c.count(5, "bOff");
    View<float> y = c.f32(6, "y"), mean = c.f32(7, "mean"), rstd = c.f32(8, "rstd");
    int64_t rows = c.count(9, "rows"), cols = c.count(10, "cols");
    float eps = (float)c.number(11, "eps");
    int64_t n = c.prod({rows, cols});
    c.need("x", x.length, xo, n);
    if (w.data) c.need("w", w.length, wo, cols);
    if (b.data) c.need("b", b.length, bo, cols);
    c.need("y", y.length, 0, n);
    c.need("mean", mean.length, 0, rows);
    c.need("rstd", rstd.length, 0, rows);
    gb_layer_norm(x.data + xo, w.data ? w.data + wo : nullptr, b.data ? b.data + bo : nullptr, y.data, mean.data,
                  rstd.data, rows, cols, eps);
    return undefined(env);
  });
}

napi_value LayerNormBackward(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "layerNormBackward", 12);
    View<float> x = c.f32(0, "x");
    int64_t xo = c.count(1, "xOff");
    View<float> w = c.f32_or_null(2, "w");
    int64_t wo = c.count(3, "wOff");
    View<float> mean = c.f32(4, "mean"), rstd = c.f32(5, "rstd"), gy = c.f32(6, "gy"), gx = c.f32(7, "gx");
    View<float> gw = c.f32_or_null(8, "gw"), gbias = c.f32_or_null(9, "gb");
    int64_t rows = c.count(10, "rows"), cols = c.count(11, "cols");
    int64_t n = c.prod({rows, cols});
    c.need("x", x.length, xo, n);
    if (w.data) c.need("w", w.length, wo, cols);
    c.need("mean", mean.length, 0, rows);
    c.need("rstd", rstd.length, 0, rows);
    c.need("gy", gy.length, 0, n);
    c.need("gx", gx.length, 0, n);
    if (gw.data) c.need("gw", gw.length, 0, cols);
    if (gbias.data) c.need("gb", gbias.length, 0, cols);
    gb_layer_norm_backward(x.data + xo, w.data ? w.data + wo : nullptr, mean.data, rstd.data, gy.data, gx.data,
                           gw.data, gbias.data, rows, cols);
    return undefined(env);
  });
}

napi_value RmsNorm(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "rmsNorm", 10);
    View<float> x = c.f32(0, "x");
    int64_t xo = c.count(1, "xOff");
    View<float> w = c.f32_or_null(2, "w");
    int64_t wo = c.count(3, "wOff");
    View<float> y = c.f32(4, "y"), rstd = c.f32(5, "rstd");
    int64_t rows = c.count(6, "rows"), cols = c.count(7, "cols");
    float eps = (float)c.number(8, "eps"), woff = (float)c.number(9, "wOffset");
    int64_t n = c.prod({rows, cols});
    c.need("x", x.length, xo, n);
    if (w.data) c.need("w", w.length, wo, cols);
    c.need("y", y.length, 0, n);
    c.need("rstd", rstd.length, 0, rows);
    gb_rms_norm(x.data + xo, w.data ? w.data + wo : nullptr, y.data, rstd.data, rows, cols, eps, woff);
    return undefined(env);
  });
}

napi_value RmsNormBackward(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "rmsNormBackward", 11);
    View<float> x = c.f32(0, "x");
    int64_t xo = c.count(1, "xOff");
    View<float> w = c.f32_or_null(2, "w");
    int64_t wo = c.count(3, "wOff");
    View<float> rstd = c.f32(4, "rstd"), gy = c.f32(5, "gy"), gx = c.f32(6, "gx");
    View<float> gw = c.f32_or_null(7, "gw");
    int64_t rows = c.count(8, "rows"), cols = c.count(9, "cols");
    float woff = (float)c.number(10, "wOffset");
    int64_t n = c.prod({rows, cols});
    c.need("x", x.length, xo, n);
    if (w.data) c.need("w", w.length, wo, cols);
    c.need("rstd", rstd.length, 0, rows);
    c.need("gy", gy.length, 0, n);
    c.need("gx", gx.length, 0, n);
    if (gw.data) c.need("gw", gw.length, 0, cols);
    gb_rms_norm_backward(x.data + xo, w.data ? w.data + wo : nullptr, rstd.data, gy.data, gx.data, gw.data, rows, cols,
                         woff);
    return undefined(env);
  });
}

napi_value Rope(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "rope", 13);
    View<float> x = c.f32(0, "x");
    int64_t xo = c.count(1, "xOff");
    View<float> y = c.f32(2, "y"), cs = c.f32(3, "cos"), sn = c.f32(4, "sin");
    int64_t co = c.count(5, "cOff"), Bc = c.count(6, "Bc"), B = c.count(7, "B"), T = c.count(8, "T"),
            H = c.count(9, "H"), D = c.count(10, "D"), rot = c.count(11, "rotDim");
    bool inverse = c.boolean(12, "inverse");
    if (rot % 2 != 0 || rot > D) c.fail("rotDim " + std::to_string(rot) + " must be even and <= D = " + std::to_string(D));
    if (Bc != 1 && Bc != B) c.fail("Bc " + std::to_string(Bc) + " must be 1 or B = " + std::to_string(B));
    int64_t n = c.prod({B, T, H, D});
    c.need("x", x.length, xo, n);
    c.need("y", y.length, 0, n);
    int64_t nc = c.prod({Bc, T, rot / 2});
    if (n > 0) {
      c.need("cos", cs.length, co, nc);
      c.need("sin", sn.length, co, nc);
    }
    if (n == 0) return undefined(env);
    gb_rope(x.data + xo, y.data, cs.data + co, sn.data + co, Bc, B, T, H, D, rot, inverse);
    return undefined(env);
  });
}

// geom: Float64Array [B, T, S, Hq, Hkv, D, qOff, qsB, qsT, kOff, ksB, ksS, vOff, vsB, vsS, scale, softcap,
// causal, window, qPos0]
struct Geom {
  gb_attn_geom g;
  int64_t qOff, kOff, vOff;
};

Geom read_geom(const Call& c, size_t i) {
  View<double> a = c.f64(i, "geom");
  if (a.length < 20) c.fail("geom must have 20 entries, has " + std::to_string(a.length));
  const char* names[20] = {"B", "T", "S", "Hq", "Hkv", "D", "qOff", "qsB", "qsT", "kOff", "ksB", "ksS", "vOff", "vsB",
                           "vsS", "scale", "softcap", "causal", "window", "qPos0"};
  int64_t iv[20];
  for (int k = 0; k < 20; k++) {
    if (k == 15 || k == 16) continue;
    double v = a.data[k];
    if (!(std::fabs(v) <= 9007199254740991.0) || v != std::floor(v))
      c.fail(std::string("geom.") + names[k] + " must be an integer, got " + gb::num_str(v));
    iv[k] = (int64_t)v;
    if (k != 19 && iv[k] < 0) c.fail(std::string("geom.") + names[k] + " must be >= 0, got " + std::to_string(iv[k]));
  }
  Geom r;
  gb_attn_geom& g = r.g;
  g.B = iv[0]; g.T = iv[1]; g.S = iv[2]; g.Hq = iv[3]; g.Hkv = iv[4]; g.D = iv[5];
  r.qOff = iv[6]; g.qsB = iv[7]; g.qsT = iv[8];
  r.kOff = iv[9]; g.ksB = iv[10]; g.ksS = iv[11];
  r.vOff = iv[12]; g.vsB = iv[13]; g.vsS = iv[14];
  double scale = a.data[15], softcap = a.data[16];
  if (!std::isfinite(scale)) c.fail("geom.scale must be finite, got " + gb::num_str(scale));
  if (!(softcap >= 0) || !std::isfinite(softcap)) c.fail("geom.softcap must be finite and >= 0, got " + gb::num_str(softcap));
  g.scale = (float)scale;
  g.softcap = (float)softcap;
  g.causal = iv[17] != 0;
  g.window = iv[18];
  g.qPos0 = iv[19];
  if (std::llabs(g.qPos0) > (int64_t(1) << 40)) c.fail("geom.qPos0 " + std::to_string(g.qPos0) + " is out of range");
  if (g.Hkv < 1) c.fail("geom.Hkv must be >= 1, got " + std::to_string(g.Hkv));
  if (g.Hq % g.Hkv != 0) c.fail("Hq = " + std::to_string(g.Hq) + " is not a multiple of Hkv = " + std::to_string(g.Hkv));
  for (int64_t v : {g.B, g.T, g.S, g.Hq, g.D})
    if (v > kMaxInt) c.fail("attention sizes must be < 2^31");
  return r;
}

void check_qkv(const Call& c, const Geom& G, const View<float>& q, const View<float>& k, const View<float>& v) {
  const gb_attn_geom& g = G.g;
  int64_t qs[4] = {g.B, g.T, g.Hq, g.D}, qst[4] = {g.qsB, g.qsT, g.D, 1};
  int64_t ks[4] = {g.B, g.S, g.Hkv, g.D}, kst[4] = {g.ksB, g.ksS, g.D, 1}, vst[4] = {g.vsB, g.vsS, g.D, 1};
  c.need_strided("q", q.length, G.qOff, qs, qst, 4);
  c.need_strided("k", k.length, G.kOff, ks, kst, 4);
  c.need_strided("v", v.length, G.vOff, ks, vst, 4);
}

napi_value Attention(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "attention", 7);
    View<float> q = c.f32(0, "q"), k = c.f32(1, "k"), v = c.f32(2, "v");
    Geom G = read_geom(c, 3);
    View<int32_t> mask = c.i32_or_null(4, "keyMask");
    View<float> out = c.f32(5, "out"), probs = c.f32_or_null(6, "probs");
    const gb_attn_geom& g = G.g;
    check_qkv(c, G, q, k, v);
    if (mask.data) c.need("keyMask", mask.length, 0, c.prod({g.B, g.S}));
    c.need("out", out.length, 0, c.prod({g.B, g.T, g.Hq, g.D}));
    if (probs.data) c.need("probs", probs.length, 0, c.prod({g.B, g.Hq, g.T, g.S}));
    if (g.B * g.Hq * g.T == 0) return undefined(env);
    if (g.D == 0 && !probs.data) return undefined(env);  // out is empty; S is then unbounded, so touch nothing
    gb_attention(q.data + G.qOff, k.data + G.kOff, v.data + G.vOff, &g, mask.data, out.data, probs.data);
    return undefined(env);
  });
}

napi_value AttentionBackward(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "attentionBackward", 10);
    View<float> q = c.f32(0, "q"), k = c.f32(1, "k"), v = c.f32(2, "v");
    Geom G = read_geom(c, 3);
    View<int32_t> mask = c.i32_or_null(4, "keyMask");
    View<float> probs = c.f32(5, "probs"), gout = c.f32(6, "gOut"), gq = c.f32(7, "gq"), gk = c.f32(8, "gk"),
                gv = c.f32(9, "gv");
    const gb_attn_geom& g = G.g;
    check_qkv(c, G, q, k, v);
    if (mask.data) c.need("keyMask", mask.length, 0, c.prod({g.B, g.S}));
    int64_t nq = c.prod({g.B, g.T, g.Hq, g.D}), nk = c.prod({g.B, g.S, g.Hkv, g.D});
    c.need("probs", probs.length, 0, c.prod({g.B, g.Hq, g.T, g.S}));
    c.need("gOut", gout.length, 0, nq);
    c.need("gq", gq.length, 0, nq);
    c.need("gk", gk.length, 0, nk);
    c.need("gv", gv.length, 0, nk);
    c.prod({g.Hq / g.Hkv, g.T, g.S});  // scratch size sanity
    gb_attention_backward(q.data + G.qOff, k.data + G.kOff, v.data + G.vOff, &g, mask.data, probs.data, gout.data,
                          gq.data, gk.data, gv.data);
    return undefined(env);
  });
}

void check_ids(const Call& c, const char* what, const int32_t* ids, int64_t n, int64_t V, bool has_ignore, int64_t ignore) {
  for (int64_t i = 0; i < n; i++) {
    int64_t id = ids[i];
    if (has_ignore && id == ignore) continue;
    if (id < 0 || id >= V)
      c.fail(std::string(what) + " " + std::to_string(id) + " at position " + std::to_string(i) + " is out of range [0, " +
             std::to_string(V) + ")");
  }
}

napi_value Embedding(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "embedding", 8);
    View<float> w = c.f32(0, "w");
    int64_t wo = c.count(1, "wOff"), V = c.count(2, "V"), D = c.count(3, "D");
    View<int32_t> ids = c.i32(4, "ids");
    int64_t io = c.count(5, "idsOff"), n = c.count(6, "n");
    View<float> out = c.f32(7, "out");
    c.need("w", w.length, wo, c.prod({V, D}));
    c.need("ids", ids.length, io, n);
    c.need("out", out.length, 0, c.prod({n, D}));
    check_ids(c, "token id", ids.data + io, n, V, false, 0);
    gb_embedding(w.data + wo, D, ids.data + io, n, out.data);
    return undefined(env);
  });
}

napi_value EmbeddingBackward(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "embeddingBackward", 7);
    View<float> gy = c.f32(0, "gy");
    View<int32_t> ids = c.i32(1, "ids");
    int64_t io = c.count(2, "idsOff"), n = c.count(3, "n"), V = c.count(4, "V"), D = c.count(5, "D");
    View<float> gw = c.f32(6, "gw");
    c.need("gy", gy.length, 0, c.prod({n, D}));
    c.need("ids", ids.length, io, n);
    c.need("gw", gw.length, 0, c.prod({V, D}));
    check_ids(c, "token id", ids.data + io, n, V, false, 0);
    gb_embedding_backward(gy.data, ids.data + io, n, V, D, gw.data);
    return undefined(env);
  });
}

napi_value CrossEntropy(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "crossEntropy", 9);
    View<float> logits = c.f32(0, "logits");
    int64_t lo = c.count(1, "lOff"), rows = c.count(2, "rows"), V = c.count(3, "V");
    View<int32_t> t = c.i32(4, "targets");
    int64_t to = c.count(5, "tOff"), ignore = c.integer(6, "ignoreIndex");
    View<float> losses = c.f32(7, "losses"), lse = c.f32(8, "lse");
    c.need("logits", logits.length, lo, c.prod({rows, V}));
    c.need("targets", t.length, to, rows);
    c.need("losses", losses.length, 0, rows);
    c.need("lse", lse.length, 0, rows);
    check_ids(c, "target", t.data + to, rows, V, true, ignore);
    if (ignore < INT32_MIN || ignore > INT32_MAX) ignore = INT32_MIN;  // cannot match any Int32 target then...
    gb_cross_entropy(logits.data + lo, rows, V, t.data + to, (int32_t)ignore, losses.data, lse.data);
    return undefined(env);
  });
}

napi_value CrossEntropyBackward(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "crossEntropyBackward", 10);
    View<float> logits = c.f32(0, "logits");
    int64_t lo = c.count(1, "lOff");
    View<float> lse = c.f32(2, "lse");
    View<int32_t> t = c.i32(3, "targets");
    int64_t to = c.count(4, "tOff"), rows = c.count(5, "rows"), V = c.count(6, "V"), ignore = c.integer(7, "ignoreIndex");
    View<float> gl = c.f32(8, "gLoss"), g = c.f32(9, "glogits");
    int64_t n = c.prod({rows, V});
    c.need("logits", logits.length, lo, n);
    c.need("lse", lse.length, 0, rows);
    c.need("targets", t.length, to, rows);
    c.need("gLoss", gl.length, 0, rows);
    c.need("glogits", g.length, 0, n);
    check_ids(c, "target", t.data + to, rows, V, true, ignore);
    if (ignore < INT32_MIN || ignore > INT32_MAX) ignore = INT32_MIN;
    gb_cross_entropy_backward(logits.data + lo, lse.data, t.data + to, rows, V, (int32_t)ignore, gl.data, g.data);
    return undefined(env);
  });
}

napi_value GatherRows(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "gatherRows", 7);
    View<float> x = c.f32(0, "x");
    int64_t xo = c.count(1, "xOff"), rows = c.count(2, "rows"), cols = c.count(3, "cols");
    View<int32_t> idx = c.i32(4, "idx");
    int64_t io = c.count(5, "idxOff");
    View<float> out = c.f32(6, "out");
    c.need("x", x.length, xo, c.prod({rows, cols}));
    c.need("idx", idx.length, io, rows);
    c.need("out", out.length, 0, rows);
    check_ids(c, "index", idx.data + io, rows, cols, false, 0);
    gb_gather_rows(x.data + xo, rows, cols, idx.data + io, out.data);
    return undefined(env);
  });
}

napi_value GatherRowsBackward(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "gatherRowsBackward", 6);
    View<float> g = c.f32(0, "g");
    View<int32_t> idx = c.i32(1, "idx");
    int64_t io = c.count(2, "idxOff"), rows = c.count(3, "rows"), cols = c.count(4, "cols");
    View<float> gx = c.f32(5, "gx");
    c.need("g", g.length, 0, rows);
    c.need("idx", idx.length, io, rows);
    c.need("gx", gx.length, 0, c.prod({rows, cols}));
    check_ids(c, "index", idx.data + io, rows, cols, false, 0);
    gb_gather_rows_backward(g.data, idx.data + io, rows, cols, gx.data);
    return undefined(env);
  });
}

napi_value Topk(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "topk", 7);
    View<float> x = c.f32(0, "x");
    int64_t xo = c.count(1, "xOff"), rows = c.count(2, "rows"), cols = c.count(3, "cols"), k = c.count(4, "k");
    View<float> values = c.f32(5, "values");
    View<int32_t> indices = c.i32(6, "indices");
    if (k > cols) c.fail("k=" + std::to_string(k) + " exceeds the row length " + std::to_string(cols));
    if (cols > kMaxInt) c.fail("cols exceeds 2^31-1");
    c.need("x", x.length, xo, c.prod({rows, cols}));
    c.need("values", values.length, 0, c.prod({rows, k}));
    c.need("indices", indices.length, 0, c.prod({rows, k}));
    gb_topk(x.data + xo, rows, cols, k, values.data, indices.data);
    return undefined(env);
  });
}

napi_value SampleLogits(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "sampleLogits", 9);
    View<float> logits = c.f32(0, "logits");
    int64_t lo = c.count(1, "lOff"), rows = c.count(2, "rows"), V = c.count(3, "V");
    double temp = c.number(4, "temperature");
    int64_t topK = c.count(5, "topK");
    double topP = c.number(6, "topP");
    View<float> u = c.f32(7, "u");
    View<int32_t> out = c.i32(8, "out");
    if (std::isnan(temp)) c.fail("temperature is NaN");
    if (std::isnan(topP)) c.fail("topP is NaN");
    if (V == 0 && rows > 0) c.fail("V must be >= 1");
    if (V > kMaxInt) c.fail("V exceeds 2^31-1");
    c.need("logits", logits.length, lo, c.prod({rows, V}));
    c.need("u", u.length, 0, rows);
    c.need("out", out.length, 0, rows);
    if (rows == 0) return undefined(env);
    gb_sample_logits(logits.data + lo, rows, V, (float)temp, topK, (float)topP, u.data, out.data);
    return undefined(env);
  });
}

napi_value Adamw(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "adamw", 14);
    int64_t n = c.count(0, "n");
    View<float> p = c.f32(1, "p");
    int64_t po = c.count(2, "pOff");
    View<float> g = c.f32(3, "g");
    int64_t go = c.count(4, "gOff");
    View<float> m = c.f32(5, "m"), v = c.f32(6, "v");
    double lr = c.number(7, "lr"), b1 = c.number(8, "b1"), b2 = c.number(9, "b2"), eps = c.number(10, "eps"),
           wd = c.number(11, "wd"), bc1 = c.number(12, "bc1"), bc2 = c.number(13, "bc2");
    c.need("p", p.length, po, n);
    c.need("g", g.length, go, n);
    c.need("m", m.length, 0, n);
    c.need("v", v.length, 0, n);
    gb_adamw(n, p.data + po, g.data + go, m.data, v.data, lr, b1, b2, eps, wd, bc1, bc2);
    return undefined(env);
  });
}

napi_value Swiglu(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "swiglu", 6);
    View<float> g = c.f32(0, "gate");
    int64_t go = c.count(1, "gateOff");
    View<float> u = c.f32(2, "up");
    int64_t uo = c.count(3, "upOff");
    View<float> y = c.f32(4, "y");
    int64_t n = c.count(5, "n");
    c.need("gate", g.length, go, n);
    c.need("up", u.length, uo, n);
    c.need("y", y.length, 0, n);
    gb_swiglu(g.data + go, u.data + uo, y.data, n);
    return undefined(env);
  });
}

napi_value SwigluBackward(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "swigluBackward", 9);
    View<float> g = c.f32(0, "gate");
    int64_t go = c.count(1, "gateOff");
    View<float> u = c.f32(2, "up");
    int64_t uo = c.count(3, "upOff");
    View<float> gy = c.f32(4, "gy");
    int64_t gyo = c.count(5, "gyOff");
    View<float> gg = c.f32(6, "gGate"), gu = c.f32(7, "gUp");
    int64_t n = c.count(8, "n");
    c.need("gate", g.length, go, n);
    c.need("up", u.length, uo, n);
    c.need("gy", gy.length, gyo, n);
    c.need("gGate", gg.length, 0, n);
    c.need("gUp", gu.length, 0, n);
    gb_swiglu_backward(g.data + go, u.data + uo, gy.data + gyo, gg.data, gu.data, n);
    return undefined(env);
  });
}

napi_value SumSquares(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "sumSquares", 3);
    View<float> x = c.f32(0, "x");
    int64_t off = c.count(1, "off"), n = c.count(2, "n");
    c.need("x", x.length, off, n);
    return make_number(env, gb_sum_squares(x.data + off, n));
  });
}

napi_value TokenLogprobs(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "tokenLogProbs", 10);
    View<float> logits = c.f32(0, "logits");
    int64_t lo = c.count(1, "lOff"), rows = c.count(2, "rows"), V = c.count(3, "V");
    View<int32_t> t = c.i32(4, "targets");
    int64_t to = c.count(5, "tOff"), ignore = c.integer(6, "ignoreIndex");
    float a = (float)c.number(7, "invTemperature");
    View<float> out = c.f32(8, "out"), lse = c.f32(9, "lse");
    c.need("logits", logits.length, lo, c.prod({rows, V}));
    c.need("targets", t.length, to, rows);
    c.need("out", out.length, 0, rows);
    c.need("lse", lse.length, 0, rows);
    check_ids(c, "target", t.data + to, rows, V, true, ignore);
    if (ignore < INT32_MIN || ignore > INT32_MAX) ignore = INT32_MIN;
    gb_token_logprobs(logits.data + lo, rows, V, t.data + to, (int32_t)ignore, a, out.data, lse.data);
    return undefined(env);
  });
}

napi_value TokenLogprobsBackward(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Call c(env, info, "tokenLogProbsBackward", 11);
    View<float> logits = c.f32(0, "logits");
    int64_t lo = c.count(1, "lOff");
    View<float> lse = c.f32(2, "lse");
    View<int32_t> t = c.i32(3, "targets");
    int64_t to = c.count(4, "tOff"), rows = c.count(5, "rows"), V = c.count(6, "V"), ignore = c.integer(7, "ignoreIndex");
    float a = (float)c.number(8, "invTemperature");
    View<float> go = c.f32(9, "gOut"), g = c.f32(10, "glogits");
    int64_t n = c.prod({rows, V});
    c.need("logits", logits.length, lo, n);
    c.need("lse", lse.length, 0, rows);
    c.need("targets", t.length, to, rows);
    c.need("gOut", go.length, 0, rows);
    c.need("glogits", g.length, 0, n);
    check_ids(c, "target", t.data + to, rows, V, true, ignore);
    if (ignore < INT32_MIN || ignore > INT32_MAX) ignore = INT32_MIN;
    gb_token_logprobs_backward(logits.data + lo, lse.data, t.data + to, rows, V, (int32_t)ignore, a, go.data, g.data);
    return undefined(env);
  });
}

// ---------------------------------------------------------------------------------------------- module

napi_value Init(napi_env env, napi_value exports) {
  static std::once_flag once;
  std::call_once(once, [] {
    int n = (int)std::thread::hardware_concurrency();
    const char* e = std::getenv("GLASSBOX_THREADS");
    if (e && std::atoi(e) > 0) n = std::atoi(e);
    set_threads(n < 1 ? 1 : n);
  });
  struct Fn {
    const char* name;
    napi_callback cb;
  };
  const Fn fns[] = {
      {"alloc", Alloc}, {"free", Free}, {"memStats", MemStats}, {"trimCache", TrimCache},
      {"setThreads", SetThreads}, {"getThreads", GetThreads}, {"info", Info},
      {"copyStrided", CopyStrided}, {"fill", Fill}, {"axpy", Axpy}, {"unary", Unary},
      {"unaryBackward", UnaryBackward}, {"binary", Binary}, {"reduce", Reduce}, {"gemm", Gemm},
      {"softmax", Softmax}, {"softmaxBackward", SoftmaxBackward}, {"layerNorm", LayerNorm},
      {"layerNormBackward", LayerNormBackward}, {"rmsNorm", RmsNorm}, {"rmsNormBackward", RmsNormBackward},
      {"rope", Rope}, {"attention", Attention}, {"attentionBackward", AttentionBackward},
      {"embedding", Embedding}, {"embeddingBackward", EmbeddingBackward}, {"crossEntropy", CrossEntropy},
      {"crossEntropyBackward", CrossEntropyBackward}, {"gatherRows", GatherRows},
      {"gatherRowsBackward", GatherRowsBackward}, {"topk", Topk}, {"sampleLogits", SampleLogits},
      {"adamw", Adamw}, {"swiglu", Swiglu}, {"swigluBackward", SwigluBackward}, {"sumSquares", SumSquares},
      {"tokenLogProbs", TokenLogprobs}, {"tokenLogProbsBackward", TokenLogprobsBackward},
  };
  for (const Fn& f : fns) {
    napi_value fn;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.cb, nullptr, &fn);
    napi_set_named_property(env, exports, f.name, fn);
  }
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
