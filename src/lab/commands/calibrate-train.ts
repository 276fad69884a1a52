// `glassbox calibrate train | sft | replicate` and `glassbox demo`: GRPO with calibration rewards, the SFT
// warm-up, the RLCR replication recipe and its short demo. Thin wrappers over src/calibrate (grpo, sft, replicate).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError, type CommandContext, type CommandSpec } from '../command.js';
import { commonOptions } from '../options.js';
import { openLabStore } from '../home.js';
import { loadConfig } from '../config.js';
import { defaultHome } from '../../runs/index.js';
import { loadModel, saveModel } from '../../models/index.js';
import { arithmeticTasks } from '../../data/index.js';
import { loadCalibrationDataset } from '../../calibrate/eval.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../../calibrate/parse.js';
import { REWARD_KINDS, type RewardKind } from '../../calibrate/rewards.js';
import { trainGrpo, type GrpoItem, type PromptStyle } from '../../calibrate/grpo.js';
import { ADVANTAGE_SCALINGS, GRPO_LOSS_TYPES, type AdvantageScaling, type GrpoLossType } from '../../calibrate/grpo-loss.js';
import { trainSft, type SftExample } from '../../calibrate/sft.js';
import { arithmeticGrpoItems, arithmeticSftExamples, ARITHMETIC_ANALYSIS_KINDS, SFT_CONFIDENCE_PRIORS, type ArithmeticAnalysisKind, type SftConfidencePrior } from '../../calibrate/grpo-organism.js';
import { replicate, replicateDefaults, REPLICATE_DEFAULTS, DEMO_DEFAULTS } from '../../calibrate/replicate.js';
import type { ScheduleShape } from '../../nn/index.js';

type Opts = Record<string, unknown>;

/** flag ?? config-file value ?? default. */
async function withConfig(opts: Opts, section: 'train' | 'sft' | 'replicate'): Promise<Opts> {
  if (!opts.config) return opts;
  const cfg = await loadConfig(String(opts.config)) as Record<string, unknown>;
  const cal = (cfg.calibrate ?? {}) as Record<string, unknown>;
  const sec = (cal[section] ?? {}) as Record<string, unknown>;
  if (typeof sec !== 'object' || Array.isArray(sec)) throw new UserError(`${opts.config}: calibrate.${section} must be an object of option names to values`);
  const merged: Opts = { ...opts };
  for (const [k, v] of Object.entries(sec)) if (merged[k] === undefined) merged[k] = v;
  if (merged.seed === undefined && typeof cfg.seed === 'number') merged.seed = cfg.seed;
  return merged;
}

const num = (opts: Opts, k: string, dflt: number): number => {
  const v = opts[k] === undefined ? dflt : Number(opts[k]);
  if (!Number.isFinite(v)) throw new UserError(`--${k} must be a number, got ${JSON.stringify(opts[k])}`);
  return v;
};
const int = (opts: Opts, k: string, dflt: number, min = 1): number => {
  const v = num(opts, k, dflt);
  if (!Number.isInteger(v) || v < min) throw new UserError(`--${k} must be an integer ≥ ${min}, got ${v}`);
  return v;
};
function oneOf<T extends string>(opts: Opts, k: string, allowed: readonly T[], dflt: T): T {
  const v = String(opts[k] ?? dflt);
  if (!(allowed as readonly string[]).includes(v)) throw new UserError(`--${k} must be one of ${allowed.join(', ')}; got "${v}"`);
  return v as T;
}

/** --confidence-prior, parsed; 'routed' reads the check's verdict, so it needs the check analysis. */
function confidencePriorFor(opts: Opts, analysis: ArithmeticAnalysisKind, dflt: SftConfidencePrior): SftConfidencePrior {
  const prior = oneOf<SftConfidencePrior>(opts, 'confidence-prior', SFT_CONFIDENCE_PRIORS, dflt);
  if (prior === 'routed' && analysis !== 'check') throw new UserError('--confidence-prior routed routes q through the check\'s verdict: it needs --analysis check');
  return prior;
}

