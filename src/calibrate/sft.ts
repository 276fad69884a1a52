// SFT warm-up for calibration training: teaches a base model the output format from formatted
// (prompt, completion) examples. The loss covers completion tokens (and the closing EOS) only — never the
// prompt or the padding — using nn's collation, AdamW, schedules, clipping and resumable checkpoints.
import { Rng } from '../engine/index.js';
import { AdamW, collateCausal, maskedTokenLoss, makeSchedule, indexedBatches, train, type CausalBatch, type ScheduleShape, type StepInfo, type TrainResult } from '../nn/index.js';
import type { Model } from '../models/index.js';
import type { RecordedTrainingOptions } from './run-options.js';

export interface SftExample {
  /** Prompt text (encoded with the model's tokenizer) or token ids. */
  prompt: string | number[];
  /** Completion text; EOS is appended unless appendEos is false. */
  completion: string;
  /**
   * Characters at the start of the completion that are context, not target: they are tokenized together with
   * the rest of the completion (so the token boundaries are the ones the model produces when it writes that text
   * itself) but left out of the loss. Use it to show the model text it should read but never learn to write,
   * e.g. a wrong answer it must learn to judge. Tokens that straddle the offset are trained. Default 0.
   */
  lossFrom?: number;
}

export interface TrainSftOptions extends RecordedTrainingOptions {
  model: Model;
  examples: readonly SftExample[];
  /** Optimizer steps (default: enough for `epochs` passes). */
  steps?: number;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  schedule?: ScheduleShape;
  warmupRatio?: number;
  weightDecay?: number;
  clipNorm?: number;
  appendEos?: boolean;
  /** Truncate sequences to this many tokens. */
  maxLen?: number;
  onStep?: (info: StepInfo) => void;
}

export interface SftSequence { ids: number[]; promptLen: number }

/** Tokenized training sequences: prompt ids then completion ids (+ EOS), with the prompt length to mask. */
export function sftSequences(model: Model, examples: readonly SftExample[], opts: { appendEos?: boolean } = {}): SftSequence[] {
  const tok = model.tokenizer;
  const eos = model.generationConfig?.eosTokenIds[0] ?? model.config.eosTokenIds[0];
  return examples.map((ex, i) => {
    if (typeof ex.prompt === 'string' && !tok) throw new Error(`SFT example ${i}: text prompts need a tokenizer in the model folder`);
    if (!tok) throw new Error(`SFT example ${i}: completions are text and need a tokenizer`);
    const p = typeof ex.prompt === 'string' ? tok.encode(ex.prompt, { addSpecialTokens: true }) : ex.prompt.slice();
    const c = tok.encode(ex.completion, { addSpecialTokens: false });
    if (opts.appendEos !== false) {
      if (eos === undefined) throw new Error('SFT: the model has no EOS token id; pass appendEos: false');
      c.push(eos);
    }
    if (p.length === 0) throw new Error(`SFT example ${i}: the prompt encodes to no tokens`);
    if (c.length === 0) throw new Error(`SFT example ${i}: the completion encodes to no tokens`);
    const from = ex.lossFrom ?? 0;
    if (!Number.isInteger(from) || from < 0 || from >= ex.completion.length) throw new Error(`SFT example ${i}: lossFrom must be an integer character offset in [0, ${ex.completion.length - 1}] (the completion's length is ${ex.completion.length}), got ${from}`);
    let skip = 0;
    if (from > 0) {
      // mask the tokens the context's own tokenization shares with the whole completion's (equal ids from the start
      // cover equal text, so they lie inside the context); a token that crosses the offset is trained
      const ctx = tok.encode(ex.completion.slice(0, from), { addSpecialTokens: false });
      while (skip < ctx.length && skip < c.length - 1 && ctx[skip] === c[skip]) skip++;
    }
    return { ids: [...p, ...c], promptLen: p.length + skip };
  });
}

/** A collated SFT batch: targets are −100 at prompt and pad positions, so only completion tokens train. */
export function sftBatch(seqs: readonly SftSequence[], padId: number, maxLen?: number): CausalBatch {
  return collateCausal(seqs, { padId, maxLen });
}

export interface SftResult extends TrainResult { runId: string | null }

/** Supervised fine-tuning on completions. Updates the model in place (all parameters). */
export async function trainSft(opts: TrainSftOptions): Promise<SftResult> {
  const { model } = opts;
  if (opts.examples.length === 0) throw new Error('trainSft: no examples');
  const seqs = sftSequences(model, opts.examples, { appendEos: opts.appendEos });
  const bs = Math.min(opts.batchSize ?? 16, seqs.length);
  const steps = opts.steps ?? Math.ceil(((opts.epochs ?? 1) * seqs.length) / bs);
  const padId = model.config.padTokenId ?? model.tokenizer?.padTokenId ?? model.config.eosTokenIds[0] ?? 0;
  const seed = opts.seed ?? 0;
  // epoch-wise seeded shuffles; batch i is positions i·bs … i·bs + bs − 1 of the shuffled stream
  const perms = new Map<number, number[]>();
  const permFor = (epoch: number) => {
    let p = perms.get(epoch);
    if (!p) {
      const rng = new Rng((seed * 31337 + epoch * 7919 + 3) >>> 0);
      p = Array.from({ length: seqs.length }, (_, i) => i);
      for (let i = p.length - 1; i > 0; i--) { const j = rng.int(i + 1); [p[i], p[j]] = [p[j], p[i]]; }
      perms.set(epoch, p);
    }
    return p;
  };
  const batches = indexedBatches((i) => {
    const rows: SftSequence[] = [];
    for (let k = i * bs; k < (i + 1) * bs; k++) rows.push(seqs[permFor(Math.floor(k / seqs.length))[k % seqs.length]]);
    return rows;
  });
  for (const p of model.params.values()) p.requireGrad(true);
  const optimizer = new AdamW(model.params, { lr: opts.lr ?? 1e-3, weightDecay: opts.weightDecay ?? 0, noDecay: 'auto' });
  const schedule = makeSchedule(opts.schedule ?? 'cosine', { warmupSteps: Math.round((opts.warmupRatio ?? 0.05) * steps), totalSteps: steps });
  const config = { examples: seqs.length, steps, batchSize: bs, lr: opts.lr ?? 1e-3, schedule: opts.schedule ?? 'cosine', seed, model: model.dir };
  const run = opts.store ? opts.store.createRun({ kind: 'sft', name: opts.runName ?? null, config, seed }) : null;
  try {
    const res = await train<SftSequence[]>({
      params: model.params, optimizer, schedule, steps, clipNorm: opts.clipNorm ?? 1.0, batches,
      lossFn: (rows) => {
        const b = sftBatch(rows, padId, opts.maxLen);
        const logits = model.forward(b.inputIds, { attentionMask: b.attentionMask });
        return { loss: maskedTokenLoss(logits, b.targets), tokens: b.tokens };
      },
      checkpointDir: opts.checkpointDir, checkpointEvery: opts.checkpointEvery, resume: opts.resume, config,
      signal: opts.signal,
      onStep: (info) => { run?.log({ type: 'sft-step', ...info }); opts.onStep?.(info); },
    });
    run?.setSummary({ steps: res.step, finalLoss: res.losses.at(-1) ?? null, tokens: res.totalTokens });
    run?.finish('completed');
    return { ...res, runId: run?.id ?? null };
  } catch (e) {
    run?.finish('failed', e as Error);
    throw e;
  } finally {
    optimizer.dispose();
  }
}
