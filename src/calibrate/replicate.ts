// The RLCR replication recipe at organism scale: base → SFT → {RLVR, RLCR} per seed, evaluation of the three
// models in-domain and out-of-domain (local engine, greedy, lenient parser), confidence-weighted vs majority
// voting at N = 1…16, and one comparison report (HTML + JSON) with the paper's table beside the numbers and
// issue 7's bars marked pass/fail. Numbers are reported as they come out, collapse included.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel, generate, type Model } from '../models/index.js';
import type { RunStore } from '../runs/index.js';
import type { ArithmeticItem, ArithmeticSplit } from '../data/index.js';
import { arithmeticTasks } from '../data/index.js';
import { parseLenient } from './parse.js';
import { exactMatch } from './check.js';
import { computeMetrics, type CalibrationMetrics, type ScoredRecord } from './metrics.js';
import { accuracyVsN, withinProblemDiscrimination, type CheckedSample, type ScalingPoint, type WithinProblemDiscrimination } from './scaling.js';
import { renderCalibrationReport, escapeHtml, type ReportSection } from './report.js';
import { trainSft } from './sft.js';
import { trainGrpo, encodePrompt, type GrpoItem, type GrpoStepLog, type CollapseState } from './grpo.js';
import type { AdvantageScaling, GrpoLossType } from './grpo-loss.js';
import { arithmeticGrpoItems, arithmeticSftExamples, buildMicroOrganism, splitSftRl, ARITHMETIC_MAX_NEW_TOKENS, type ArithmeticAnalysisKind, type SftConfidencePrior } from './grpo-organism.js';
import { buildBaseOrganism } from '../organisms/base.js';

export type Arm = 'base' | 'rlvr' | 'rlcr';
export const OOD_SPLITS: readonly ArithmeticSplit[] = ['ood-subtraction', 'ood-3digit', 'ood-multiplication'];
export const VOTE_NS = [1, 2, 4, 8, 16] as const;

/**
 * The settings that go with each analysis cue, used where the caller sets nothing. 'check' (the default; the SFT
 * settings chosen on seed 0, the 450 GRPO steps for the time budget, then measured on seeds 0–2): its longer
 * completions need a 3,000-step SFT before the verdict is honest, and q is drawn 'routed' through the verdict
 * (SftConfidencePrior), without which RLCR's q never read it. 'sizes' (chosen on seeds 0 and 1): a
 * 1,500-step SFT with q drawn uniformly.
 */
export const ANALYSIS_RECIPES: Record<ArithmeticAnalysisKind, { steps: number; sftSteps: number; confidencePrior: SftConfidencePrior }> = {
  check: { steps: 450, sftSteps: 3000, confidencePrior: 'routed' },
  sizes: { steps: 600, sftSteps: 1500, confidencePrior: 'uniform' },
};

/**
 * The recipe's defaults (`glassbox calibrate replicate`), chosen on the micro task organism.
 * One departure from the paper (β = 0): a KL penalty β = 0.05 to the SFT policy. Without it the organism's
 * confidence distribution collapses onto a few values (on the 'sizes' organism: q 0.6 on one-digit sums it gets 98%
 * right, 0.3 on two-digit sums it gets 10% right; on the first version of the 'check' organism: 0.67 on every kind of
 * sample) long before
 * it reaches the calibrated values, and then no group has a spread of q left to learn from; bigger groups (16×16,
 * 8×32) and temperature 1.0 stopped at the same values. Both RL arms use the same β. `steps`, `sftSteps` and
 * `confidencePrior` are those of the default analysis cue; another cue brings its own (ANALYSIS_RECIPES,
 * replicateDefaults).
 */
export const REPLICATE_DEFAULTS = {
  seeds: [0, 1, 2], ...ANALYSIS_RECIPES.check, sftExamples: 2000, rlPrompts: 2000, groupSize: 8, promptsPerStep: 8,
  temperature: 0.7, lr: 1e-4, sftLr: 3e-3, beta: 0.05, scaleRewards: 'none' as AdvantageScaling, analysis: 'check' as ArithmeticAnalysisKind,
  sizes: { evalInDomain: 300, evalOod: 150, votingProblems: 300 },
};
/** `glassbox demo`: the same recipe on one seed with 200 GRPO steps per arm (10:43 measured on 2 quiet cores). */
export const DEMO_DEFAULTS = { ...REPLICATE_DEFAULTS, seeds: [0], steps: 200 };

