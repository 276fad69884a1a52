// The flat C ABI of the native kernels: raw pointers (already offset), element counts and strides.
// No validation happens here: the N-API layer (addon.cc) checks every extent before calling in.
// Semantics are those of src/engine/kernels.ts; pointers given here already include the offsets.
#pragma once
#include <cstdint>

extern "C" {

struct gb_attn_geom {
  int64_t B, T, S, Hq, Hkv, D;
  int64_t qsB, qsT, ksB, ksS, vsB, vsS;  // element strides (q/k/v pointers are already offset)
  float scale, softcap;
  int causal;
  int64_t window, qPos0;
};

void gb_copy_strided(const uint32_t* src, const int64_t* src_strides, uint32_t* dst, const int64_t* dst_strides,
                     const int64_t* shape, int ndim);
void gb_fill_f32(float* dst, int64_t n, float v);
void gb_fill_i32(int32_t* dst, int64_t n, int32_t v);
void gb_axpy(int64_t n, float alpha, const float* x, float* y);

void gb_unary(int op, const float* x, float* y, int64_t n, float alpha);
void gb_unary_backward(int op, const float* x, const float* y, const float* gy, float* gx, int64_t n, float alpha);
void gb_binary(int op, const float* a, const int64_t* a_strides, const float* b, const int64_t* b_strides,
               float* out, const int64_t* shape, int ndim);
void gb_reduce(int op, const float* x, int64_t outer, int64_t red, int64_t inner, float* out, int32_t* argmax);

void gb_gemm(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
             int64_t strideA, const float* B, int64_t ldb, int64_t strideB, float beta, float* C, int64_t ldc,
             int64_t strideC, int64_t batch);

void gb_softmax(const float* x, float* y, int64_t rows, int64_t cols, int log);
void gb_softmax_backward(const float* y, const float* gy, float* gx, int64_t rows, int64_t cols, int log);
void gb_layer_norm(const float* x, const float* w, const float* b, float* y, float* mean, float* rstd, int64_t rows,
                   int64_t cols, float eps);
void gb_layer_norm_backward(const float* x, const float* w, const float* mean, const float* rstd, const float* gy,
                            float* gx, float* gw, float* gb, int64_t rows, int64_t cols);
void gb_rms_norm(const float* x, const float* w, float* y, float* rstd, int64_t rows, int64_t cols, float eps,
                 float w_offset);
void gb_rms_norm_backward(const float* x, const float* w, const float* rstd, const float* gy, float* gx, float* gw,
                          int64_t rows, int64_t cols, float w_offset);
void gb_rope(const float* x, float* y, const float* cos, const float* sin, int64_t Bc, int64_t B, int64_t T, int64_t H,
             int64_t D, int64_t rot_dim, int inverse);

void gb_attention(const float* q, const float* k, const float* v, const gb_attn_geom* g, const int32_t* key_mask,
                  float* out, float* probs);
void gb_attention_backward(const float* q, const float* k, const float* v, const gb_attn_geom* g,
                           const int32_t* key_mask, const float* probs, const float* gout, float* gq, float* gk,
                           float* gv);

void gb_embedding(const float* w, int64_t D, const int32_t* ids, int64_t n, float* out);
void gb_embedding_backward(const float* gy, const int32_t* ids, int64_t n, int64_t V, int64_t D, float* gw);
void gb_cross_entropy(const float* logits, int64_t rows, int64_t V, const int32_t* t, int32_t ignore, float* losses,
                      float* lse);
void gb_cross_entropy_backward(const float* logits, const float* lse, const int32_t* t, int64_t rows, int64_t V,
                               int32_t ignore, const float* gloss, float* glogits);
void gb_gather_rows(const float* x, int64_t rows, int64_t cols, const int32_t* idx, float* out);
void gb_gather_rows_backward(const float* g, const int32_t* idx, int64_t rows, int64_t cols, float* gx);
void gb_topk(const float* x, int64_t rows, int64_t cols, int64_t k, float* values, int32_t* indices);
void gb_sample_logits(const float* logits, int64_t rows, int64_t V, float temperature, int64_t top_k, float top_p,
                      const float* u, int32_t* out);
void gb_swiglu(const float* gate, const float* up, float* y, int64_t n);
void gb_swiglu_backward(const float* gate, const float* up, const float* gy, float* ggate, float* gup, int64_t n);
double gb_sum_squares(const float* x, int64_t n);
void gb_token_logprobs(const float* logits, int64_t rows, int64_t V, const int32_t* t, int32_t ignore, float a,
                       float* out, float* lse);
void gb_token_logprobs_backward(const float* logits, const float* lse, const int32_t* t, int64_t rows, int64_t V,
                                int32_t ignore, float a, const float* gout, float* glogits);
void gb_adamw(int64_t n, float* p, const float* g, float* m, float* v, double lr, double b1, double b2, double eps,
              double wd, double bc1, double bc2);
}
