/**
 * Learning-rate schedules as multipliers of each group's base lr, functions of the optimizer step
 * (0-based: the factor used for the update that makes step+1), with the Hugging Face formulas:
 * constant, constant-with-warmup, linear and cosine (with warmup and a floor). `wallClockSchedule`
 * drives the same shapes by progress = elapsed / budget, for time-capped runs.
 */

/** lr multiplier for the update at optimizer step `step` (0-based). */
export type Schedule = (step: number) => number;

export type ScheduleShape = 'constant' | 'constant_with_warmup' | 'linear' | 'cosine';

export interface ScheduleOptions {
  /** Steps of linear warmup from 0 (HF: factor step / warmup, so step 0 uses 0). */
  warmupSteps?: number;
  /** Total optimizer steps (linear and cosine). */
  totalSteps?: number;
  /** Floor as a fraction of the base lr (cosine: HF's min_lr_rate; linear: end value). Default 0. */
  minRatio?: number;
}

function nonNegInt(x: number, what: string): number {
  if (!Number.isInteger(x) || x < 0) throw new Error(`schedule: ${what} must be a non-negative integer, got ${x}`);
  return x;
}

/** Shape of the decay phase as a function of progress p in [0, 1] (1 → 0 for linear and cosine). */
function decay(shape: ScheduleShape, p: number): number {
  const q = Math.min(1, Math.max(0, p));
  switch (shape) {
    case 'constant':
    case 'constant_with_warmup': return 1;
    case 'linear': return 1 - q;
    case 'cosine': return 0.5 * (1 + Math.cos(Math.PI * q));
  }
}

export function constantSchedule(): Schedule { return () => 1; }

export function constantWithWarmup(warmupSteps: number): Schedule {
  const w = nonNegInt(warmupSteps, 'warmupSteps');
  return (step) => (step < w ? step / Math.max(1, w) : 1);
}

/** Linear warmup to 1, then linear decay to minRatio at totalSteps (HF get_linear_schedule_with_warmup when minRatio = 0). */
export function linearSchedule(opts: ScheduleOptions & { totalSteps: number }): Schedule {
  return shaped('linear', opts);
}

/** Linear warmup, then half a cosine from 1 to minRatio at totalSteps (HF cosine / cosine_with_min_lr). */
export function cosineSchedule(opts: ScheduleOptions & { totalSteps: number }): Schedule {
  return shaped('cosine', opts);
}

/** Any shape by name. */
export function makeSchedule(shape: ScheduleShape, opts: ScheduleOptions = {}): Schedule {
  if (shape === 'constant') return constantSchedule();
  if (shape === 'constant_with_warmup') return constantWithWarmup(opts.warmupSteps ?? 0);
  if (opts.totalSteps === undefined) throw new Error(`schedule '${shape}' needs totalSteps`);
  return shaped(shape, { ...opts, totalSteps: opts.totalSteps });
}

function shaped(shape: ScheduleShape, opts: ScheduleOptions & { totalSteps: number }): Schedule {
  const w = nonNegInt(opts.warmupSteps ?? 0, 'warmupSteps');
  const total = nonNegInt(opts.totalSteps, 'totalSteps');
  const floor = opts.minRatio ?? 0;
  if (!(floor >= 0 && floor <= 1)) throw new Error(`schedule: minRatio must be in [0, 1], got ${floor}`);
  if (w > total) throw new Error(`schedule: warmupSteps ${w} exceed totalSteps ${total}`);
  return (step) => {
    if (step < w) return step / Math.max(1, w);
    const p = (step - w) / Math.max(1, total - w);
    return floor + (1 - floor) * decay(shape, p);
  };
}

export interface WallClockOptions {
  /** Time budget in milliseconds; progress = elapsed / budget. */
  budgetMs: number;
  /** Fraction of the budget spent warming up linearly from 0 (default 0). */
  warmupFrac?: number;
  minRatio?: number;
  /** Clock in ms (default performance.now); injectable for tests. */
  now?: () => number;
}

/** A schedule driven by elapsed time. The step argument is ignored. Elapsed time survives checkpoints via get/setElapsed. */
export interface WallClockSchedule extends Schedule {
  /** Fraction of the budget used, in [0, 1]. */
  progress(): number;
  /** True once the budget is spent. */
  done(): boolean;
  elapsedMs(): number;
  /** Sets elapsed time (resuming a run: the budget already used). */
  setElapsedMs(ms: number): void;
}

export function wallClockSchedule(shape: ScheduleShape, opts: WallClockOptions): WallClockSchedule {
  if (!(opts.budgetMs > 0)) throw new Error(`wallClockSchedule: budgetMs must be > 0, got ${opts.budgetMs}`);
  const warm = opts.warmupFrac ?? 0, floor = opts.minRatio ?? 0;
  if (!(warm >= 0 && warm < 1)) throw new Error(`wallClockSchedule: warmupFrac must be in [0, 1), got ${warm}`);
  if (!(floor >= 0 && floor <= 1)) throw new Error(`wallClockSchedule: minRatio must be in [0, 1], got ${floor}`);
  const now = opts.now ?? (() => performance.now());
  let origin = now();
  const elapsedMs = () => Math.max(0, now() - origin);
  const progress = () => Math.min(1, elapsedMs() / opts.budgetMs);
  const factor = ((_step?: number) => {
    const p = progress();
    if (p < warm) return p / warm;
    if (shape === 'constant') return 1;
    if (shape === 'constant_with_warmup') return 1;
    return floor + (1 - floor) * decay(shape, (p - warm) / (1 - warm));
  }) as unknown as WallClockSchedule;
  factor.progress = progress;
  factor.done = () => progress() >= 1;
  factor.elapsedMs = elapsedMs;
  factor.setElapsedMs = (ms: number) => { origin = now() - ms; };
  return factor;
}
