/**
 * A generic training loop: gradient accumulation (each micro-step in its own scope, so memory stays
 * flat), clipping by global norm, a schedule, an optimizer, progress (loss, lr, grad norm, tokens/s),
 * periodic atomic checkpoints and exact resume (weights, optimizer, RNGs, data position, step).
 * A NaN/Inf loss or gradient stops the run with TrainingDivergedError; the last good checkpoint stays.
 */
import { reserveStoragePool, scope, type Rng, type Tensor } from '../engine/index.js';
import { clipGradNorm, gradNorm as globalGradNorm, zeroGrad, NonFiniteGradientError, type NamedParams } from './params.js';
import type { Optimizer } from './optim.js';
import type { Schedule } from './schedule.js';
import { latestCheckpoint, loadCheckpoint, restoreCheckpoint, saveCheckpoint } from './checkpoint.js';
import type { TensorFileWriter } from './tensor-file.js';

/** A batch iterator whose position can be saved and restored (JSON), so a resumed run sees the same data. */
export interface BatchSource<B> {
  /** Called inside the micro-step's scope: tensors it creates are freed when the micro-step ends. */
  next(): B;
  getPosition(): unknown;
  setPosition(pos: unknown): void;
}

/** Batches made by index: batch i = make(i). Position is the next index. */
export function indexedBatches<B>(make: (index: number) => B): BatchSource<B> {
  let i = 0;
  return {
    next: () => make(i++),
    getPosition: () => i,
    setPosition: (pos) => {
      if (typeof pos !== 'number' || !Number.isInteger(pos) || pos < 0) throw new Error(`indexedBatches: invalid position ${JSON.stringify(pos)}`);
      i = pos;
    },
  };
}

export interface StepInfo {
  /** Optimizer steps completed (1 after the first update). */
  step: number;
  /** Mean loss over the step's micro-batches. */
  loss: number;
  /** Learning rate of the first parameter group for this update. */
  lr: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Tokens trained in this step. */
  tokens: number;
  /** Tokens trained since this call to train() began, per second of wall time. */
  tokensPerSec: number;
  /** Total tokens trained in the run (across resumes). */
  totalTokens: number;
  elapsedMs: number;
}

export type LossResult = Tensor | { loss: Tensor; tokens?: number };

export interface TrainOptions<B> {
  /** The parameters checkpointed and restored (a full model, or only LoRA tensors over a frozen base loaded
   * from disk); the optimizer updates its trainable ones. Their gradients are cleared after each step. */
  params: NamedParams;
  optimizer: Optimizer;
  /** lr multiplier per step (default constant 1). A schedule with done() (wall-clock) also ends the run. */
  schedule?: Schedule;
  /** Train until this many optimizer steps are complete. */
  steps: number;
  /** Micro-batches per optimizer step (losses are averaged). Default 1. */
  gradAccum?: number;
  /** Clip gradients to this global L2 norm. */
  clipNorm?: number;
  batches: BatchSource<B>;
  /** Runs inside a scope; returns the scalar loss (and optionally the number of tokens it covers). */
  lossFn: (batch: B) => LossResult;
  /** Tokens in a batch, when lossFn does not say. */
  tokensOf?: (batch: B) => number;
  checkpointDir?: string;
  /** Save every this many steps (and at the end) when checkpointDir is set. */
  checkpointEvery?: number;
  /** Checkpoints kept (default 2). */
  keepCheckpoints?: number;
  /** Resume from the newest checkpoint in checkpointDir when there is one. */
  resume?: boolean;
  /** RNGs to checkpoint and restore (dropout, sampling, data order). */
  rngs?: Record<string, Rng>;
  /** Recorded in each checkpoint. */
  config?: unknown;
  checkpointWriter?: TensorFileWriter;
  onStep?: (info: StepInfo) => void;
  /** Checked after each step; true ends the run (a final checkpoint is written). */
  shouldStop?: (info: StepInfo) => boolean;
  signal?: AbortSignal;
}

export interface TrainResult {
  /** Optimizer steps completed. */
  step: number;
  /** Step of the checkpoint resumed from, or null for a fresh run. */
  resumedFrom: number | null;
  /** Loss of each step this call ran, in order. */
  losses: number[];
  lastCheckpoint: string | null;
  stoppedBy: 'steps' | 'shouldStop' | 'signal' | 'budget';
  totalTokens: number;
}

/** The loss or the gradients stopped being finite. The last good checkpoint (if any) is untouched. */
export class TrainingDivergedError extends Error {
  constructor(message: string, readonly step: number, readonly lastCheckpoint: string | null) {
    super(`${message} at step ${step + 1}; training stopped${lastCheckpoint ? `, last good checkpoint: ${lastCheckpoint}` : ' (no checkpoint was written)'}`);
    this.name = 'TrainingDivergedError';
  }
}

/** Released buffers a training loop keeps for reuse (see reserveStoragePool). */
export const TRAINING_POOL_BYTES = 2 * 1024 ** 3;

type ClockSchedule = Schedule & { done?: () => boolean; elapsedMs?: () => number; setElapsedMs?: (ms: number) => void };