/** A recipe's defaults with another analysis cue: its steps, SFT steps and q prior replace those of `base`. */
export function replicateDefaults(analysis: ArithmeticAnalysisKind, base: typeof REPLICATE_DEFAULTS = REPLICATE_DEFAULTS): typeof REPLICATE_DEFAULTS {
  return { ...base, analysis, ...(analysis === base.analysis ? {} : ANALYSIS_RECIPES[analysis]) };
}

export interface ReplicateSizes {
  /** In-domain test items evaluated (default 300). */
  evalInDomain?: number;
  /** Items per OOD split (default 150). */
  evalOod?: number;
  /** Problems for the voting curves (default 300, the whole in-domain test set), each sampled 16 times. */
  votingProblems?: number;
}

export interface ReplicateOptions {
  /** A base organism folder (with tokenizer.json). Default: a micro organism built (or reused) in outDir/base. */
  baseDir?: string;
  /** Build (or reuse from the organism cache) a language-model organism with the factory as the base: 'tiny'
   * (~5.8M parameters, ~14 min to build on 2 cores) or 'small'. Ignored when baseDir is given. */
  organism?: 'tiny' | 'small';
  outDir: string;
  /** GRPO steps per arm (default: the analysis cue's, ANALYSIS_RECIPES). */
  steps?: number;
  /** SFT warm-up steps (default: the analysis cue's). */
  sftSteps?: number;
  /** Distinct problems the SFT warm-up sees (default 2000). GRPO prompts are drawn disjoint from them. */
  sftExamples?: number;
  /** Training items generated for GRPO prompts (default 2000; fewer remain after removing SFT problems). */
  rlPrompts?: number;
  seeds?: number[];
  sizes?: ReplicateSizes;
  groupSize?: number;
  promptsPerStep?: number;
  temperature?: number;
  maxNewTokens?: number;
  lr?: number;
  sftLr?: number;
  /** KL weight to the start (SFT) policy, the same for both RL arms (default 0.05; the paper used 0). */
  beta?: number;
  /** Advantage scaling (default 'none', the paper's: advantage = r − group mean). */
  scaleRewards?: AdvantageScaling;
  /** What the organism's `<analysis>` holds (default 'check': the sum redone after the answer, compared digit by digit,
   * and a verdict, a cue per sample; 'sizes': the operand sizes, a cue per problem). See ArithmeticAnalysisKind. */
  analysis?: ArithmeticAnalysisKind;
  /** How the SFT draws q (default: the analysis cue's recipe, ANALYSIS_RECIPES). */
  confidencePrior?: SftConfidencePrior;
  /** GRPO loss type (default 'bnpo', the paper's). */
  lossType?: GrpoLossType;
  store?: RunStore;
  onProgress?: (message: string) => void;
  /** Called after every GRPO step of every arm. */
  onGrpoStep?: (arm: Arm, seed: number, log: GrpoStepLog) => void;
}

export interface EvalRecord extends ScoredRecord { id: string; split: string; answer: string; gold: string; formatOk: boolean; difficulty: number }

export interface ArmSplitResult { metrics: CalibrationMetrics; formatRate: number }

/** Accuracy and stated confidence per difficulty level (the cue a calibrated model should track). */
export interface DifficultyRow { difficulty: number; n: number; accuracy: number; meanConfidence: number }

export interface ArmResult {
  arm: Arm;
  inDomain: ArmSplitResult;
  /** In-domain results per difficulty level, pooled over seeds. */
  byDifficulty: DifficultyRow[];
  ood: Record<string, ArmSplitResult>;
  /** Unweighted means over the OOD splits. */
  oodMean: { accuracy: number; ece: number; brier: number; auroc: number | null };
  voting: ScalingPoint[];
  /** How well q separates right from wrong samples of one problem in the voting pools (½: it cannot help voting). */
  votingDiscrimination?: WithinProblemDiscrimination;
  collapse: CollapseState | null;
}

export interface Bar { id: string; description: string; pass: boolean | null; detail: string }

export interface ReplicationSummary {
  format: 'glassbox-rlcr-replication/1';
  config: Record<string, unknown>;
  seeds: number[];
  /** Pooled over seeds. */
  arms: Record<Arm, ArmResult>;
  perSeed: { seed: number; arms: Record<Arm, { inDomainAccuracy: number; inDomainEce: number; oodEce: number; auroc: number | null }> }[];
  bars: Bar[];
  goal: Bar[];
  verdict: string;
  paper: typeof PAPER_TABLE;
  elapsedS: number;
}