function logLine(ctx: CommandContext, json: boolean) { return (m: string) => { if (!json) ctx.err(m); }; }

/** Training problems: a JSONL calibration dataset, or the built-in graded-addition task. */
function grpoItems(opts: Opts): GrpoItem[] {
  const data = String(opts.data ?? 'arithmetic');
  if (data === 'arithmetic') return arithmeticGrpoItems(arithmeticTasks({ seed: int(opts, 'seed', 0, 0) }).filter((i) => i.split === 'train'));
  if (!fs.existsSync(data)) throw new UserError(`--data ${data}: no such file (or use --data arithmetic for the built-in graded addition)`);
  return loadCalibrationDataset(data).map((it) => ({ id: it.id, question: it.question, answer: it.gold, context: it.context, choices: it.choices }));
}

function saveTo(model: ReturnType<typeof loadModel>, out: string | undefined, ctx: CommandContext, json: boolean): void {
  if (!out) return;
  saveModel(model, out, { overwrite: true });
  if (!json) ctx.err(`saved the trained model to ${out}`);
}

export const calibrateTrain: CommandSpec = {
  name: 'calibrate train',
  summary: 'GRPO on a local model with calibration rewards (RLCR by default; RLVR, published weighting, log-score ablation)',
  args: '<model-dir>',
  examples: [
    'glassbox calibrate train ./organisms/tiny --data arithmetic --reward rlcr --steps 150 --out ./tiny-rlcr',
    'glassbox calibrate train ./tiny-sft --reward rlvr --group-size 8 --prompts-per-step 16 --lr 1e-4 --checkpoint-dir ./ckpt --resume',
    'glassbox calibrate train ./model --config glassbox.yaml   # options under calibrate.train',
  ],
  options: {
    data: { type: 'string', description: "JSONL {question, answer} per line, or 'arithmetic' (built-in graded addition; default)" },
    reward: { type: 'string', description: `reward: ${REWARD_KINDS.join(', ')} (default rlcr)` },
    format: { type: 'string', description: 'output format the strict parser enforces: tabc (default), tac, ta (rlvr only)' },
    'prompt-style': { type: 'string', description: "chat (system + user through the chat template) or compact ('PROBLEM: …'; what organisms are taught). Default compact" },
    steps: { type: 'number', description: 'optimizer steps (default 100)' },
    'group-size': { type: 'number', description: 'completions per prompt (default 8; the paper used 32)' },
    'prompts-per-step': { type: 'number', description: 'prompts per optimizer step (default 4)' },
    temperature: { type: 'number', description: 'sampling temperature (default 0.7)' },
    'max-new-tokens': { type: 'number', description: 'completion length cap (default 64)' },
    lr: { type: 'number', description: 'learning rate (default 1e-4)' },
    schedule: { type: 'string', description: 'constant, constant_with_warmup (default), linear, cosine' },
    'warmup-ratio': { type: 'number', description: 'share of steps for warm-up (default 0.05)' },
    'loss-type': { type: 'string', description: 'bnpo (default), grpo, dr_grpo' },
    beta: { type: 'number', description: 'KL weight to the start policy (default 0)' },
    epsilon: { type: 'number', description: 'clip range (default 0.2)' },
    'scale-rewards': { type: 'string', description: 'none (default, the paper), group, batch' },
    'mask-truncated': { type: 'boolean', description: 'drop completions that hit the length cap from the loss' },
    'lora-r': { type: 'number', description: 'LoRA rank (full fine-tuning when absent)' },
    'lora-alpha': { type: 'number', description: 'LoRA alpha (default 2·r)' },
    'lora-targets': { type: 'string', description: 'comma-separated module names (default q_proj,k_proj,v_proj,o_proj)' },
    'checkpoint-dir': { type: 'string', description: 'checkpoint folder (weights, optimizer, step)' },
    'checkpoint-every': { type: 'number', description: 'checkpoint every N steps (default 25)' },
    resume: { type: 'boolean', description: 'resume from the newest checkpoint in --checkpoint-dir' },
    out: { type: 'string', short: 'o', description: 'save the trained model folder here' },
    name: { type: 'string', description: 'run name' },
    seed: commonOptions.seed,
    config: commonOptions.config,
  },
  async run(raw, pos, ctx) {
    if (pos.length !== 1) throw new UserError('give the model folder: glassbox calibrate train <model-dir>');
    const opts = await withConfig(raw, 'train');
    const json = !!opts.json;
    const model = loadModel(pos[0]);
    const steps = int(opts, 'steps', 100, 0);
    const loraR = opts['lora-r'] === undefined ? null : int(opts, 'lora-r', 8);
    const store = openLabStore(ctx);
    try {
      const res = await trainGrpo({
        model, prompts: grpoItems(opts), reward: oneOf<RewardKind>(opts, 'reward', REWARD_KINDS, 'rlcr'),
        format: oneOf<OutputFormat>(opts, 'format', OUTPUT_FORMATS, 'tabc'), promptStyle: oneOf(opts, 'prompt-style', ['chat', 'compact'], 'compact') as PromptStyle,
        steps, groupSize: int(opts, 'group-size', 8, 2), promptsPerStep: int(opts, 'prompts-per-step', 4), temperature: num(opts, 'temperature', 0.7),
        maxNewTokens: int(opts, 'max-new-tokens', 64), lr: num(opts, 'lr', 1e-4),
        schedule: oneOf<ScheduleShape>(opts, 'schedule', ['constant', 'constant_with_warmup', 'linear', 'cosine'], 'constant_with_warmup'),
        warmupRatio: num(opts, 'warmup-ratio', 0.05), lossType: oneOf<GrpoLossType>(opts, 'loss-type', GRPO_LOSS_TYPES, 'bnpo'),
        beta: num(opts, 'beta', 0), epsilon: num(opts, 'epsilon', 0.2), scaleRewards: oneOf<AdvantageScaling>(opts, 'scale-rewards', ADVANTAGE_SCALINGS, 'none'),
        maskTruncated: !!opts['mask-truncated'],
        lora: loraR === null ? undefined : { r: loraR, alpha: num(opts, 'lora-alpha', 2 * loraR), targetModules: String(opts['lora-targets'] ?? 'q_proj,k_proj,v_proj,o_proj').split(',').map((s) => s.trim()) },
        seed: int(opts, 'seed', 0, 0), store, runName: opts.name as string | undefined,
        checkpointDir: opts['checkpoint-dir'] as string | undefined, checkpointEvery: opts['checkpoint-dir'] ? int(opts, 'checkpoint-every', 25) : undefined, resume: !!opts.resume,
        onWarn: (m) => ctx.err(`warning: ${m}`),
        onStep: (l) => { if (!json) ctx.err(`step ${l.step}/${steps}  reward ${l.rewardMean.toFixed(3)}  acc ${l.accuracy.toFixed(2)}  format ${l.formatRate.toFixed(2)}  q̄ ${l.meanConfidence?.toFixed(2) ?? '–'}  distinct q ${l.distinctConfidences}  near 0/1 ${l.shareExtreme?.toFixed(2) ?? '–'}  len ${l.completionLength.toFixed(0)}  KL ${l.kl?.toFixed(4) ?? '–'}  ${(l.stepMs / 1000).toFixed(1)} s`); },
      });
      if (res.lora && opts.out) { res.lora.save(String(opts.out)); if (!json) ctx.err(`saved the LoRA adapter (PEFT layout) to ${opts.out}`); }
      else saveTo(model, opts.out as string | undefined, ctx, json);
      const last = res.logs.at(-1);
      if (json) ctx.out(JSON.stringify({ runId: res.runId, steps: res.step, resumedFrom: res.resumedFrom, collapse: res.collapse, last }));
      else {
        ctx.out(`run ${res.runId}: ${res.step} steps${res.resumedFrom !== null ? ` (resumed from ${res.resumedFrom})` : ''}; last reward ${last?.rewardMean.toFixed(3) ?? '–'}, accuracy ${last?.accuracy.toFixed(2) ?? '–'}`);
        if (res.collapse.collapsed) ctx.out(`CONFIDENCE COLLAPSED (from step ${res.collapse.firstStep}): ${res.collapse.reason}. This is not calibration.`);
      }
      return 0;
    } finally {
      store.close();
      model.dispose();
    }
  },
};

