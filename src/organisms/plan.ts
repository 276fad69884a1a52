// A wall-clock learning-rate plan that can be replayed: linear warmup over a fixed number of steps, then a
// cosine from 1 to a floor whose end step is set (and re-set) from the measured speed so training ends on
// the time budget. The lr is a function of the step and the recorded plan segments only, so a run can be
// reproduced bit for bit from its organism.json (`plan`), whatever the speed of the machine replaying it.

/** From `fromStep` on, the cosine reaches its end at `totalSteps`. */
export interface PlanSegment { fromStep: number; totalSteps: number }

export interface StepPlanOptions {
  warmupSteps: number;
  /** lr floor as a fraction of the peak (default 0.1). */
  minRatio?: number;
}

export class StepPlan {
  readonly warmupSteps: number;
  readonly minRatio: number;
  private readonly segs: PlanSegment[] = [];
  /** Progress (0..1 of the cosine) at the start of each segment. */
  private readonly startProgress: number[] = [];

  constructor(opts: StepPlanOptions, segments: readonly PlanSegment[] = []) {
    if (!Number.isInteger(opts.warmupSteps) || opts.warmupSteps < 0) throw new Error(`StepPlan: warmupSteps must be a non-negative integer, got ${opts.warmupSteps}`);
    this.warmupSteps = opts.warmupSteps;
    this.minRatio = opts.minRatio ?? 0.1;
    if (!(this.minRatio >= 0 && this.minRatio <= 1)) throw new Error(`StepPlan: minRatio must be in [0, 1], got ${this.minRatio}`);
    for (const s of segments) this.replan(s.fromStep, s.totalSteps);
  }

  get segments(): PlanSegment[] { return this.segs.map((s) => ({ ...s })); }
  get planned(): boolean { return this.segs.length > 0; }
  /** The step the cosine currently ends at (Infinity before the first plan). */
  get totalSteps(): number { return this.segs.length ? this.segs[this.segs.length - 1]!.totalSteps : Infinity; }

  /** Cosine progress in [0, 1] at `step` (0 during warmup and before any plan). */
  progress(step: number): number {
    let k = -1;
    for (let i = 0; i < this.segs.length; i++) if (this.segs[i]!.fromStep <= step) k = i;
    if (k < 0) return 0;
    const s = this.segs[k]!, p0 = this.startProgress[k]!;
    const from = Math.max(s.fromStep, this.warmupSteps);
    if (step <= from) return p0;
    const span = s.totalSteps - from;
    return span <= 0 ? 1 : Math.min(1, p0 + ((1 - p0) * (step - from)) / span);
  }

  /** lr multiplier for the update made at 0-based `step`. */
  factor(step: number): number {
    if (step < this.warmupSteps) return (step + 1) / this.warmupSteps;
    const p = this.progress(step);
    return this.minRatio + (1 - this.minRatio) * 0.5 * (1 + Math.cos(Math.PI * p));
  }

  /** From `step` on, end the cosine at `totalSteps` (continuing from the progress reached so far). */
  replan(step: number, totalSteps: number): void {
    if (!Number.isInteger(step) || step < 0) throw new Error(`StepPlan.replan: step must be a non-negative integer, got ${step}`);
    if (!Number.isInteger(totalSteps) || totalSteps <= step) throw new Error(`StepPlan.replan: totalSteps ${totalSteps} must be an integer above the current step ${step}`);
    const last = this.segs[this.segs.length - 1];
    if (last && step < last.fromStep) throw new Error(`StepPlan.replan: step ${step} is before the last segment's start ${last.fromStep}`);
    const p0 = this.progress(step);
    if (last && last.fromStep === step) { this.segs.pop(); this.startProgress.pop(); }
    this.segs.push({ fromStep: step, totalSteps });
    this.startProgress.push(p0);
  }
}

export interface PacerOptions {
  /** Seconds available for training steps. */
  budgetSec: number;
  /** Re-estimate the end step every this many steps (default 10). */
  checkEvery?: number;
  /** Replan when the projected end differs from the planned one by more than this fraction of the steps left (default 0.05). */
  tolerance?: number;
  /** Steps measured before the first plan (default 3). */
  probeSteps?: number;
}

/**
 * Sets a StepPlan's end from elapsed time: after `probeSteps` steps it plans the end from the mean step
 * time, then every `checkEvery` steps (every step near the end) replans when the projection (at the
 * step time of the last 5·checkEvery steps) drifts by more than `tolerance` of the steps left. Used only for time-budgeted
 * runs; replaying the recorded segments needs no pacer.
 */
export class Pacer {
  private readonly checkEvery: number;
  private readonly tolerance: number;
  private readonly probeSteps: number;
  private readonly times: number[] = [0];
  constructor(private readonly plan: StepPlan, private readonly opts: PacerOptions) {
    if (!(opts.budgetSec > 0)) throw new Error(`Pacer: budgetSec must be > 0, got ${opts.budgetSec}`);
    this.checkEvery = opts.checkEvery ?? 10;
    this.tolerance = opts.tolerance ?? 0.05;
    this.probeSteps = opts.probeSteps ?? 3;
  }

  /** Call after `stepsDone` steps have taken `elapsedSec`; may replan. Returns true when the plan changed. */
  observe(stepsDone: number, elapsedSec: number): boolean {
    this.times[stepsDone] = elapsedSec;
    if (stepsDone < this.probeSteps) return false;
    const current = this.plan.totalSteps;
    if (stepsDone >= current) return false;
    // every checkEvery steps, and every step once the planned end is near
    if (this.plan.planned && stepsDone % this.checkEvery !== 0 && current - stepsDone > 2 * this.checkEvery) return false;
    // step time over the recent window (the machine's load changes), at least the probe
    const from = Math.max(0, stepsDone - 5 * this.checkEvery);
    const t0 = this.times[from] ?? 0;
    const perStep = (elapsedSec - t0) / (stepsDone - from);
    const remaining = Math.max(0, this.opts.budgetSec - elapsedSec);
    const projected = Math.max(stepsDone + 1, stepsDone + Math.floor(remaining / Math.max(perStep, 1e-9)));
    // drift is judged against the steps still to go, so the end never slips by more than a few steps
    if (this.plan.planned && Math.abs(projected - current) <= Math.max(1, this.tolerance * (current - stepsDone))) return false;
    this.plan.replan(stepsDone, projected);
    return true;
  }
}
