// libtorch reference for bench/block.bench.ts: forward+backward of the same GPT-2-style block
// (pre-LN attention with causal softmax, GELU-tanh MLP, final LN, tied LM head, cross-entropy), f32 on CPU.
// Usage: block_libtorch [iters] [warmup] [T] [D] [H] [F] [V] [threads]; prints one JSON line {"median_ms":..., ...}.
#include <torch/torch.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace F = torch::nn::functional;

int main(int argc, char** argv) {
  const int iters = argc > 1 ? std::atoi(argv[1]) : 20;
  const int warmup = argc > 2 ? std::atoi(argv[2]) : 5;
  const int64_t T = argc > 3 ? std::atoll(argv[3]) : 128, D = argc > 4 ? std::atoll(argv[4]) : 512;
  const int64_t H = argc > 5 ? std::atoll(argv[5]) : 8, Fd = argc > 6 ? std::atoll(argv[6]) : 2048;
  const int64_t V = argc > 7 ? std::atoll(argv[7]) : 1000;
  const int64_t Dh = D / H;
  const int threads = argc > 8 ? std::atoi(argv[8]) : static_cast<int>(std::thread::hardware_concurrency());
  if (threads > 0) torch::set_num_threads(threads);
  torch::manual_seed(0);
  auto param = [](std::vector<int64_t> shape, double std, double mean = 0.0) {
    return (torch::randn(shape) * std + mean).set_requires_grad(true);
  };
  auto wte = param({V, D}, 0.02);
  auto ln1_w = param({D}, 0.0, 1.0), ln1_b = param({D}, 0.0);
  auto w_qkv = param({3 * D, D}, 0.02), b_qkv = param({3 * D}, 0.0);
  auto w_o = param({D, D}, 0.02), b_o = param({D}, 0.0);
  auto ln2_w = param({D}, 0.0, 1.0), ln2_b = param({D}, 0.0);
  auto w_fc = param({Fd, D}, 0.02), b_fc = param({Fd}, 0.0);
  auto w_proj = param({D, Fd}, 0.02), b_proj = param({D}, 0.0);
  auto lnf_w = param({D}, 0.0, 1.0), lnf_b = param({D}, 0.0);
  std::vector<torch::Tensor> params = {wte, ln1_w, ln1_b, w_qkv, b_qkv, w_o, b_o, ln2_w, ln2_b, w_fc, b_fc, w_proj, b_proj, lnf_w, lnf_b};
  auto ids = torch::randint(V, {1, T}, torch::kLong);
  auto targets = torch::randint(V, {T}, torch::kLong);
  auto causal = torch::ones({T, T}, torch::kBool).tril();
  const double scale = 1.0 / std::sqrt(static_cast<double>(Dh));

  auto step = [&]() -> double {
    for (auto& p : params) p.mutable_grad() = torch::Tensor();
    auto x0 = torch::embedding(wte, ids);                                   // [1, T, D]
    auto h1 = torch::layer_norm(x0, {D}, ln1_w, ln1_b, 1e-5);
    auto qkv = torch::linear(h1, w_qkv, b_qkv).view({1, T, 3, H, Dh}).permute({2, 0, 3, 1, 4});  // [3, 1, H, T, Dh]
    auto q = qkv[0], k = qkv[1], v = qkv[2];
    auto scores = torch::matmul(q, k.transpose(-1, -2)) * scale;           // [1, H, T, T]
    scores = scores.masked_fill(causal.logical_not(), -std::numeric_limits<float>::infinity());
    auto att = torch::matmul(torch::softmax(scores, -1), v);               // [1, H, T, Dh]
    auto a = att.transpose(1, 2).reshape({1, T, D});
    auto x1 = x0 + torch::linear(a, w_o, b_o);
    auto h2 = torch::layer_norm(x1, {D}, ln2_w, ln2_b, 1e-5);
    auto m = torch::linear(torch::gelu(torch::linear(h2, w_fc, b_fc), "tanh"), w_proj, b_proj);
    auto x2 = x1 + m;
    auto hf = torch::layer_norm(x2, {D}, lnf_w, lnf_b, 1e-5);
    auto logits = torch::linear(hf, wte);                                  // tied LM head
    auto loss = torch::cross_entropy_loss(logits.view({T, V}), targets);
    loss.backward();
    return loss.item<double>();
  };

  for (int i = 0; i < warmup; i++) step();
  std::vector<double> ms;
  double loss = 0;
  for (int i = 0; i < iters; i++) {
    auto t0 = std::chrono::steady_clock::now();
    loss = step();
    auto t1 = std::chrono::steady_clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  const double median = ms.empty() ? 0 : (ms.size() % 2 ? ms[ms.size() / 2] : 0.5 * (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]));
  std::printf("{\"median_ms\": %.4f, \"min_ms\": %.4f, \"threads\": %d, \"torch\": \"%s\", \"loss\": %.6f}\n",
              median, ms.empty() ? 0 : ms.front(), torch::get_num_threads(), TORCH_VERSION, loss);
  return 0;
}