export const calibrateSft: CommandSpec = {
  name: 'calibrate sft',
  summary: 'SFT warm-up: teach a base model the output format from formatted examples (loss on completions only)',
  args: '<model-dir>',
  examples: [
    'glassbox calibrate sft ./organisms/tiny --data arithmetic --steps 400 --out ./tiny-sft',
    'glassbox calibrate sft ./model --data formatted.jsonl --batch-size 16 --lr 1e-4 --out ./model-sft',
  ],
  options: {
    data: { type: 'string', description: "JSONL {prompt, completion} per line, or 'arithmetic' (tabc examples of graded addition; default)" },
    analysis: { type: 'string', description: "with --data arithmetic: sizes (default; the operand sizes) or check (the sum redone after the answer, with a verdict; GRPO on it then needs --max-new-tokens 96)" },
    'confidence-prior': { type: 'string', description: "with --data arithmetic: how q is drawn, uniform (default) or routed (even tenths after 'agrees', odd after 'differs'; needs --analysis check)" },
    steps: { type: 'number', description: 'optimizer steps (default: one epoch)' },
    'batch-size': { type: 'number', description: 'sequences per step (default 32)' },
    lr: { type: 'number', description: 'learning rate (default 3e-3)' },
    'checkpoint-dir': { type: 'string', description: 'checkpoint folder' },
    resume: { type: 'boolean', description: 'resume from the newest checkpoint' },
    out: { type: 'string', short: 'o', description: 'save the fine-tuned model folder here' },
    name: { type: 'string', description: 'run name' },
    seed: commonOptions.seed,
    config: commonOptions.config,
  },
  async run(raw, pos, ctx) {
    if (pos.length !== 1) throw new UserError('give the model folder: glassbox calibrate sft <model-dir>');
    const opts = await withConfig(raw, 'sft');
    const json = !!opts.json;
    const seed = int(opts, 'seed', 0, 0);
    const data = String(opts.data ?? 'arithmetic');
    let examples: SftExample[];
    if (data === 'arithmetic') {
      const analysis = oneOf<ArithmeticAnalysisKind>(opts, 'analysis', ARITHMETIC_ANALYSIS_KINDS, 'sizes');
      const confidencePrior = confidencePriorFor(opts, analysis, 'uniform');
      examples = arithmeticSftExamples(arithmeticTasks({ seed }).filter((i) => i.split === 'train'), 'tabc', seed, { analysis, confidencePrior });
    } else if (opts.analysis !== undefined || opts['confidence-prior'] !== undefined) throw new UserError('--analysis and --confidence-prior apply to --data arithmetic only');
    else {
      if (!fs.existsSync(data)) throw new UserError(`--data ${data}: no such file`);
      examples = fs.readFileSync(data, 'utf8').split('\n').filter((l) => l.trim()).map((line, i) => {
        let o: Record<string, unknown>;
        try { o = JSON.parse(line) as Record<string, unknown>; } catch (e) { throw new UserError(`${data} line ${i + 1}: not JSON (${(e as Error).message})`); }
        if (typeof o.prompt !== 'string' || typeof o.completion !== 'string') throw new UserError(`${data} line ${i + 1}: needs string fields "prompt" and "completion"`);
        return { prompt: o.prompt, completion: o.completion };
      });
    }
    const model = loadModel(pos[0]);
    const store = openLabStore(ctx);
    try {
      const steps = opts.steps === undefined ? undefined : int(opts, 'steps', 1);
      const res = await trainSft({
        model, examples, steps, batchSize: int(opts, 'batch-size', 32), lr: num(opts, 'lr', 3e-3), seed, store, runName: opts.name as string | undefined,
        checkpointDir: opts['checkpoint-dir'] as string | undefined, checkpointEvery: opts['checkpoint-dir'] ? 50 : undefined, resume: !!opts.resume,
        onStep: (i) => { if (!json && (i.step % 10 === 0)) ctx.err(`step ${i.step}  loss ${i.loss.toFixed(4)}  lr ${i.lr.toExponential(2)}  ${i.tokensPerSec.toFixed(0)} tok/s`); },
      });
      saveTo(model, opts.out as string | undefined, ctx, json);
      if (json) ctx.out(JSON.stringify({ runId: res.runId, steps: res.step, finalLoss: res.losses.at(-1) ?? null }));
      else ctx.out(`run ${res.runId}: ${res.step} steps, final loss ${res.losses.at(-1)?.toFixed(4) ?? '–'}`);
      return 0;
    } finally {
      store.close();
      model.dispose();
    }
  },
};

