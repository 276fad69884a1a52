// GRPO trainer on the local engine with calibration rewards (RLVR, RLCR, published weighting, log-score
// ablation, or any function): per step it samples groups with the KV-cache generator, scores them, centres the
// rewards per group, takes one clipped-surrogate optimizer step (on-policy), logs the calibration monitors,
// watches for confidence collapse, and checkpoints so a killed run resumes on the same curve.
import { Rng, noGrad, clone, scope, reserveStoragePool } from '../engine/index.js';
import {
  AdamW, makeSchedule, clipGradNorm, saveCheckpoint, loadCheckpoint, restoreCheckpoint, latestCheckpoint,
  LoraAdapter, TRAINING_POOL_BYTES, type LoraConfig, type NamedParams, type Schedule, type ScheduleShape,
} from '../nn/index.js';
import { Model, generate } from '../models/index.js';
import type { RunWriter } from '../runs/index.js';
import type { RecordedTrainingOptions } from './run-options.js';
import { scoreCompletion, type RewardKind, type RewardOptions } from './rewards.js';
import type { Checker } from './check.js';
import type { OutputFormat } from './parse.js';
import { buildMessages, systemPrompt, userPrompt, type PromptItem } from './prompts.js';
import { collapseMonitors } from './metrics.js';
import { groupAdvantages, buildCompletionBatch, completionLogProbs, grpoLoss, type AdvantageScaling, type GrpoLossType } from './grpo-loss.js';

/** One training problem. */
export interface GrpoItem extends PromptItem {
  id?: string;
  answer: string | string[];
  difficulty?: number;
}

/** What a custom reward returns; anything non-finite (or a throw) is replaced by `malformedReward`. */
export interface GrpoRewardValue {
  reward: number;
  correct?: boolean | number;
  confidence?: number | null;
  format?: boolean | number;
}
export type GrpoRewardFn = (completion: string, item: GrpoItem) => GrpoRewardValue | number | Promise<GrpoRewardValue | number>;

/** How prompts become token ids: 'chat' (system + user via the tokenizer's chat template, plain text without
 * one), 'compact' (`PROBLEM: …` and a newline: what the tiny organisms are taught), or a function. */
export type PromptStyle = 'chat' | 'compact' | ((item: GrpoItem) => number[]);

export interface TrainGrpoOptions extends RecordedTrainingOptions {
  model: Model;
  prompts: readonly GrpoItem[];
  format?: OutputFormat;
  reward?: RewardKind | GrpoRewardFn;
  rewardOptions?: RewardOptions;
  checker?: Checker;
  /** Reward given when a custom reward throws or is not finite (default −2). */
  malformedReward?: number;
  promptStyle?: PromptStyle;
  /** Completions per prompt (default 8; the paper used 32). */
  groupSize?: number;
  /** Prompts per optimizer step (default 4). */
  promptsPerStep?: number;
  temperature?: number;
  topP?: number;
  maxNewTokens?: number;
  lr?: number;
  schedule?: ScheduleShape | Schedule;
  warmupRatio?: number;
  weightDecay?: number;
  clipNorm?: number;
  steps: number;
  lossType?: GrpoLossType;
  beta?: number;
  epsilon?: number;
  scaleRewards?: AdvantageScaling;
  maskTruncated?: boolean;
  /** Rows per forward/backward pass (gradient accumulation over rows; default all). */
  microBatch?: number;
  /** LoRA instead of full fine-tuning. */
  lora?: LoraConfig;
  /** Log the k3 KL to the start policy each step (an extra no-grad forward). Default true. */
  logKl?: boolean;
  onStep?: (log: GrpoStepLog) => void;
  onWarn?: (message: string) => void;
}