export interface ReplicateResult { summary: ReplicationSummary; reportPath: string; summaryPath: string; runId: string | null }

/** The paper's headline rows (Qwen2.5-7B; accuracy %, AUROC, Brier, ECE), from rlcr.md. */
export const PAPER_TABLE = [
  { trainedOn: 'Math', method: 'RLVR', inDomain: [72.9, 0.47, 0.28, 0.26], ood: [52.5, 0.52, 0.49, 0.49] },
  { trainedOn: 'Math', method: 'RLCR', inDomain: [72.7, 0.67, 0.17, 0.10], ood: [50.9, 0.60, 0.28, 0.25] },
  { trainedOn: 'Math', method: 'SFT+RLCR', inDomain: [72.2, 0.78, 0.14, 0.08], ood: [43.8, 0.66, 0.24, 0.18] },
  { trainedOn: 'HotpotQA', method: 'Base', inDomain: [39.7, 0.54, 0.53, 0.53], ood: [53.3, 0.54, 0.41, 0.40] },
  { trainedOn: 'HotpotQA', method: 'RLVR', inDomain: [63.0, 0.50, 0.37, 0.37], ood: [53.9, 0.50, 0.46, 0.46] },
  { trainedOn: 'HotpotQA', method: 'RLCR', inDomain: [62.1, 0.69, 0.21, 0.03], ood: [56.2, 0.68, 0.21, 0.21] },
] as const;

export interface LocalEvalOptions { maxNewTokens?: number; batchSize?: number; temperature?: number; seed?: number; samples?: number }

/** Generates for each item (greedy unless temperature > 0), parses leniently, checks by exact match. */
export function evaluateLocal(model: Model, items: readonly (GrpoItem & { split?: string })[], opts: LocalEvalOptions = {}): EvalRecord[][] {
  const bs = opts.batchSize ?? 64, k = opts.samples ?? 1;
  const eos = model.generationConfig?.eosTokenIds.length ? model.generationConfig.eosTokenIds : model.config.eosTokenIds;
  const rows: { item: GrpoItem & { split?: string }; ids: number[] }[] = [];
  for (const it of items) { const ids = encodePrompt(model, it, 'compact', 'tabc'); for (let s = 0; s < k; s++) rows.push({ item: it, ids }); }
  const out: EvalRecord[] = [];
  for (let i = 0; i < rows.length; i += bs) {
    const chunk = rows.slice(i, i + bs);
    const g = generate(model, chunk.map((r) => r.ids), { maxNewTokens: opts.maxNewTokens ?? 48, temperature: opts.temperature ?? 0, seed: (opts.seed ?? 0) + i, eosTokenIds: eos });
    chunk.forEach((r, j) => {
      const p = parseLenient(g.texts?.[j] ?? '');
      const gold = Array.isArray(r.item.answer) ? r.item.answer[0] : r.item.answer;
      out.push({ id: r.item.id ?? r.item.question, split: r.item.split ?? '', answer: p.answer, gold, confidence: p.confidence, correct: p.answer !== '' && exactMatch(p.answer, r.item.answer), formatOk: p.formatOk, difficulty: r.item.difficulty ?? 0 });
    });
  }
  const grouped: EvalRecord[][] = [];
  for (let i = 0; i < out.length; i += k) grouped.push(out.slice(i, i + k));
  return grouped;
}

const toItems = (xs: readonly ArithmeticItem[]) => arithmeticGrpoItems(xs).map((it, i) => ({ ...it, split: xs[i].split }));
const meanOf = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** Accuracy and mean q per difficulty level. */
export function byDifficulty(records: readonly EvalRecord[]): DifficultyRow[] {
  const levels = [...new Set(records.map((r) => r.difficulty))].sort((a, b) => a - b);
  return levels.map((d) => {
    const rs = records.filter((r) => r.difficulty === d);
    return { difficulty: d, n: rs.length, accuracy: meanOf(rs.map((r) => (r.correct ? 1 : 0))), meanConfidence: meanOf(rs.map((r) => r.confidence)) };
  });
}

function splitResult(records: EvalRecord[], seed: number): ArmSplitResult {
  return { metrics: computeMetrics(records, { bootstrap: 500, seed }), formatRate: meanOf(records.map((r) => (r.formatOk ? 1 : 0))) };
}