const replicateOptions = {
  base: { type: 'string', description: 'base model folder (default: a task-only micro organism built under --out)' },
  organism: { type: 'string', description: "use the organism factory's base: tiny (~14 min to build once, then cached) or small" },
  out: { type: 'string', short: 'o', description: 'output folder (default <GLASSBOX_HOME>/replicate)' },
  steps: { type: 'number', description: 'GRPO steps per arm' },
  'sft-steps': { type: 'number', description: 'SFT warm-up steps' },
  seeds: { type: 'string', description: 'comma-separated seeds' },
  'group-size': { type: 'number', description: 'completions per prompt (default 8)' },
  'prompts-per-step': { type: 'number', description: 'prompts per step (default 8)' },
  lr: { type: 'number', description: 'GRPO learning rate (default 1e-4)' },
  beta: { type: 'number', description: 'KL weight to the SFT policy, both RL arms (default 0.05; the paper used 0, which collapses the organism\'s q: see the docs)' },
  temperature: { type: 'number', description: 'sampling temperature for GRPO groups and voting (default 0.7, the paper)' },
  'scale-rewards': { type: 'string', description: "advantage scaling: none (default, the paper's), group or batch std (group collapsed RLCR's q to 0 in our runs)" },
  'sft-examples': { type: 'number', description: 'distinct problems in the SFT warm-up; GRPO prompts are drawn disjoint from them (default 2000)' },
  analysis: { type: 'string', description: "what <analysis> holds: check (default; the sum redone after the answer, compared digit by digit, and a verdict: a cue per sample) or sizes (the operand sizes, a cue per problem; see docs/replicate.md). Each brings its own --steps, --sft-steps and --confidence-prior defaults" },
  'confidence-prior': { type: 'string', description: "how the SFT draws q: routed (check's default: even tenths after 'agrees', odd after 'differs'; needs the check analysis) or uniform (sizes' default)" },
  'eval-in-domain': { type: 'number', description: 'held-out in-domain items' },
  'eval-ood': { type: 'number', description: 'items per OOD split' },
  'voting-problems': { type: 'number', description: 'problems for the voting curves (16 samples each)' },
  config: commonOptions.config,
} as const;