export interface GrpoStepLog {
  type: 'grpo-step';
  step: number;
  rewardMean: number;
  rewardStd: number;
  /** Reward components averaged over the step's samples. */
  components: { format: number; correct: number; brier: number | null };
  accuracy: number;
  formatRate: number;
  meanConfidence: number | null;
  distinctConfidences: number;
  shareExtreme: number | null;
  completionLength: number;
  truncatedRate: number;
  /** Mean k3 KL to the start policy over completion tokens (null when logKl is off). */
  kl: number | null;
  loss: number;
  gradNorm: number;
  lr: number;
  clipFraction: number;
  /** Groups whose rewards were all equal (they give no gradient). */
  zeroAdvantageGroups: number;
  rewardErrors: number;
  collapsed: boolean;
  stepMs: number;
  /** Where the step's time went: sampling, reward scoring, and loss + backward + update (KL forward included). */
  generateMs: number;
  scoreMs: number;
  trainMs: number;
  samplesPerSec: number;
}

export interface CollapseState {
  /** True when confidence collapsed for 3+ consecutive steps or at the last step. */
  collapsed: boolean;
  firstStep: number | null;
  collapsedSteps: number;
  reason: string | null;
}

export interface GrpoResult {
  step: number;
  resumedFrom: number | null;
  logs: GrpoStepLog[];
  collapse: CollapseState;
  runId: string | null;
  lastCheckpoint: string | null;
  lora: LoraAdapter | null;
  stoppedBy: 'steps' | 'signal';
}

/** Collapse: share of q near 0/1 above 0.9, or at most 2 distinct q values (with at least 4 confidences). */
export function isConfidenceCollapsed(q: readonly number[]): { collapsed: boolean; reason: string | null } {
  if (q.length < 4) return { collapsed: false, reason: null };
  const m = collapseMonitors(q);
  if (m.shareExtreme > 0.9) return { collapsed: true, reason: `${(m.shareExtreme * 100).toFixed(0)}% of confidences within 0.01 of 0 or 1 (mean q ${m.meanConfidence.toFixed(2)})` };
  if (m.distinctConfidences <= 2) return { collapsed: true, reason: `only ${m.distinctConfidences} distinct confidence value(s) (mean q ${m.meanConfidence.toFixed(2)})` };
  return { collapsed: false, reason: null };
}

/** The compact prompt text the tiny organisms are taught: `PROBLEM: …` then a newline. */
export function compactPromptText(item: PromptItem): string {
  return `${userPrompt(item)}\n`;
}

/** Token ids of an item's prompt in a style. */
export function encodePrompt(model: Model, item: GrpoItem, style: PromptStyle, format: OutputFormat): number[] {
  if (typeof style === 'function') return style(item);
  const tok = model.tokenizer;
  if (!tok) throw new Error('GRPO: the model has no tokenizer (tokenizer.json in its folder); pass promptStyle as a function of the item');
  let ids: number[];
  if (style === 'compact') ids = tok.encode(compactPromptText(item), { addSpecialTokens: true });
  else if (tok.chatTemplate) ids = tok.applyChatTemplate(buildMessages(item, format).map((m) => ({ role: m.role, content: m.content })), { addGenerationPrompt: true, tokenize: true }) as number[];
  else ids = tok.encode(`${systemPrompt(format)}\n\n${userPrompt(item)}\n`, { addSpecialTokens: true });
  if (ids.length === 0) throw new Error(`GRPO: prompt of item ${item.id ?? item.question} encodes to no tokens`);
  return ids;
}

/** Deterministic prompt order: epoch e is a seeded permutation; step s takes positions s·P … s·P + P − 1. */
export function promptIndicesForStep(n: number, step: number, perStep: number, seed: number): number[] {
  if (n === 0) throw new Error('GRPO: the prompt dataset is empty');
  const out: number[] = [];
  const perms = new Map<number, number[]>();
  for (let j = 0; j < perStep; j++) {
    const k = step * perStep + j, epoch = Math.floor(k / n);
    let perm = perms.get(epoch);
    if (!perm) {
      const rng = new Rng((seed * 7919 + epoch * 104729 + 17) >>> 0);
      perm = Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) { const r = rng.int(i + 1); [perm[i], perm[r]] = [perm[r], perm[i]]; }
      perms.set(epoch, perm);
    }
    out.push(perm[k % n]);
  }
  return out;
}