export async function train<B>(opts: TrainOptions<B>): Promise<TrainResult> {
  const { params, optimizer, batches, lossFn } = opts;
  const schedule = (opts.schedule ?? (() => 1)) as ClockSchedule;
  const accum = opts.gradAccum ?? 1;
  if (!Number.isInteger(accum) || accum < 1) throw new Error(`train: gradAccum must be a positive integer, got ${accum}`);
  if (!Number.isInteger(opts.steps) || opts.steps < 0) throw new Error(`train: steps must be a non-negative integer, got ${opts.steps}`);
  if (opts.checkpointEvery !== undefined && !opts.checkpointDir) throw new Error('train: checkpointEvery needs checkpointDir');
  if (opts.resume && !opts.checkpointDir) throw new Error('train: resume needs checkpointDir');
  reserveStoragePool(TRAINING_POOL_BYTES); // a step's working set is reused, not reallocated

  let step = 0, totalTokens = 0, resumedFrom: number | null = null;
  let lastCheckpoint: string | null = null;
  if (opts.resume) {
    const latest = latestCheckpoint(opts.checkpointDir!);
    if (latest) {
      const ck = loadCheckpoint(latest);
      restoreCheckpoint(ck, { params, optimizer, rngs: opts.rngs });
      batches.setPosition(ck.dataPosition);
      step = resumedFrom = ck.step;
      totalTokens = typeof ck.extra.totalTokens === 'number' ? ck.extra.totalTokens : 0;
      if (typeof ck.extra.scheduleElapsedMs === 'number' && schedule.setElapsedMs) schedule.setElapsedMs(ck.extra.scheduleElapsedMs);
      lastCheckpoint = latest;
    }
  }

  const save = () => {
    lastCheckpoint = saveCheckpoint(opts.checkpointDir!, {
      step, params, optimizer, rngs: opts.rngs, dataPosition: batches.getPosition(), config: opts.config,
      extra: { totalTokens, ...(schedule.elapsedMs ? { scheduleElapsedMs: schedule.elapsedMs() } : {}) },
    }, { keepLast: opts.keepCheckpoints, writer: opts.checkpointWriter });
  };

  const t0 = performance.now();
  let runTokens = 0;
  const losses: number[] = [];
  let stoppedBy: TrainResult['stoppedBy'] = 'steps';
  let savedAt = step;
  optimizer.zeroGrad(); zeroGrad(params);
  while (step < opts.steps) {
    if (opts.signal?.aborted) { stoppedBy = 'signal'; break; }
    if (schedule.done?.()) { stoppedBy = 'budget'; break; }
    const lrFactor = schedule(step);
    let lossSum = 0, tokens = 0;
    for (let micro = 0; micro < accum; micro++) {
      const { value, n } = scope(() => {
        const batch = batches.next(); // tensors it creates belong to this micro-step's scope
        const r = lossFn(batch);
        const loss = r instanceof Object && 'loss' in r ? r.loss : (r as Tensor);
        if (loss.size !== 1) throw new Error(`train: lossFn must return a scalar, got shape [${loss.shape}]`);
        const value = loss.item();
        if (!Number.isFinite(value)) return { value, n: 0 };
        (accum > 1 ? loss.mul(1 / accum) : loss).backward();
        const n = !(r instanceof Object && 'loss' in r) || r.tokens === undefined ? (opts.tokensOf ? opts.tokensOf(batch) : 0) : r.tokens;
        return { value, n };
      });
      if (!Number.isFinite(value)) {
        optimizer.zeroGrad(); zeroGrad(params);
        throw new TrainingDivergedError(`loss is ${value} (micro-batch ${micro + 1} of ${accum})`, step, lastCheckpoint);
      }
      lossSum += value;
      tokens += n;
    }
    let norm: number;
    try {
      norm = opts.clipNorm !== undefined ? clipGradNorm(params, opts.clipNorm) : globalGradNorm(params);
      if (!Number.isFinite(norm)) throw new NonFiniteGradientError([...params].filter(([, p]) => p.grad).map(([n]) => n));
    } catch (e) {
      optimizer.zeroGrad(); zeroGrad(params);
      if (e instanceof NonFiniteGradientError) throw new TrainingDivergedError(e.message, step, lastCheckpoint);
      throw e;
    }
    optimizer.step(lrFactor);
    optimizer.zeroGrad(); zeroGrad(params); // also params outside the optimizer, so nothing accumulates
    step++;
    totalTokens += tokens; runTokens += tokens;
    const elapsedMs = performance.now() - t0;
    const info: StepInfo = {
      step, loss: lossSum / accum, lr: (optimizer.groups[0]?.lr ?? 0) * lrFactor, gradNorm: norm, tokens,
      tokensPerSec: elapsedMs > 0 ? (runTokens * 1000) / elapsedMs : 0, totalTokens, elapsedMs,
    };
    losses.push(info.loss);
    opts.onStep?.(info);
    if (opts.checkpointDir && opts.checkpointEvery && step % opts.checkpointEvery === 0) { save(); savedAt = step; }
    if (opts.shouldStop?.(info)) { stoppedBy = 'shouldStop'; break; }
    await new Promise<void>((r) => setImmediate(r)); // let signals, servers and progress output through
  }
  if (opts.checkpointDir && savedAt !== step) save();
  return { step, resumedFrom, losses, lastCheckpoint, stoppedBy, totalTokens };
}