async function runReplicate(raw: Opts, ctx: CommandContext, base: typeof REPLICATE_DEFAULTS, outName: string): Promise<number> {
  const opts = await withConfig(raw, 'replicate');
  const analysis = oneOf<ArithmeticAnalysisKind>(opts, 'analysis', ARITHMETIC_ANALYSIS_KINDS, base.analysis);
  const defaults = replicateDefaults(analysis, base);
  const confidencePrior = confidencePriorFor(opts, analysis, defaults.confidencePrior);
  const d = { ...defaults, seeds: defaults.seeds.join(','), evalInDomain: defaults.sizes.evalInDomain, evalOod: defaults.sizes.evalOod, voting: defaults.sizes.votingProblems, outName };
  const json = !!opts.json;
  const out = String(opts.out ?? path.join(defaultHome(ctx.env), d.outName));
  const seeds = String(opts.seeds ?? d.seeds).split(',').map((s) => Number(s.trim()));
  if (seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new UserError(`--seeds must be comma-separated non-negative integers, got "${opts.seeds}"`);
  if (opts.base && !fs.existsSync(path.join(String(opts.base), 'config.json'))) throw new UserError(`--base ${opts.base}: not a model folder (no config.json)`);
  const store = openLabStore(ctx);
  const t0 = Date.now();
  const say = logLine(ctx, json);
  try {
    const res = await replicate({
      baseDir: opts.base as string | undefined, organism: opts.organism === undefined ? undefined : oneOf(opts, 'organism', ['tiny', 'small'] as const, 'tiny'), outDir: out, steps: int(opts, 'steps', d.steps), sftSteps: int(opts, 'sft-steps', d.sftSteps), seeds,
      groupSize: int(opts, 'group-size', d.groupSize, 2), promptsPerStep: int(opts, 'prompts-per-step', d.promptsPerStep), lr: num(opts, 'lr', d.lr), beta: num(opts, 'beta', d.beta),
      temperature: num(opts, 'temperature', d.temperature), scaleRewards: oneOf<AdvantageScaling>(opts, 'scale-rewards', ADVANTAGE_SCALINGS, d.scaleRewards), sftExamples: int(opts, 'sft-examples', d.sftExamples),
      analysis, confidencePrior,
      sizes: { evalInDomain: int(opts, 'eval-in-domain', d.evalInDomain), evalOod: int(opts, 'eval-ood', d.evalOod), votingProblems: int(opts, 'voting-problems', d.voting) },
      store, onProgress: (m) => say(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${m}`),
    });
    const s = res.summary;
    if (json) ctx.out(JSON.stringify({ runId: res.runId, report: res.reportPath, summary: res.summaryPath, verdict: s.verdict, bars: s.bars }));
    else {
      ctx.out('');
      ctx.out(`verdict: ${s.verdict}`);
      for (const b of [...s.bars, ...s.goal]) ctx.out(`  ${b.pass ? 'PASS' : 'FAIL'}  ${b.description}: ${b.detail}`);
      ctx.out('');
      ctx.out(`report:  ${res.reportPath}`);
      ctx.out(`summary: ${res.summaryPath}`);
      ctx.out(`open it: glassbox view   (run ${res.runId}; the report is its 'report' artifact), or open ${res.reportPath} in a browser`);
    }
    return 0;
  } finally {
    store.close();
  }
}

export const calibrateReplicate: CommandSpec = {
  name: 'calibrate replicate',
  summary: 'RLCR replication: base → SFT → {RLVR, RLCR}, evaluated in-domain and OOD with voting curves; one comparison report',
  examples: ['glassbox calibrate replicate', 'glassbox calibrate replicate --base ./organisms/tiny --seeds 0,1,2 --steps 171 --out ./replication'],
  options: replicateOptions,
  run: (opts, _pos, ctx) => runReplicate(opts, ctx, REPLICATE_DEFAULTS, 'replicate'),
};

export const demoCommand: CommandSpec = {
  name: 'demo',
  summary: 'The short RLCR replication (the replicate recipe on one seed with 200 GRPO steps per arm, ~11 min on 2 cores): builds (or reuses) a small task organism, trains RLVR and RLCR, writes the comparison report',
  examples: ['glassbox demo', 'glassbox demo --out ./demo --steps 100'],
  options: replicateOptions,
  run: (opts, _pos, ctx) => runReplicate(opts, ctx, DEMO_DEFAULTS, 'demo'),
};

export const calibrateTrainCommands: CommandSpec[] = [calibrateTrain, calibrateSft, calibrateReplicate, demoCommand];
