// Argument reading and validation for the N-API entry points. Every reader throws gb::ArgError with a
// message naming the kernel, the argument and the bad value; addon.cc turns it into a JS Error before
// any kernel touches memory.
#pragma once
#include <node_api.h>

#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>

namespace gb {

struct ArgError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <typename T>
struct View {
  T* data = nullptr;  // start of the whole typed array (offsets are applied by the caller)
  int64_t length = 0; // in elements
};

class Call {
 public:
  static constexpr size_t kMaxArgs = 24;
  Call(napi_env env, napi_callback_info info, const char* op, size_t expected);

  napi_env env;
  const char* op;

  [[noreturn]] void fail(const std::string& msg) const;

  View<float> f32(size_t i, const char* name) const;
  View<float> f32_or_null(size_t i, const char* name) const;  // null/undefined -> data == nullptr
  View<int32_t> i32(size_t i, const char* name) const;
  View<int32_t> i32_or_null(size_t i, const char* name) const;
  View<double> f64(size_t i, const char* name) const;
  // Float32Array or Int32Array (4-byte elements); *is_f32 tells which.
  View<uint32_t> any32(size_t i, const char* name, bool* is_f32) const;

  double number(size_t i, const char* name) const;
  int64_t integer(size_t i, const char* name) const;   // any safe integer
  int64_t count(size_t i, const char* name) const;     // non-negative safe integer
  bool boolean(size_t i, const char* name) const;      // true/false (numbers 0/1 accepted)
  size_t argc() const { return argc_; }                // arguments actually passed

  // Product of non-negative sizes; fails when it exceeds 2^53 (no array is that long).
  int64_t prod(std::initializer_list<int64_t> xs) const;
  // Checks that [off, off + n) lies inside an array of `length` elements.
  void need(const char* name, int64_t length, int64_t off, int64_t n) const;
  // Checks every index reachable through shape/strides from `off` lies inside [0, length).
  void need_strided(const char* name, int64_t length, int64_t off, const int64_t* shape, const int64_t* strides,
                    int ndim) const;

 private:
  napi_value argv_[kMaxArgs];
  size_t argc_ = 0;
  napi_value arg(size_t i) const;
};

std::string num_str(double v);

}  // namespace gb