/** Runs the recipe. Writes outDir/report.html and outDir/summary.json. */
export async function replicate(opts: ReplicateOptions): Promise<ReplicateResult> {
  const t0 = Date.now();
  const log = opts.onProgress ?? (() => {});
  const D = REPLICATE_DEFAULTS;
  const seeds = opts.seeds ?? D.seeds;
  const analysis = opts.analysis ?? D.analysis, maxNew = opts.maxNewTokens ?? ARITHMETIC_MAX_NEW_TOKENS[analysis];
  const recipe = ANALYSIS_RECIPES[analysis];
  if (!recipe) throw new Error(`replicate: analysis must be one of ${Object.keys(ANALYSIS_RECIPES).join(', ')}, got "${analysis}"`);
  const steps = opts.steps ?? recipe.steps, sftSteps = opts.sftSteps ?? recipe.sftSteps, confidencePrior = opts.confidencePrior ?? recipe.confidencePrior;
  const sizes = { ...D.sizes, ...opts.sizes };
  const G = opts.groupSize ?? D.groupSize, P = opts.promptsPerStep ?? D.promptsPerStep, temperature = opts.temperature ?? D.temperature;
  const config = {
    baseDir: opts.baseDir ?? null, organism: opts.organism ?? (opts.baseDir ? null : 'micro-task'), steps, sftSteps, seeds, sizes, groupSize: G, promptsPerStep: P, temperature, maxNewTokens: maxNew, analysis, confidencePrior,
    lr: opts.lr ?? D.lr, sftLr: opts.sftLr ?? D.sftLr, beta: opts.beta ?? D.beta, scaleRewards: opts.scaleRewards ?? D.scaleRewards, lossType: opts.lossType ?? 'bnpo', sftExamples: opts.sftExamples ?? D.sftExamples, rlPrompts: opts.rlPrompts ?? D.rlPrompts,
  };
  fs.mkdirSync(opts.outDir, { recursive: true });
  const run = opts.store ? opts.store.createRun({ kind: 'calibrate-replicate', name: `replicate ${seeds.length} seed(s)`, config, seed: seeds[0] }) : null;
  const pooled: Record<Arm, { inDomain: EvalRecord[]; ood: Record<string, EvalRecord[]>; voting: CheckedSample[][]; collapse: CollapseState | null }> = {
    base: { inDomain: [], ood: {}, voting: [], collapse: null }, rlvr: { inDomain: [], ood: {}, voting: [], collapse: null }, rlcr: { inDomain: [], ood: {}, voting: [], collapse: null },
  };
  const perSeed: ReplicationSummary['perSeed'] = [];
  try {
    for (const seed of seeds) {
      const seedDir = path.join(opts.outDir, `seed-${seed}`);
      let baseDir = opts.baseDir;
      if (!baseDir && opts.organism) {
        log(`base: the ${opts.organism} organism (from the cache, or built now)…`);
        const built = await buildBaseOrganism({ size: opts.organism, seed: 0, home: opts.store?.home, onProgress: (p) => { if (p.phase !== 'train' || (p.step ?? 0) % 200 === 0) log(`organism ${p.phase}: ${p.message}`); } });
        baseDir = built.dir;
      }
      if (!baseDir) {
        // each cue's organism has its own folder (its tokenizer is trained on its text), so neither is reused for the other
        baseDir = path.join(opts.outDir, analysis === 'sizes' ? 'base' : `base-${analysis}`);
        if (!fs.existsSync(path.join(baseDir, 'config.json'))) log('building the micro organism (tokenizer + tiny Llama)…');
        (await buildMicroOrganism({ dir: baseDir, seed: 0, analysis })).model.dispose();
      }
      const data = arithmeticTasks({ seed: 1000 + seed, sizes: { train: config.sftExamples + config.rlPrompts, test: sizes.evalInDomain, 'ood-subtraction': sizes.evalOod, 'ood-3digit': sizes.evalOod, 'ood-multiplication': sizes.evalOod } });
      const split = (s: ArithmeticSplit) => data.filter((d) => d.split === s);
      const trainSets = splitSftRl(split('train'), config.sftExamples);
      // SFT warm-up
      const model = loadModel(baseDir);
      log(`seed ${seed}: SFT warm-up, ${sftSteps} steps on ${trainSets.sft.length} problems; GRPO prompts: ${trainSets.rl.length} problems disjoint from them (one-digit sums excepted)`);
      await trainSft({
        model, examples: arithmeticSftExamples(trainSets.sft, 'tabc', seed, { analysis, confidencePrior }), steps: sftSteps, batchSize: 32, lr: config.sftLr, seed, store: opts.store, runName: `sft seed ${seed}`,
        onStep: (i) => { if (i.step % 50 === 0 || i.step === sftSteps) log(`seed ${seed}: SFT step ${i.step}/${sftSteps} loss ${i.loss.toFixed(3)}`); },
      });
      const sftParams = new Map([...model.params].map(([n, p]) => [n, Float32Array.from(p.toFlat() as Float32Array)]));
      const restoreSft = () => { for (const [n, p] of model.params) (p.data as Float32Array).set(sftParams.get(n)!, p.offset); };
      const seedRow = {} as Record<Arm, { inDomainAccuracy: number; inDomainEce: number; oodEce: number; auroc: number | null }>;
      for (const arm of ['base', 'rlvr', 'rlcr'] as Arm[]) {
        restoreSft();
        let collapse: CollapseState | null = null;
        if (arm !== 'base') {
          log(`seed ${seed}: GRPO ${arm.toUpperCase()}, ${steps} steps of ${P}×${G} samples`);
          const res = await trainGrpo({
            model, prompts: arithmeticGrpoItems(trainSets.rl), format: 'tabc', reward: arm, promptStyle: 'compact', groupSize: G, promptsPerStep: P,
            temperature, maxNewTokens: maxNew, lr: config.lr, beta: config.beta, scaleRewards: config.scaleRewards, lossType: config.lossType, schedule: 'constant_with_warmup', warmupRatio: 0.05, steps, seed,
            store: opts.store, runName: `${arm} seed ${seed}`, checkpointDir: path.join(seedDir, `${arm}-ckpt`), checkpointEvery: 25, logKl: true,
            onWarn: (m) => log(`seed ${seed} ${arm}: ${m}`),
            onStep: (l) => {
              opts.onGrpoStep?.(arm, seed, l);
              if (l.step % 10 === 0 || l.step === steps) log(`seed ${seed} ${arm}: step ${l.step}/${steps} reward ${l.rewardMean.toFixed(3)} acc ${l.accuracy.toFixed(2)} q̄ ${l.meanConfidence?.toFixed(2) ?? '–'} distinct q ${l.distinctConfidences} KL ${l.kl?.toFixed(4) ?? '–'} ${l.stepMs.toFixed(0)} ms`);
            },
          });
          collapse = res.collapse;
          if (collapse.collapsed) pooled[arm].collapse = collapse;
          else if (!pooled[arm].collapse) pooled[arm].collapse = collapse;
        }
        log(`seed ${seed}: evaluating ${arm} in-domain and OOD`);
        const inD = evaluateLocal(model, toItems(split('test')), { maxNewTokens: maxNew }).flat();
        pooled[arm].inDomain.push(...inD);
        const oodEces: number[] = [];
        for (const s of OOD_SPLITS) {
          const recs = evaluateLocal(model, toItems(split(s)), { maxNewTokens: maxNew }).flat();
          (pooled[arm].ood[s] ??= []).push(...recs);
          oodEces.push(computeMetrics(recs, { bootstrap: 0 }).ece);
        }
        const vItems = toItems(split('test').slice(0, sizes.votingProblems));
        const pools = evaluateLocal(model, vItems, { maxNewTokens: maxNew, temperature, samples: 16, seed: seed * 17 + 5 });
        const checked = pools.map((g) => g.map((r) => ({ answer: r.answer, confidence: r.confidence, correct: !!r.correct })));
        pooled[arm].voting.push(...checked);
        const wd = withinProblemDiscrimination(checked);
        const m = computeMetrics(inD, { bootstrap: 0 });
        seedRow[arm] = { inDomainAccuracy: m.accuracy, inDomainEce: m.ece, oodEce: meanOf(oodEces), auroc: m.auroc };
        log(`seed ${seed} ${arm}: in-domain acc ${m.accuracy.toFixed(3)} ECE ${m.ece.toFixed(3)} AUROC ${m.auroc?.toFixed(3) ?? '–'}; OOD ECE ${meanOf(oodEces).toFixed(3)}`);
        log(`seed ${seed} ${arm}: by difficulty ${byDifficulty(inD).map((d) => `L${d.difficulty} acc ${d.accuracy.toFixed(2)} q̄ ${d.meanConfidence.toFixed(2)}`).join(', ')}; distinct q ${m.collapse.distinctConfidences}; within-problem AUROC of q ${wd.auroc?.toFixed(3) ?? '–'} (${wd.mixedProblems} voting problems with right and wrong samples)`);
      }
      perSeed.push({ seed, arms: seedRow });
      model.dispose();
    }
    const arms = {} as Record<Arm, ArmResult>;
    for (const arm of ['base', 'rlvr', 'rlcr'] as Arm[]) {
      const p = pooled[arm];
      const ood: Record<string, ArmSplitResult> = {};
      for (const s of OOD_SPLITS) ood[s] = splitResult(p.ood[s], 7);
      const os = Object.values(ood).map((o) => o.metrics);
      const au = os.map((m) => m.auroc).filter((x): x is number => x !== null);
      arms[arm] = {
        arm, inDomain: splitResult(p.inDomain, 7), byDifficulty: byDifficulty(p.inDomain), ood,
        oodMean: { accuracy: meanOf(os.map((m) => m.accuracy)), ece: meanOf(os.map((m) => m.ece)), brier: meanOf(os.map((m) => m.brier)), auroc: au.length ? meanOf(au) : null },
        voting: accuracyVsN(p.voting, [...VOTE_NS], { trials: 20, seed: 3, methods: ['majority', 'weighted', 'max-confidence'] }),
        votingDiscrimination: withinProblemDiscrimination(p.voting),
        collapse: p.collapse,
      };
    }
    const { bars, goal, verdict } = judgeBars(arms);
    const summary: ReplicationSummary = { format: 'glassbox-rlcr-replication/1', config, seeds, arms, perSeed, bars, goal, verdict, paper: PAPER_TABLE, elapsedS: (Date.now() - t0) / 1000 };
    const summaryPath = path.join(opts.outDir, 'summary.json');
    const reportPath = path.join(opts.outDir, 'report.html');
    fs.writeFileSync(summaryPath, JSON.stringify(summary, null, 1) + '\n');
    fs.writeFileSync(reportPath, renderReplicationReport(summary));
    if (run) {
      run.addArtifact('report', path.resolve(reportPath));
      run.addArtifact('summary', path.resolve(summaryPath));
      run.setSummary({ verdict, bars: Object.fromEntries(bars.map((b) => [b.id, b.pass])), rlcrEce: arms.rlcr.inDomain.metrics.ece, rlvrEce: arms.rlvr.inDomain.metrics.ece, rlcrAccuracy: arms.rlcr.inDomain.metrics.accuracy, rlvrAccuracy: arms.rlvr.inDomain.metrics.accuracy, rlcrCollapsed: !!arms.rlcr.collapse?.collapsed });
      run.finish('completed');
    }
    return { summary, reportPath, summaryPath, runId: run?.id ?? null };
  } catch (e) {
    run?.finish('failed', e as Error);
    throw e;
  }
}