interface Scored { reward: number; correct: number; format: number; confidence: number | null; brier: number | null; error: boolean }

async function scoreOne(text: string, item: GrpoItem, opts: TrainGrpoOptions, format: OutputFormat): Promise<Scored> {
  const bad = opts.malformedReward ?? -2;
  const reward = opts.reward ?? 'rlcr';
  try {
    if (typeof reward === 'function') {
      const r = await reward(text, item);
      const v = typeof r === 'number' ? { reward: r } : r;
      const ok = Number.isFinite(v.reward);
      const q = typeof v.confidence === 'number' && Number.isFinite(v.confidence) ? v.confidence : null;
      const c = v.correct ? 1 : 0;
      return { reward: ok ? v.reward : bad, correct: c, format: v.format === undefined ? 1 : v.format ? 1 : 0, confidence: q, brier: q === null ? null : (q - c) ** 2, error: !ok };
    }
    const s = await scoreCompletion(text, item.answer, { ...opts.rewardOptions, format, reward, checker: opts.checker });
    const ok = Number.isFinite(s.reward);
    return { reward: ok ? s.reward : bad, correct: s.correct, format: s.format, confidence: s.confidence, brier: s.brier, error: !ok };
  } catch {
    return { reward: bad, correct: 0, format: 0, confidence: null, brier: null, error: true };
  }
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** Runs GRPO. The model is updated in place (full fine-tuning, or LoRA adapters attached to model.adapters). */
export async function trainGrpo(opts: TrainGrpoOptions): Promise<GrpoResult> {
  const { model } = opts;
  reserveStoragePool(TRAINING_POOL_BYTES); // a step's working set is reused, not reallocated
  const format = opts.format ?? 'tabc';
  const G = opts.groupSize ?? 8, P = opts.promptsPerStep ?? 4;
  const temperature = opts.temperature ?? 0.7;
  const maxNew = opts.maxNewTokens ?? 96;
  const seed = opts.seed ?? 0;
  const lossType = opts.lossType ?? 'bnpo';
  const beta = opts.beta ?? 0;
  const logKl = opts.logKl ?? true;
  const warn = opts.onWarn ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  if (!Number.isInteger(G) || G < 2) throw new Error(`trainGrpo: groupSize must be an integer ≥ 2 (advantages need a group), got ${G}`);
  if (!Number.isInteger(P) || P < 1) throw new Error(`trainGrpo: promptsPerStep must be a positive integer, got ${P}`);
  if (!Number.isInteger(opts.steps) || opts.steps < 0) throw new Error(`trainGrpo: steps must be a non-negative integer, got ${opts.steps}`);
  if (!(Number.isFinite(beta) && beta >= 0)) throw new Error(`trainGrpo: beta (the KL weight) must be a finite number ≥ 0, got ${beta}`);
  if (opts.prompts.length === 0) throw new Error('trainGrpo: no prompts');
  if (opts.resume && !opts.checkpointDir) throw new Error('trainGrpo: resume needs checkpointDir');
  if (!model.tokenizer && (typeof opts.reward !== 'function' || typeof opts.promptStyle !== 'function')) {
    throw new Error('trainGrpo: the model has no tokenizer (tokenizer.json); without one, pass promptStyle and reward as functions (completions then arrive as space-separated token ids)');
  }
  if (typeof opts.reward !== 'function' && opts.reward !== 'rlvr' && format === 'ta') throw new Error(`trainGrpo: reward '${opts.reward ?? 'rlcr'}' needs a format with a confidence (tabc or tac)`);
  const eos = model.generationConfig?.eosTokenIds.length ? model.generationConfig.eosTokenIds : model.config.eosTokenIds;
  if (!eos.length) throw new Error('trainGrpo: the model has no EOS token id (config.json eos_token_id); completions could never end');
  const padId = model.config.padTokenId ?? model.tokenizer?.padTokenId ?? eos[0];

  // trainable parameters and the frozen start policy (for the KL monitor / penalty)
  let lora: LoraAdapter | null = null;
  let trainParams: NamedParams;
  let reference: Model | null = null;
  if (opts.lora) {
    lora = new LoraAdapter(model.params, opts.lora, new Rng(seed + 1));
    for (const p of model.params.values()) p.requireGrad(false);
    for (const [w, t] of lora.targets) model.adapters.set(w, { A: t.A, B: t.B, scale: lora.scale });
    trainParams = lora.parameters();
    if (logKl || beta > 0) reference = new Model(model.config, model.params); // same weights, no adapters
  } else {
    for (const p of model.params.values()) p.requireGrad(true);
    trainParams = model.params;
    if (logKl || beta > 0) reference = new Model(model.config, new Map([...model.params].map(([n, p]) => [n, noGrad(() => clone(p)).keep()])));
  }
  const ownsReference = !opts.lora;
  const optimizer = new AdamW(trainParams, { lr: opts.lr ?? 1e-5, weightDecay: opts.weightDecay ?? 0 });
  const sched: Schedule = typeof opts.schedule === 'function' ? opts.schedule
    : makeSchedule(opts.schedule ?? 'constant_with_warmup', { warmupSteps: Math.round((opts.warmupRatio ?? 0) * opts.steps), totalSteps: opts.steps });
  const clipNorm = opts.clipNorm ?? 1.0;

  let step = 0, resumedFrom: number | null = null, lastCheckpoint: string | null = null;
  if (opts.resume) {
    const latest = latestCheckpoint(opts.checkpointDir!);
    if (latest) {
      const ck = loadCheckpoint(latest);
      restoreCheckpoint(ck, { params: trainParams, optimizer });
      step = resumedFrom = ck.step;
      lastCheckpoint = latest;
      if (reference && ownsReference) {
        const startFile = ck.extra.startPolicy;
        if (typeof startFile === 'string') {
          const start = loadCheckpoint(startFile);
          restoreCheckpoint(start, { params: reference.params });
        } else warn('resume: no start-policy snapshot recorded; KL is measured from the resumed weights');
      }
    }
  }
  const config = {
    format, reward: typeof opts.reward === 'function' ? 'custom' : (opts.reward ?? 'rlcr'), groupSize: G, promptsPerStep: P, temperature, topP: opts.topP ?? null,
    maxNewTokens: maxNew, lr: opts.lr ?? 1e-5, schedule: typeof opts.schedule === 'function' ? 'custom' : (opts.schedule ?? 'constant_with_warmup'),
    warmupRatio: opts.warmupRatio ?? 0, steps: opts.steps, lossType, beta, epsilon: opts.epsilon ?? 0.2, scaleRewards: opts.scaleRewards ?? 'none',
    maskTruncated: opts.maskTruncated ?? false, clipNorm, lora: opts.lora ?? null, seed, prompts: opts.prompts.length, resumedFrom,
    model: model.dir, promptStyle: typeof opts.promptStyle === 'function' ? 'custom' : (opts.promptStyle ?? 'chat'),
  };
  // a snapshot of the start policy beside the checkpoints, so a resumed run measures KL from the true start
  let startPolicyPath: string | null = null;
  if (opts.checkpointDir && reference && ownsReference) {
    startPolicyPath = `${opts.checkpointDir.replace(/\/+$/, '')}/start-policy`;
    if (!latestCheckpoint(startPolicyPath)) saveCheckpoint(startPolicyPath, { step: 0, params: reference.params, config: { note: 'GRPO start policy' } }, { keepLast: 1 });
    startPolicyPath = latestCheckpoint(startPolicyPath);
  }

  const run: RunWriter | null = opts.store ? opts.store.createRun({ kind: 'grpo', name: opts.runName ?? null, config, seed }) : null;
  const logs: GrpoStepLog[] = [];
  const collapse: CollapseState = { collapsed: false, firstStep: null, collapsedSteps: 0, reason: null };
  let streak = 0;
  const promptCache = new Map<number, number[]>();
  const save = () => {
    lastCheckpoint = saveCheckpoint(opts.checkpointDir!, {
      step, params: trainParams, optimizer, dataPosition: step, config,
      extra: { ...(startPolicyPath ? { startPolicy: startPolicyPath } : {}), runId: run?.id ?? null },
    }, { keepLast: 2 });
  };
  let stoppedBy: GrpoResult['stoppedBy'] = 'steps';
  try {
    while (step < opts.steps) {
      if (opts.signal?.aborted) { stoppedBy = 'signal'; break; }
      const t0 = performance.now();
      const idx = promptIndicesForStep(opts.prompts.length, step, P, seed);
      const promptIds: number[][] = [];
      const items: GrpoItem[] = [];
      for (const i of idx) {
        let ids = promptCache.get(i);
        if (!ids) { ids = encodePrompt(model, opts.prompts[i], opts.promptStyle ?? 'chat', format); promptCache.set(i, ids); }
        for (let g = 0; g < G; g++) { promptIds.push(ids); items.push(opts.prompts[i]); }
      }
      // sampling (the generator runs under noGrad; LoRA dropout off while sampling)
      if (lora) lora.training = false;
      const tGen = performance.now();
      const gen = generate(model, promptIds, { temperature, topP: opts.topP, maxNewTokens: maxNew, seed: (seed * 1000003 + step * 7907 + 1) >>> 0, eosTokenIds: eos });
      if (lora) lora.training = true;
      const texts = gen.texts ?? gen.tokens.map((t) => t.filter((x) => !eos.includes(x)).join(' '));
      const tScore = performance.now();
      const scored = await Promise.all(texts.map((t, i) => scoreOne(t, items[i], opts, format)));
      const rewards = scored.map((s) => s.reward);
      const adv = groupAdvantages(rewards, G, opts.scaleRewards ?? 'none');
      let zeroGroups = 0;
      for (let g = 0; g < rewards.length; g += G) if (rewards.slice(g, g + G).every((r) => r === rewards[g])) zeroGroups++;

      // loss and update
      const tTrain = performance.now();
      const batch = buildCompletionBatch(promptIds, gen.tokens, { padId, eosTokenIds: eos, maskTruncated: opts.maskTruncated ?? false });
      let lossValue = 0, clipped = 0, active = 0, klSum = 0, klTokens = 0;
      const B = promptIds.length, mb = Math.min(opts.microBatch ?? B, B);
      const totalActive = batch.completionMask.reduce((a, r) => a + r.reduce((x, y) => x + y, 0), 0);
      try {
        optimizer.zeroGrad();
        for (let r0 = 0; r0 < B; r0 += mb) {
          const rows = Array.from({ length: Math.min(mb, B - r0) }, (_, k) => r0 + k);
          const sub = rows.length === B ? batch : buildCompletionBatch(rows.map((r) => promptIds[r]), rows.map((r) => gen.tokens[r]), { padId, eosTokenIds: eos, maskTruncated: opts.maskTruncated ?? false, minCompletionWidth: batch.completionWidth });
          try {
            let ref: Float32Array | null = null;
            if (reference) ref = noGrad(() => scope(() => completionLogProbs(reference!, sub, { temperature }).toFlat() as Float32Array));
            scope(() => {
              const lp = completionLogProbs(model, sub, { temperature });
              const r = grpoLoss(lp, {
                advantages: rows.map((i) => adv[i]), completionMask: sub.completionMask, lossType, epsilon: opts.epsilon ?? 0.2, beta,
                refLogProbs: ref, maxCompletionLength: maxNew, totalRows: B, totalActiveTokens: totalActive,
              });
              lossValue += r.loss.item();
              clipped += r.clippedLow + r.clippedHigh; active += r.activeTokens;
              if (r.meanKl !== null) { klSum += r.meanKl * r.activeTokens; klTokens += r.activeTokens; }
              r.loss.backward();
            });
          } finally { if (sub !== batch) sub.dispose(); }
        }
      } finally { batch.dispose(); }
      const lrFactor = sched(step);
      const gradNorm = clipGradNorm(trainParams, clipNorm);
      if (!Number.isFinite(gradNorm) || !Number.isFinite(lossValue)) {
        optimizer.zeroGrad();
        throw new Error(`GRPO diverged at step ${step + 1}: loss ${lossValue}, gradient norm ${gradNorm}${lastCheckpoint ? `; last good checkpoint ${lastCheckpoint}` : ''}`);
      }
      optimizer.step(lrFactor);
      optimizer.zeroGrad();
      step++;
      const tEnd = performance.now();

      // monitors
      const qs = scored.map((s) => s.confidence).filter((q): q is number => q !== null);
      const cm = qs.length ? collapseMonitors(qs) : null;
      const col = isConfidenceCollapsed(qs);
      if (col.collapsed) {
        streak++; collapse.collapsedSteps++;
        if (collapse.firstStep === null) collapse.firstStep = step;
        collapse.reason = col.reason;
        if (streak === 3) warn(`GRPO step ${step}: confidence has collapsed for 3 steps: ${col.reason}. A collapsed confidence is not calibration.`);
        if (streak >= 3) collapse.collapsed = true;
      } else streak = 0;
      const briers = scored.map((s) => s.brier).filter((b): b is number => b !== null);
      const stepMs = performance.now() - t0;
      const log: GrpoStepLog = {
        type: 'grpo-step', step, rewardMean: mean(rewards),
        rewardStd: Math.sqrt(mean(rewards.map((r) => (r - mean(rewards)) ** 2))),
        components: { format: mean(scored.map((s) => s.format)), correct: mean(scored.map((s) => s.correct)), brier: briers.length ? mean(briers) : null },
        accuracy: mean(scored.map((s) => s.correct)), formatRate: mean(scored.map((s) => s.format)),
        meanConfidence: cm ? cm.meanConfidence : null, distinctConfidences: cm ? cm.distinctConfidences : 0, shareExtreme: cm ? cm.shareExtreme : null,
        completionLength: mean(gen.tokens.map((t) => t.length)), truncatedRate: mean(gen.finishReasons.map((f) => (f === 'length' ? 1 : 0))),
        kl: klTokens ? klSum / klTokens : reference ? 0 : null, loss: lossValue, gradNorm, lr: (opts.lr ?? 1e-5) * lrFactor,
        clipFraction: active ? clipped / active : 0, zeroAdvantageGroups: zeroGroups, rewardErrors: scored.filter((s) => s.error).length,
        collapsed: col.collapsed, stepMs, samplesPerSec: (B * 1000) / stepMs,
        generateMs: tScore - tGen, scoreMs: tTrain - tScore, trainMs: tEnd - tTrain,
      };
      logs.push(log);
      run?.log(log as unknown as { type: string });
      opts.onStep?.(log);
      if (opts.checkpointDir && opts.checkpointEvery && step % opts.checkpointEvery === 0) save();
      await new Promise<void>((r) => setImmediate(r));
    }
    if (logs.length && logs[logs.length - 1].collapsed && !collapse.collapsed) {
      collapse.collapsed = true;
      warn(`GRPO ended with collapsed confidence: ${collapse.reason}`);
    }
    if (opts.checkpointDir && (!lastCheckpoint || !lastCheckpoint.endsWith(String(step).padStart(8, '0')))) save();
    if (run) {
      const last = logs.slice(-Math.min(10, logs.length));
      run.setSummary({
        steps: step, resumedFrom, rewardMean: last.length ? mean(last.map((l) => l.rewardMean)) : null,
        accuracy: last.length ? mean(last.map((l) => l.accuracy)) : null,
        meanConfidence: last.length ? mean(last.map((l) => l.meanConfidence ?? 0)) : null,
        kl: last.length ? last[last.length - 1].kl : null,
        collapsed: collapse.collapsed, collapseFirstStep: collapse.firstStep, collapseReason: collapse.reason,
        success: !collapse.collapsed,
      });
      run.finish('completed');
    }
  } catch (e) {
    run?.finish('failed', e as Error);
    throw e;
  } finally {
    if (reference && ownsReference) reference.dispose();
    optimizer.dispose();
  }
  return { step, resumedFrom, logs, collapse, runId: run?.id ?? null, lastCheckpoint, lora, stoppedBy };
}
