/**
 * Training throughput: tokens/s of full training steps (forward, backward, AdamW) for the tiny organism's
 * shape (Llama d256, 6 layers, 4 heads, seq 128, batch 16, vocab 4096) and a GPT-2-small-shaped model
 * (d768, 12 layers, 12 heads, seq 256, batch 4, vocab 50257), each with its FLOPs (6·matmul params·tokens +
 * causal attention) and the share of the machine's sgemm peak (engine gemm on 1024³), the peak measured
 * right before each timed step so both see the same load. Ends with one JSON line.
 * Run: npx tsx bench/train.bench.ts   (TRAIN_BENCH_STEPS=3 timed steps per model; TRAIN_BENCH_ONLY=tiny|gpt2)
 */
import { performance } from 'node:perf_hooks';
import { availableParallelism, loadavg } from 'node:os';
import { empty, scope, reshape, Rng } from '../src/engine/index.js';
import { createModel, type Model } from '../src/models/index.js';
import { AdamW, maskedTokenLoss } from '../src/nn/index.js';
import { ARCH_PRESETS, llamaConfig } from '../src/organisms/arch.js';
import { engineGflops } from './sgemm.bench.js';

export interface TrainShape {
  name: string;
  config: Record<string, unknown>;
  batch: number;
  seqLen: number;
}

export const TINY: TrainShape = {
  name: 'tiny', batch: 16, seqLen: ARCH_PRESETS.tiny.seqLen,
  config: llamaConfig(ARCH_PRESETS.tiny, 4096, { bos: 0, eos: 0, pad: 1 }),
};

export const GPT2_SMALL: TrainShape = {
  name: 'gpt2', batch: 4, seqLen: 256,
  config: { model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12, tie_word_embeddings: true },
};

/**
 * Training FLOPs per token: 6 × the weights that take part in a matmul per token (every 2-D weight but
 * lookup-only embeddings: a tied embedding counts once, as the LM head) + causal attention, 6·L·T·d
 * (forward QKᵀ and PV over T/2 keys on average = 2·T·d per layer, backward twice that).
 */
export function trainFlopsPerTokenOf(model: Model, seqLen: number): { matmulParams: number; flopsPerToken: number } {
  const cfg = model.config;
  let matmulParams = 0;
  for (const [name, t] of model.params) {
    if (t.ndim !== 2) continue;
    if (/wpe/.test(name)) continue; // learned positions: a lookup
    if (name === model.family.embed && !cfg.tieWordEmbeddings) continue; // lookup only; the untied head counts
    matmulParams += t.size;
  }
  const attention = 6 * cfg.nLayers * seqLen * cfg.nHeads * cfg.dHead;
  return { matmulParams, flopsPerToken: 6 * matmulParams + attention };
}

export interface TrainBenchResult {
  name: string;
  params: number;
  tokensPerStep: number;
  /** Median seconds per step over the timed steps. */
  stepSec: number;
  tokensPerSec: number;
  flopsPerToken: number;
  gflops: number;
  /** sgemm GFLOP/s measured right before each timed step (median). */
  peakGflops: number;
  /** Median over steps of (achieved GFLOP/s) / (adjacent sgemm peak). */
  peakShare: number;
}

const median = (xs: number[]) => { const s = xs.slice().sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };

/** A seeded model of `shape` with gradients on, its AdamW, and one random batch of ids and targets [B, T]. */
export function trainingSetup(shape: TrainShape) {
  const model = createModel(shape.config, { seed: 1 });
  for (const p of model.params.values()) p.requireGrad();
  const opt = new AdamW(model.params, { lr: 1e-4, weightDecay: 0.1, noDecay: 'auto' });
  const V = model.config.vocabSize, B = shape.batch, T = shape.seqLen;
  const rng = new Rng(5);
  const ids = empty([B, T], 'i32').keep(), tgt = empty([B, T], 'i32').keep();
  for (let i = 0; i < B * T; i++) { ids.data[i] = rng.int(V); tgt.data[i] = rng.int(V); }
  return { model, opt, ids, tgt, V, B, T };
}

/** Times `steps` training steps after one warm-up step. */
export function benchTraining(shape: TrainShape, steps: number): TrainBenchResult {
  const { model, opt, ids, tgt, V, B, T } = trainingSetup(shape);
  try {
    const step = () => {
      scope(() => {
        const logits = model.forward(ids);
        maskedTokenLoss(reshape(logits, [B * T, V]), reshape(tgt, [B * T])).backward();
      });
      opt.step();
      opt.zeroGrad();
    };
    step(); // warm-up: JIT, allocator, optimizer buffers
    const { flopsPerToken } = trainFlopsPerTokenOf(model, T);
    const times: number[] = [], peaks: number[] = [], shares: number[] = [];
    for (let s = 0; s < steps; s++) {
      const peak = engineGflops(1024, 1024, 1024);
      const t0 = performance.now();
      step();
      const sec = (performance.now() - t0) / 1000;
      times.push(sec); peaks.push(peak);
      shares.push((flopsPerToken * B * T) / sec / 1e9 / peak);
    }
    ids.dispose(); tgt.dispose(); opt.dispose();
    const stepSec = median(times);
    return {
      name: shape.name, params: model.numParams(), tokensPerStep: B * T, stepSec, tokensPerSec: (B * T) / stepSec, flopsPerToken,
      gflops: (flopsPerToken * B * T) / stepSec / 1e9, peakGflops: median(peaks), peakShare: median(shares),
    };
  } finally {
    model.dispose();
  }
}

function main(): void {
  const steps = Number(process.env.TRAIN_BENCH_STEPS ?? 3);
  const only = process.env.TRAIN_BENCH_ONLY;
  const shapes = [TINY, GPT2_SMALL].filter((s) => !only || s.name === only);
  const load = loadavg()[0]!;
  console.log(`training tokens/s (forward + backward + AdamW), ${steps} timed steps after 1 warm-up; load ${load.toFixed(1)} on ${availableParallelism()} cores`);
  if (load > availableParallelism()) console.log('note: the machine is loaded (load average above the core count); the sgemm peak is measured beside each step so the share stays comparable');
  const out: Record<string, number> = {};
  console.log(['model', 'params', 'tok/step', 's/step', 'tok/s', 'MFLOP/tok', 'GFLOP/s', 'sgemm peak', 'share'].map((s) => s.padStart(11)).join(''));
  for (const shape of shapes) {
    const r = benchTraining(shape, steps);
    console.log([r.name, `${(r.params / 1e6).toFixed(1)}M`, String(r.tokensPerStep), r.stepSec.toFixed(2), r.tokensPerSec.toFixed(0),
      (r.flopsPerToken / 1e6).toFixed(1), r.gflops.toFixed(1), r.peakGflops.toFixed(1), r.peakShare.toFixed(3)].map((s) => s.padStart(11)).join(''));
    out[`train_${r.name}_tokens_per_sec`] = +r.tokensPerSec.toFixed(1);
    out[`train_${r.name}_step_sec`] = +r.stepSec.toFixed(4);
    out[`train_${r.name}_gflops`] = +r.gflops.toFixed(2);
    out[`train_${r.name}_sgemm_peak_gflops`] = +r.peakGflops.toFixed(2);
    out[`train_${r.name}_peak_share`] = +r.peakShare.toFixed(4);
    out[`train_${r.name}_mflops_per_token`] = +(r.flopsPerToken / 1e6).toFixed(2);
  }
  out.load_average = +load.toFixed(2);
  console.log(JSON.stringify(out));
}

if (import.meta.url === `file://${process.argv[1]}`) main();