/** Issue 7's bars (and the stretch goal) judged on pooled held-out results. */
export function judgeBars(arms: Record<Arm, ArmResult>): { bars: Bar[]; goal: Bar[]; verdict: string } {
  const r = arms.rlcr.inDomain.metrics, v = arms.rlvr.inDomain.metrics;
  const f = (x: number | null) => (x === null ? '–' : x.toFixed(3));
  const trainCollapsed = !!arms.rlcr.collapse?.collapsed;
  // collapse also counts when the evaluated model states ≤ 2 distinct q or > 90% near 0/1 (greedy decoding can
  // collapse onto one value even when sampled training outputs still vary)
  const evalCollapsed = r.collapse.distinctConfidences <= 2 || r.collapse.shareExtreme > 0.9;
  const collapsed = trainCollapsed || evalCollapsed;
  const weightedOk = arms.rlcr.voting.filter((p) => p.n >= 4).map((p) => ({ n: p.n, d: p.accuracy.weighted - p.accuracy.majority }));
  const bars: Bar[] = [
    { id: 'ece-halved', description: "RLCR's in-domain ECE at least 50% below RLVR's", pass: r.ece <= 0.5 * v.ece, detail: `RLCR ${f(r.ece)} vs RLVR ${f(v.ece)} (bar ≤ ${f(0.5 * v.ece)})` },
    { id: 'accuracy-kept', description: "RLCR's accuracy within 3 points of RLVR's", pass: Math.abs(r.accuracy - v.accuracy) <= 0.03, detail: `RLCR ${f(r.accuracy)} vs RLVR ${f(v.accuracy)}` },
    { id: 'distinct-q', description: 'RLCR states more than 2 distinct confidence values', pass: r.collapse.distinctConfidences > 2, detail: `${r.collapse.distinctConfidences} distinct; ${(r.collapse.shareExtreme * 100).toFixed(0)}% within 0.01 of 0/1` },
    { id: 'ood-ece', description: "RLCR's OOD ECE below RLVR's and the base's", pass: arms.rlcr.oodMean.ece < arms.rlvr.oodMean.ece && arms.rlcr.oodMean.ece < arms.base.oodMean.ece, detail: `RLCR ${f(arms.rlcr.oodMean.ece)}, RLVR ${f(arms.rlvr.oodMean.ece)}, base ${f(arms.base.oodMean.ece)}` },
    { id: 'weighted-voting', description: 'confidence-weighted voting ≥ majority voting at N ≥ 4 (RLCR)', pass: weightedOk.every((w) => w.d >= 0), detail: weightedOk.map((w) => `N=${w.n}: ${w.d >= 0 ? '+' : ''}${(w.d * 100).toFixed(1)} pts`).join(', ')
        + (arms.rlcr.votingDiscrimination ? `; within-problem AUROC of q ${arms.rlcr.votingDiscrimination.auroc?.toFixed(3) ?? '–'} over ${arms.rlcr.votingDiscrimination.mixedProblems} problems with right and wrong samples (½ = q cannot tell them apart, so weighting can only tie)` : '') },
    { id: 'no-collapse', description: "RLCR's confidence did not collapse (training monitor and held-out evaluation)", pass: !collapsed,
      detail: [trainCollapsed ? `training: collapsed from step ${arms.rlcr.collapse?.firstStep}: ${arms.rlcr.collapse?.reason}` : 'training: no collapse flagged',
        evalCollapsed ? `evaluation: ${r.collapse.distinctConfidences} distinct q, ${(r.collapse.shareExtreme * 100).toFixed(0)}% near 0/1, mean q ${r.collapse.meanConfidence.toFixed(2)}` : 'evaluation: q spread'].join('; ') },
  ];
  const goal: Bar[] = [
    { id: 'auroc', description: "RLCR's AUROC ≥ 0.65 and above RLVR's", pass: r.auroc !== null && r.auroc >= 0.65 && (v.auroc === null || r.auroc > v.auroc), detail: `RLCR ${f(r.auroc)} vs RLVR ${f(v.auroc)}` },
  ];
  const passed = bars.filter((b) => b.pass).length;
  const verdict = collapsed
    ? `RLCR's confidence collapsed (${evalCollapsed ? `it states ${r.collapse.distinctConfidences} distinct value(s) on held-out data` : 'during training'}): this is NOT a calibration success, whatever ECE says (${passed}/${bars.length} bars pass).`
    : passed === bars.length ? `All ${bars.length} bars pass.` : `${passed}/${bars.length} bars pass; failing: ${bars.filter((b) => !b.pass).map((b) => b.id).join(', ')}.`;
  return { bars, goal, verdict };
}

