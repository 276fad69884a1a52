// Branch-free float exp / tanh / sigmoid / erf that the compiler vectorizes (libm's scalar calls block
// vectorization). exp: Cody-Waite range reduction and a degree-6 polynomial (about 1 ulp on [-87, 88]);
// tanh and sigmoid are built on it; erf is the erfc Chebyshev fit the reference uses (|error| < 1.2e-7). NaN propagates,
// exp(+large) = inf, exp(-large) = 0.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

namespace gb {

inline float exp_fast(float x) {
  const float kLog2e = 1.44269504088896341f, kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
  float xc = x < -87.3f ? -87.3f : (x > 88.72f ? 88.72f : x);
  float n = std::floor(xc * kLog2e + 0.5f);
  float r = xc - n * kLn2Hi - n * kLn2Lo;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  int32_t bits = ((int32_t)n - 1 + 127) << 23;  // 2^(n-1): biased exponent stays in [0, 254]
  float scale;
  std::memcpy(&scale, &bits, 4);
  float y = p * scale * 2.0f;
  y = x < -87.3f ? 0.0f : y;
  y = x > 88.7228f ? INFINITY : y;
  return x != x ? x : y;
}

inline float sigmoid_fast(float x) { return 1.0f / (1.0f + exp_fast(-x)); }

inline float tanh_fast(float x) {
  float a = std::fabs(x);
  float e = exp_fast(-2.0f * a);  // in (0, 1]: no overflow
  float t = (1.0f - e) / (1.0f + e);
  // small |x|: the odd Taylor series avoids the cancellation in 1 - e
  float x2 = x * x;
  float s = a * (1.0f + x2 * (-0.333333333f + x2 * (0.133333333f + x2 * -0.053968254f)));
  t = a < 0.0625f ? s : t;
  return x < 0 ? -t : (x != x ? x : t);
}

inline float erf_fast(float x) {
  // erfc Chebyshev fit (Numerical Recipes' erfcc form, |error| < 1.2e-7), the same as the reference backend
  float z = std::fabs(x);
  float t = 1.0f / (1.0f + 0.5f * z);
  float q = -1.26551223f + t * (1.00002368f + t * (0.37409196f + t * (0.09678418f + t * (-0.18628806f +
            t * (0.27886807f + t * (-1.13520398f + t * (1.48851587f + t * (-0.82215223f + t * 0.17087277f))))))));
  float r = t * exp_fast(-z * z + q);
  float y = 1.0f - r;
  return x < 0 ? -y : (x != x ? x : y);
}

}  // namespace gb
