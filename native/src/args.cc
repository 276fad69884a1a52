// Implementation of the argument readers: typed array kinds, safe integers, extents (in 128-bit arithmetic
// so that no stride/shape product can overflow the check itself).
#include "args.h"

#include <cmath>
#include <cstdio>

namespace gb {

std::string num_str(double v) {
  char buf[64];
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e18) std::snprintf(buf, sizeof buf, "%lld", (long long)v);
  else std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

Call::Call(napi_env env_, napi_callback_info info, const char* op_, size_t expected) : env(env_), op(op_) {
  argc_ = kMaxArgs;
  if (napi_get_cb_info(env, info, &argc_, argv_, nullptr, nullptr) != napi_ok) fail("cannot read arguments");
  if (argc_ < expected)
    fail("expects " + std::to_string(expected) + " arguments, got " + std::to_string(argc_));
  if (argc_ > kMaxArgs) argc_ = kMaxArgs;
}

void Call::fail(const std::string& msg) const { throw ArgError(std::string("native ") + op + ": " + msg); }

napi_value Call::arg(size_t i) const { return argv_[i]; }

static bool is_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return false;
  return t == napi_null || t == napi_undefined;
}

template <typename T>
static View<T> typed(const Call& c, napi_value v, napi_typedarray_type want, const char* name, const char* kind) {
  bool is = false;
  napi_is_typedarray(c.env, v, &is);
  if (!is) c.fail(std::string(name) + " must be a " + kind);
  napi_typedarray_type type;
  size_t len;
  void* data;
  napi_value ab;
  size_t byte_off;
  if (napi_get_typedarray_info(c.env, v, &type, &len, &data, &ab, &byte_off) != napi_ok)
    c.fail(std::string("cannot read ") + name);
  if (type != want) c.fail(std::string(name) + " must be a " + kind);
  View<T> out;
  out.data = static_cast<T*>(data);
  out.length = (int64_t)len;
  if (out.data == nullptr) out.length = 0;  // detached (freed) buffer: nothing may be read
  return out;
}

View<float> Call::f32(size_t i, const char* name) const {
  return typed<float>(*this, arg(i), napi_float32_array, name, "Float32Array");
}
View<float> Call::f32_or_null(size_t i, const char* name) const {
  if (is_nullish(env, arg(i))) return View<float>{};
  return f32(i, name);
}
View<int32_t> Call::i32(size_t i, const char* name) const {
  return typed<int32_t>(*this, arg(i), napi_int32_array, name, "Int32Array");
}
View<int32_t> Call::i32_or_null(size_t i, const char* name) const {
  if (is_nullish(env, arg(i))) return View<int32_t>{};
  return i32(i, name);
}

View<double> Call::f64(size_t i, const char* name) const {
  return typed<double>(*this, arg(i), napi_float64_array, name, "Float64Array");
}

int64_t Call::prod(std::initializer_list<int64_t> xs) const {
  __int128 p = 1;
  for (int64_t x : xs) {
    if (x < 0) fail("negative size " + std::to_string(x));
    p *= x;
    if (p > ((__int128)1 << 53)) fail("sizes too large (product exceeds 2^53)");
  }
  return (int64_t)p;
}

View<uint32_t> Call::any32(size_t i, const char* name, bool* is_f32) const {
  bool is = false;
  napi_is_typedarray(env, arg(i), &is);
  if (!is) fail(std::string(name) + " must be a Float32Array or Int32Array");
  napi_typedarray_type type;
  size_t len;
  void* data;
  napi_value ab;
  size_t byte_off;
  if (napi_get_typedarray_info(env, arg(i), &type, &len, &data, &ab, &byte_off) != napi_ok)
    fail(std::string("cannot read ") + name);
  if (type != napi_float32_array && type != napi_int32_array)
    fail(std::string(name) + " must be a Float32Array or Int32Array");
  *is_f32 = type == napi_float32_array;
  View<uint32_t> out;
  out.data = static_cast<uint32_t*>(data);
  out.length = data ? (int64_t)len : 0;
  return out;
}

double Call::number(size_t i, const char* name) const {
  double v;
  if (napi_get_value_double(env, arg(i), &v) != napi_ok) fail(std::string(name) + " must be a number");
  return v;
}

int64_t Call::integer(size_t i, const char* name) const {
  double v = number(i, name);
  if (!(std::fabs(v) <= 9007199254740991.0) || v != std::floor(v))
    fail(std::string(name) + " must be an integer, got " + num_str(v));
  return (int64_t)v;
}

int64_t Call::count(size_t i, const char* name) const {
  int64_t v = integer(i, name);
  if (v < 0) fail(std::string(name) + " must be >= 0, got " + std::to_string(v));
  return v;
}

bool Call::boolean(size_t i, const char* name) const {
  napi_valuetype t;
  napi_typeof(env, arg(i), &t);
  if (t == napi_boolean) {
    bool b;
    napi_get_value_bool(env, arg(i), &b);
    return b;
  }
  if (t == napi_number) {
    double v;
    napi_get_value_double(env, arg(i), &v);
    if (v == 0 || v == 1) return v == 1;
  }
  fail(std::string(name) + " must be a boolean");
}

void Call::need(const char* name, int64_t length, int64_t off, int64_t n) const {
  if (off < 0) fail(std::string(name) + " offset " + std::to_string(off) + " is negative");
  if (n < 0) fail(std::string(name) + " size " + std::to_string(n) + " is negative");
  if ((__int128)off + n > length)
    fail(std::string(name) + " too small: needs " + std::to_string(n) + " elements from offset " +
         std::to_string(off) + ", has length " + std::to_string(length));
}

void Call::need_strided(const char* name, int64_t length, int64_t off, const int64_t* shape, const int64_t* strides,
                        int ndim) const {
  if (off < 0) fail(std::string(name) + " offset " + std::to_string(off) + " is negative");
  for (int d = 0; d < ndim; d++)
    if (shape[d] < 0) fail(std::string(name) + " shape[" + std::to_string(d) + "] = " + std::to_string(shape[d]) + " is negative");
  for (int d = 0; d < ndim; d++)
    if (shape[d] == 0) return;  // nothing is read or written
  __int128 lo = off, hi = off;
  for (int d = 0; d < ndim; d++) {
    __int128 span = (__int128)(shape[d] - 1) * strides[d];
    if (span < 0) lo += span; else hi += span;
  }
  if (lo < 0 || hi >= length)
    fail(std::string(name) + " strided view out of bounds: offset " + std::to_string(off) + " reaches indices [" +
         std::to_string((long long)lo) + ", " + std::to_string((long long)hi) + "] of an array of length " +
         std::to_string(length));
}

}  // namespace gb