/** The comparison report: the calibration report's sections and curves, plus bars, verdict and the paper's table. */
export function renderReplicationReport(s: ReplicationSummary): string {
  const sections: ReportSection[] = [];
  const label: Record<Arm, string> = { base: 'SFT base', rlvr: 'RLVR', rlcr: 'RLCR' };
  for (const arm of ['base', 'rlvr', 'rlcr'] as Arm[]) {
    const a = s.arms[arm];
    sections.push({ name: `${label[arm]} · in-domain (addition)`, metrics: a.inDomain.metrics, note: `strict-format rate ${(a.inDomain.formatRate * 100).toFixed(0)}%` });
    for (const [split, r] of Object.entries(a.ood)) sections.push({ name: `${label[arm]} · ${split}`, metrics: r.metrics });
  }
  const curves = [{
    title: 'Accuracy vs N samples (held-out addition)', xLabel: 'N', yLabel: 'accuracy', logX: true,
    series: (['base', 'rlvr', 'rlcr'] as Arm[]).flatMap((arm) => (['majority', 'weighted'] as const).map((m) => ({ name: `${label[arm]} ${m}`, points: s.arms[arm].voting.map((p) => [p.n, p.accuracy[m]] as const) }))),
  }];
  const html = renderCalibrationReport({
    title: 'RLCR replication on a glassbox organism: SFT base vs RLVR vs RLCR',
    meta: { seeds: s.seeds.join(', '), 'GRPO steps per arm': String(s.config.steps), 'SFT steps': String(s.config.sftSteps), group: `${s.config.promptsPerStep} prompts × ${s.config.groupSize}`, temperature: String(s.config.temperature), 'KL weight β': `${s.config.beta ?? 0} (paper: 0)`, 'analysis cue': String(s.config.analysis ?? 'sizes'), 'SFT q prior': String(s.config.confidencePrior ?? 'uniform'), evaluation: 'greedy, lenient parser, exact match; CIs: bootstrap over pooled seeds', elapsed: `${s.elapsedS.toFixed(0)} s` },
    sections, curves, generatedAt: new Date().toISOString(),
  });
  const f = (x: number | null, d = 3) => (x === null ? '–' : x.toFixed(d));
  const barRows = [...s.bars, ...s.goal.map((g) => ({ ...g, description: `(goal) ${g.description}` }))].map((b) =>
    `<tr><td>${escapeHtml(b.description)}</td><td style="color:${b.pass ? '#1a7f37' : '#cf222e'};font-weight:bold">${b.pass ? 'PASS' : 'FAIL'}</td><td>${escapeHtml(b.detail)}</td></tr>`).join('');
  const ours = (['base', 'rlvr', 'rlcr'] as Arm[]).map((arm) => {
    const m = s.arms[arm].inDomain.metrics, o = s.arms[arm].oodMean;
    return `<tr><td>organism (addition)</td><td>${label[arm]}</td><td>${f(m.accuracy * 100, 1)} / ${f(m.auroc, 2)} / ${f(m.brier, 2)} / ${f(m.ece, 2)}</td><td>${f(o.accuracy * 100, 1)} / ${f(o.auroc, 2)} / ${f(o.brier, 2)} / ${f(o.ece, 2)}</td></tr>`;
  }).join('');
  const levels = [...new Set((['base', 'rlvr', 'rlcr'] as Arm[]).flatMap((arm) => (s.arms[arm].byDifficulty ?? []).map((d) => d.difficulty)))].sort((a, b) => a - b);
  const diffRows = levels.map((lv) => `<tr><td>level ${lv}</td>${(['base', 'rlvr', 'rlcr'] as Arm[]).map((arm) => {
    const d = (s.arms[arm].byDifficulty ?? []).find((x) => x.difficulty === lv);
    return `<td>${d ? `${f(d.accuracy * 100, 1)}% / ${f(d.meanConfidence, 2)} (n ${d.n})` : '–'}</td>`;
  }).join('')}</tr>`).join('');
  const paper = s.paper.map((p) => `<tr><td>paper: ${p.trainedOn}</td><td>${p.method}</td><td>${p.inDomain.join(' / ')}</td><td>${p.ood.join(' / ')}</td></tr>`).join('');
  const extra = `<section class="replication"><h2>Verdict</h2><p><b>${escapeHtml(s.verdict)}</b></p>
<table><thead><tr><th>bar (issue 7)</th><th>result</th><th>numbers</th></tr></thead><tbody>${barRows}</tbody></table>
${diffRows ? `<h2>In-domain by difficulty level (accuracy / mean stated q)</h2>
<table><thead><tr><th>level</th><th>${label.base}</th><th>${label.rlvr}</th><th>${label.rlcr}</th></tr></thead><tbody>${diffRows}</tbody></table>` : ''}
<h2>Beside the paper (Acc % / AUROC / Brier / ECE)</h2>
<table><thead><tr><th>trained on</th><th>method</th><th>in-domain</th><th>out-of-domain (mean)</th></tr></thead><tbody>${ours}${paper}</tbody></table>
<p class="note">The paper's rows are Qwen2.5-7B on HotpotQA / math; ours are a tiny organism on graded addition, with "base" the SFT'd model the RL arms start from. Both arms train in the tabc format; RLVR's reward ignores the confidence.</p></section>`;
  return html.includes('</body>') ? html.replace('</body>', `${extra}</body>`) : html + extra;
}
