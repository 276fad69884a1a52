// The base organism: a Llama-style model pretrained from scratch on the offline corpus (prose with a few
// templated fact sentences, then a fact-heavy final phase so each fact is seen many times late), with its own
// byte-level BPE tokenizer, inside a wall-clock budget; then evaluated (held-out perplexity against a
// unigram baseline, fact recall on held-out paraphrases) and cached as a Hugging Face folder.
import { createHash } from 'node:crypto';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { reshape } from '../engine/index.js';
import { createModel, loadTokenizer, saveModel, type Model, type Tokenizer } from '../models/index.js';
import { AdamW, collateCausal, indexedBatches, maskedTokenLoss, train, type StepInfo } from '../nn/index.js';
import {
  buildCorpus, FACT_TEMPLATES, factPrompts, makeRng, PROSE_SOURCES, selectFacts, trainSentences, type Fact, type FactPrompt, type FactSelection, type ProseSource,
} from '../data/index.js';
import { openStore, type RunWriter } from '../runs/index.js';
import { gitSha, glassboxVersion } from '../runs/provenance.js';
import { countWords, trainBpe } from './bpe.js';
import { writeTokenizer } from './bpe-files.js';
import { ARCH_PRESETS, archParams, llamaConfig, trainFlopsPerToken, type ArchSpec } from './arch.js';
import { Mixture, packRows, tokenCounts, type MixtureStream, type PackedRows } from './stream.js';
import { Pacer, StepPlan, type PlanSegment } from './plan.js';
import { evalWindows, greedyRecall, predictedTokens, unigramPerplexity, windowPerplexity, type RecallReport } from './evaluate.js';
import {
  findOrganism, organismPath, ORGANISM_CODE_VERSION, publishOrganism, recipeHash, stagingDir, writeManifest, type OrganismManifest,
} from './home.js';

/** 'micro' is the test size (seconds); 'tiny' builds in ≤ 15 minutes on 2 cores; 'small' wants about an hour. */
export type OrganismSize = 'micro' | 'tiny' | 'small';

export interface BaseRecipe {
  kind: 'base';
  size: OrganismSize;
  seed: number;
  arch: ArchSpec;
  vocabSize: number;
  corpus: {
    sources: ProseSource[];
    maxProseChars: number;
    maxHeldOutChars: number;
    heldOutFraction: number;
    facts: FactSelection;
    /** Sentences per fact in the fact stream (templates cycled); the stream itself is cycled in training. */
    factRepeats: number;
  };
  train: {
    /** Rows (of seqLen tokens) per optimizer step, in all. */
    batchRows: number;
    /** Of those, rows from the fact stream (the rest are prose). */
    factRows: number;
    /** Share of the lr cosine, at its end, that is the fact-heavy final phase (0: none). */
    finalPhase: number;
    /** Fact rows per step in the final phase (the rest are prose). */
    finalFactRows: number;
    lr: number;
    minLrRatio: number;
    warmupSteps: number;
    weightDecay: number;
    betas: [number, number];
    clipNorm: number;
    initStd: number;
  };
  /**
   * How long to train: `timeBudgetSec` for the whole build (corpus to saved folder), the cosine's end set
   * from the measured speed; or exactly `steps` (deterministic); or replaying a recorded `plan`.
   */
  budget: { timeBudgetSec: number | null; steps: number | null; plan: PlanSegment[] | null };
  eval: {
    heldOutTokens: number;
    recallSplits: ('train' | 'heldOut')[];
    /** Train templates per relation that train-split recall is measured on (evenly spaced; every held-out template is always used). */
    trainTemplates: number;
  };
}

export const DEFAULT_RECIPES: Record<OrganismSize, Omit<BaseRecipe, 'seed'>> = {
  micro: {
    kind: 'base', size: 'micro', arch: ARCH_PRESETS.micro, vocabSize: 320,
    corpus: { sources: ['mobyDick'], maxProseChars: 60_000, maxHeldOutChars: 6_000, heldOutFraction: 0.1, facts: { elementSymbol: 12 }, factRepeats: 8 },
    train: { batchRows: 8, factRows: 1, finalPhase: 0.3, finalFactRows: 4, lr: 3e-3, minLrRatio: 0.1, warmupSteps: 5, weightDecay: 0.1, betas: [0.9, 0.95], clipNorm: 1, initStd: 0.02 },
    budget: { timeBudgetSec: 30, steps: null, plan: null },
    eval: { heldOutTokens: 1_500, recallSplits: ['train', 'heldOut'], trainTemplates: 10 },
  },
  tiny: {
    kind: 'base', size: 'tiny', arch: ARCH_PRESETS.tiny, vocabSize: 4096,
    corpus: { sources: [...PROSE_SOURCES], maxProseChars: 7_000_000, maxHeldOutChars: 200_000, heldOutFraction: 0.05, facts: { elementSymbol: 'all', capital: 50 }, factRepeats: 60 },
    train: { batchRows: 16, factRows: 4, finalPhase: 0.3, finalFactRows: 8, lr: 2e-3, minLrRatio: 0.25, warmupSteps: 30, weightDecay: 0.1, betas: [0.9, 0.95], clipNorm: 1, initStd: 0.02 },
    budget: { timeBudgetSec: 840, steps: null, plan: null },
    eval: { heldOutTokens: 32_000, recallSplits: ['train', 'heldOut'], trainTemplates: 10 },
  },
  small: {
    kind: 'base', size: 'small', arch: ARCH_PRESETS.small, vocabSize: 8192,
    corpus: { sources: [...PROSE_SOURCES], maxProseChars: 20_000_000, maxHeldOutChars: 400_000, heldOutFraction: 0.05, facts: { elementSymbol: 'all', capital: 'all', stateAbbreviation: 'all' }, factRepeats: 60 },
    train: { batchRows: 16, factRows: 1, finalPhase: 0.3, finalFactRows: 6, lr: 1.5e-3, minLrRatio: 0.1, warmupSteps: 50, weightDecay: 0.1, betas: [0.9, 0.95], clipNorm: 1, initStd: 0.02 },
    budget: { timeBudgetSec: 3600, steps: null, plan: null },
    eval: { heldOutTokens: 64_000, recallSplits: ['train', 'heldOut'], trainTemplates: 10 },
  },
};

/** Changes to a size's default recipe (nested objects are merged one level deep). */
export interface RecipeOverrides {
  arch?: Partial<ArchSpec>;
  vocabSize?: number;
  corpus?: Partial<BaseRecipe['corpus']>;
  train?: Partial<BaseRecipe['train']>;
  eval?: Partial<BaseRecipe['eval']>;
}

export interface BaseOrganismOptions {
  size?: OrganismSize;
  seed?: number;
  /** Whole-build budget in seconds (default by size: micro 30, tiny 840, small 3600). */
  timeBudgetSec?: number;
  /** Train exactly this many steps instead (bitwise reproducible for a seed on one machine). */
  steps?: number;
  /** Replay a plan recorded in an organism.json (reproduces that build's weights). */
  plan?: PlanSegment[];
  overrides?: RecipeOverrides;
  /** Rebuild even when the cache has this recipe. */
  force?: boolean;
  /** GLASSBOX_HOME (default: the environment's, else ~/.glassbox). */
  home?: string;
  /** Record the build as a 'train' run in the run store (default true). */
  record?: boolean;
  onProgress?: (p: OrganismProgress) => void;
}

export type OrganismPhase = 'cache' | 'corpus' | 'tokenizer' | 'encode' | 'train' | 'eval' | 'save' | 'done';

export interface OrganismProgress {
  phase: OrganismPhase;
  message: string;
  /** Seconds since the build began. */
  elapsedSec: number;
  step?: number;
  totalSteps?: number;
  loss?: number;
  lr?: number;
  tokensPerSec?: number;
  /** Seconds of training left at the current plan. */
  etaSec?: number;
}

export interface BaseOrganismMetrics {
  heldOutPerplexity: number;
  unigramPerplexity: number;
  heldOutTokens: number;
  /** relation -> held-out paraphrase recall (greedy, exact). */
  recallHeldOut: Record<string, number>;
  /** relation -> recall on the templates seen in training. */
  recallTrain: Record<string, number>;
  recall: RecallReport;
  finalLoss: number;
  tokensPerSec: number;
}

export interface BaseOrganismManifest extends OrganismManifest {
  kind: 'base';
  size: OrganismSize;
  recipe: BaseRecipe & Record<string, unknown>;
  metrics: BaseOrganismMetrics & Record<string, unknown>;
  tokenizer: { vocabSize: number; bosId: number; eosId: number; padId: number };
  model: { params: number; config: Record<string, unknown> };
  corpus: Record<string, unknown>;
  training: {
    steps: number;
    tokens: number;
    plan: PlanSegment[];
    stoppedBy: string;
    truncated: boolean;
    flopsPerToken: number;
    epochs: Record<string, number>;
    /** First step of the fact-heavy final phase (null when there was none). */
    finalPhaseFrom: number | null;
    /** Times each fact's sentence set was seen (fact-stream epochs × factRepeats). */
    factExposures: number;
  };
}

export interface BuiltOrganism {
  dir: string;
  manifest: BaseOrganismManifest;
  /** True when the cache already had it (nothing was trained). */
  cached: boolean;
}

/** The full recipe for a size, seed, budget and overrides (what the cache key is computed from). */
export function baseRecipe(opts: Pick<BaseOrganismOptions, 'size' | 'seed' | 'timeBudgetSec' | 'steps' | 'plan' | 'overrides'> = {}): BaseRecipe {
  const size = opts.size ?? 'tiny';
  const d = DEFAULT_RECIPES[size];
  if (!d) throw new Error(`unknown organism size '${String(size)}'; known: ${Object.keys(DEFAULT_RECIPES).join(', ')}`);
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`organism seed must be a non-negative integer, got ${seed}`);
  const o = opts.overrides ?? {};
  const r: BaseRecipe = {
    ...d, seed,
    arch: { ...d.arch, ...o.arch },
    vocabSize: o.vocabSize ?? d.vocabSize,
    corpus: { ...d.corpus, ...o.corpus },
    train: { ...d.train, ...o.train },
    eval: { ...d.eval, ...o.eval },
    budget: { timeBudgetSec: null, steps: null, plan: null },
  };
  if (opts.plan) r.budget.plan = opts.plan.map((s) => ({ fromStep: s.fromStep, totalSteps: s.totalSteps }));
  else if (opts.steps !== undefined) {
    if (!Number.isInteger(opts.steps) || opts.steps < 1) throw new Error(`organism steps must be a positive integer, got ${opts.steps}`);
    r.budget.steps = opts.steps;
  } else {
    const t = opts.timeBudgetSec ?? d.budget.timeBudgetSec!;
    if (!(t > 0)) throw new Error(`organism time budget must be > 0 seconds, got ${t}`);
    r.budget.timeBudgetSec = t;
  }
  for (const k of ['factRows', 'finalFactRows'] as const) {
    const v = r.train[k];
    if (!Number.isInteger(v) || v < 0 || v > r.train.batchRows) throw new Error(`organism recipe: ${k} ${v} must be an integer within 0..batchRows ${r.train.batchRows}`);
  }
  if (!(r.train.finalPhase >= 0 && r.train.finalPhase <= 1)) throw new Error(`organism recipe: finalPhase must be within [0, 1], got ${r.train.finalPhase}`);
  return r;
}

/** Builds (or finds in the cache) the base organism. */
export async function buildBaseOrganism(opts: BaseOrganismOptions = {}): Promise<BuiltOrganism> {
  const recipe = baseRecipe(opts);
  const name = `base-${recipe.size}`;
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  const report = (p: Omit<OrganismProgress, 'elapsedSec'>) => opts.onProgress?.({ ...p, elapsedSec: elapsed() });

  if (!opts.force) {
    const hit = findOrganism(name, recipe, opts.home);
    if (hit) {
      report({ phase: 'cache', message: `using cached organism ${hit.dir}` });
      return { dir: hit.dir, manifest: hit.manifest as BaseOrganismManifest, cached: true };
    }
  }
  const finalDir = organismPath(name, recipe, opts.home);
  const stage = stagingDir(finalDir);
  let run: RunWriter | null = null;
  let store: ReturnType<typeof openStore> | null = null;
  if (opts.record !== false) {
    store = openStore(opts.home);
    run = store.createRun({ kind: 'train', name: `organism-${name}`, config: recipe, seed: recipe.seed, versions: { organisms: ORGANISM_CODE_VERSION } });
  }
  let model: Model | null = null;
  try {
    const built = await buildInto(stage, finalDir, name, recipe, run, report, elapsed, (m) => { model = m; });
    publishOrganism(built.modelDir, finalDir);
    rmSync(stage, { recursive: true, force: true });
    if (run) {
      run.addArtifact('organism', finalDir);
      run.finish('completed');
    }
    report({ phase: 'done', message: `organism ready in ${finalDir}` });
    return { dir: finalDir, manifest: built.manifest, cached: false };
  } catch (e) {
    rmSync(stage, { recursive: true, force: true });
    if (run) run.finish('failed', e as Error);
    throw e;
  } finally {
    (model as Model | null)?.dispose();
    store?.close();
  }
}

type Reporter = (p: Omit<OrganismProgress, 'elapsedSec'>) => void;

async function buildInto(stage: string, finalDir: string, name: string, recipe: BaseRecipe, run: RunWriter | null, report: Reporter,
  elapsed: () => number, own: (m: Model) => void): Promise<{ modelDir: string; manifest: BaseOrganismManifest }> {
  const timings: Record<string, number> = {};
  let lap = elapsed();
  const mark = (phase: string) => { const now = elapsed(); timings[`${phase}Sec`] = +(now - lap).toFixed(2); lap = now; };

  // 1. corpus
  report({ phase: 'corpus', message: 'building corpus (prose + fact sentences)' });
  const c = recipe.corpus;
  // prose only from buildCorpus; the fact documents are made here so they form their own stream
  const corpus = buildCorpus({
    seed: recipe.seed, sources: c.sources, maxProseChars: c.maxProseChars, maxHeldOutChars: c.maxHeldOutChars,
    heldOutFraction: c.heldOutFraction, facts: {},
  });
  const proseTrain = corpus.train;
  if (proseTrain.length === 0) throw new Error(`organism ${name}: the corpus has no training documents (sources ${c.sources.join(', ')})`);
  if (corpus.heldOut.length === 0) throw new Error(`organism ${name}: the corpus has no held-out documents; raise heldOutFraction or maxHeldOutChars`);
  const facts = selectFacts(c.facts);
  const factTrain = factDocuments(facts, c.factRepeats, recipe.seed);
  const dataHash = createHash('sha256').update(corpus.stats.hash).update('\u0001facts\u0001');
  for (const t of factTrain) dataHash.update(t).update('\u0000');
  mark('corpus');
  report({ phase: 'corpus', message: `corpus: ${proseTrain.length} prose chunks (${(corpus.stats.trainProseChars / 1e6).toFixed(2)}M chars), ${facts.length} facts in ${factTrain.length} documents, held-out ${corpus.heldOut.length} chunks` });

  // 2. tokenizer
  report({ phase: 'tokenizer', message: `training a ${recipe.vocabSize}-token byte-level BPE` });
  const bpe = trainBpe(countWords([...proseTrain, ...factTrain]), { vocabSize: recipe.vocabSize });
  const tokDir = join(stage, 'tokenizer');
  await writeTokenizer(tokDir, bpe, { modelMaxLength: recipe.arch.maxPositions });
  const tok = loadTokenizer(tokDir);
  const eosId = tok.tokenToId('<|endoftext|>'), padId = tok.tokenToId('<|pad|>');
  if (eosId === undefined || padId === undefined) throw new Error(`organism ${name}: the trained tokenizer lacks <|endoftext|> or <|pad|>`);
  const vocabSize = bpe.tokens.length;
  mark('tokenizer');

  // 3. encode and pack
  report({ phase: 'encode', message: 'tokenizing and packing' });
  const T = recipe.arch.seqLen;
  const enc = (t: string) => tok.encode(t, { addSpecialTokens: false });
  const proseRows = packRows(proseTrain.map(enc), T, eosId, padId);
  const tr = recipe.train;
  const useFacts = tr.factRows > 0 || (tr.finalPhase > 0 && tr.finalFactRows > 0);
  const factRows = useFacts && factTrain.length > 0 ? packRows(factTrain.map(enc), T, eosId, padId) : null;
  const heldOutIds: number[] = [];
  for (const t of corpus.heldOut) { heldOutIds.push(eosId, ...enc(t)); if (heldOutIds.length > recipe.eval.heldOutTokens + T) break; }
  // without a fact stream every row is prose
  const factShare = (n: number) => (factRows ? n : 0);
  const finalFacts = tr.finalPhase > 0 ? tr.finalFactRows : tr.factRows;
  const streams: MixtureStream[] = [{ name: 'prose', rows: proseRows, perBatch: tr.batchRows - factShare(tr.factRows), finalPerBatch: tr.batchRows - factShare(finalFacts) }];
  if (factRows) streams.push({ name: 'facts', rows: factRows, perBatch: tr.factRows, finalPerBatch: finalFacts });
  const mixture = new Mixture(streams, recipe.seed);
  mark('encode');
  report({ phase: 'encode', message: `prose ${proseRows.tokens} tokens in ${proseRows.rows} rows, facts ${factRows?.tokens ?? 0} tokens in ${factRows?.rows ?? 0} rows` });

  // 4. model
  const config = llamaConfig(recipe.arch, vocabSize, { bos: eosId, eos: eosId, pad: padId });
  const model = createModel(config, { seed: recipe.seed, std: recipe.train.initStd });
  own(model);
  model.tokenizer = tok;
  scaleResidualOutputs(model, recipe.arch.nLayers);
  for (const p of model.params.values()) p.requireGrad();
  const optimizer = new AdamW(model.params, { lr: tr.lr, weightDecay: tr.weightDecay, betas: tr.betas, noDecay: 'auto' });

  // 5. train
  const b = recipe.budget;
  const plan = new StepPlan({ warmupSteps: tr.warmupSteps, minRatio: tr.minLrRatio },
    b.plan ?? (b.steps !== null ? [{ fromStep: 0, totalSteps: b.steps }] : []));
  const evalReserve = b.timeBudgetSec !== null ? Math.min(120, Math.max(2, 0.07 * b.timeBudgetSec)) : 0;
  const trainBudget = b.timeBudgetSec !== null ? b.timeBudgetSec - elapsed() - evalReserve : Infinity;
  if (trainBudget <= 0) throw new Error(`organism ${name}: the ${b.timeBudgetSec}s budget was spent before training began (${elapsed().toFixed(0)}s on corpus and tokenizer); raise --time-budget`);
  const pacer = b.timeBudgetSec !== null ? new Pacer(plan, { budgetSec: trainBudget, checkEvery: 10, probeSteps: 3 }) : null;
  const hardStopSec = trainBudget * 1.03 + 1;
  let truncated = false;
  let lastInfo: StepInfo | null = null;
  report({ phase: 'train', message: `training ${archParams(recipe.arch, vocabSize).toLocaleString('en-US')} parameters, ${b.timeBudgetSec !== null ? `${trainBudget.toFixed(0)}s budget` : `${plan.totalSteps} steps`}` });
  const result = await train({
    params: model.params, optimizer, schedule: (s) => plan.factor(s),
    steps: Number.isFinite(plan.totalSteps) ? plan.totalSteps : Number.MAX_SAFE_INTEGER,
    clipNorm: tr.clipNorm,
    // the final phase begins where the cosine has that share left (a function of the recorded plan, so replays agree)
    batches: indexedBatches((i) => mixture.batch(i, tr.finalPhase > 0 && plan.progress(i) >= 1 - tr.finalPhase)),
    lossFn: (batch) => {
      // right padding only at the ends of rows, after every real token: causal attention never reaches it,
      // and its targets are -100, so no attention mask is needed
      const cb = collateCausal(batch.rows, { padId });
      const [B, Tb] = cb.inputIds.shape as [number, number];
      const logits = model.forward(cb.inputIds);
      return { loss: maskedTokenLoss(reshape(logits, [B * Tb, vocabSize]), reshape(cb.targets, [B * Tb])), tokens: cb.tokens };
    },
    onStep: (info) => {
      lastInfo = info;
      const sec = info.elapsedMs / 1000;
      pacer?.observe(info.step, sec);
      if (pacer && sec > hardStopSec) truncated = true;
      run?.log({ type: 'step', step: info.step, loss: info.loss, lr: info.lr, tokensPerSec: info.tokensPerSec, gradNorm: info.gradNorm, tokens: info.totalTokens, elapsedSec: +sec.toFixed(2) });
      const total = plan.totalSteps;
      // timed runs end on the budget by construction; fixed plans at the average step time so far
      const eta = pacer ? Math.max(0, trainBudget - sec) : Number.isFinite(total) && info.step > 0 ? ((total - info.step) * sec) / info.step : undefined;
      report({ phase: 'train', message: 'step', step: info.step, totalSteps: Number.isFinite(total) ? total : undefined, loss: info.loss, lr: info.lr, tokensPerSec: info.tokensPerSec, etaSec: eta });
    },
    shouldStop: (info) => info.step >= plan.totalSteps || truncated,
  });
  optimizer.dispose();
  for (const p of model.params.values()) p.requireGrad(false);
  mark('train');
  const info = lastInfo as StepInfo | null;

  // 6. evaluate
  report({ phase: 'eval', message: 'held-out perplexity and fact recall' });
  const windows = evalWindows(heldOutIds, T, recipe.eval.heldOutTokens);
  const ppl = windowPerplexity(model, windows, { padId });
  const counts = tokenCounts([proseRows], vocabSize);
  const uni = unigramPerplexity(counts, predictedTokens(windows));
  const prompts: FactPrompt[] = factPrompts(facts).filter((p) => recipe.eval.recallSplits.includes(p.split) && (p.split === 'heldOut' || isSampledTrainTemplate(p, recipe.eval.trainTemplates)));
  const recall = greedyRecall(model, prompts, { startId: eosId });
  const recallOf = (split: string) => Object.fromEntries(Object.entries(recall.byRelation).map(([rel, cells]) => [rel, cells[split]?.accuracy ?? 0]));
  mark('eval');

  // 7. save
  report({ phase: 'save', message: 'writing the model folder' });
  const modelDir = join(stage, 'model');
  saveModel(model, modelDir);
  writeFileSync(join(modelDir, 'generation_config.json'), `${JSON.stringify({ bos_token_id: eosId, eos_token_id: eosId, pad_token_id: padId, do_sample: false, max_new_tokens: 64 }, null, 2)}\n`);
  mark('save');
  timings.totalSec = +elapsed().toFixed(2);

  const epochs = mixture.epochs(result.step);
  const metrics: BaseOrganismMetrics = {
    heldOutPerplexity: ppl.perplexity, unigramPerplexity: uni.perplexity, heldOutTokens: ppl.tokens,
    recallHeldOut: recallOf('heldOut'), recallTrain: recallOf('train'), recall,
    finalLoss: info?.loss ?? NaN, tokensPerSec: info?.tokensPerSec ?? 0,
  };
  const manifest: BaseOrganismManifest = {
    name, kind: 'base', size: recipe.size, hash: recipeHash(recipe), codeVersion: ORGANISM_CODE_VERSION,
    glassboxVersion: glassboxVersion(), gitSha: gitSha(), createdAt: new Date().toISOString(), seed: recipe.seed,
    recipe: recipe as BaseRecipe & Record<string, unknown>, dataHash: dataHash.digest('hex'),
    metrics: metrics as BaseOrganismMetrics & Record<string, unknown>, timings, runId: run?.id ?? null,
    tokenizer: { vocabSize, bosId: eosId, eosId, padId },
    model: { params: model.numParams(), config },
    corpus: {
      trainProseChars: corpus.stats.trainProseChars, heldOutChars: corpus.stats.heldOutChars, factCount: facts.length,
      factSentences: facts.length * c.factRepeats, factDocuments: factTrain.length, proseTokens: proseRows.tokens, factTokens: factRows?.tokens ?? 0,
      facts: countBy(facts.map((f) => f.relation)),
    },
    training: {
      steps: result.step, tokens: result.totalTokens, plan: plan.segments, finalPhaseFrom: mixture.finalFrom, stoppedBy: truncated ? 'time' : result.step >= plan.totalSteps ? 'plan' : result.stoppedBy, truncated,
      flopsPerToken: trainFlopsPerToken(recipe.arch, vocabSize), epochs,
      factExposures: +((epochs.facts ?? 0) * recipe.corpus.factRepeats).toFixed(1),
    },
  };
  writeManifest(modelDir, manifest);
  if (run) {
    run.log({ type: 'data', dataHash: manifest.dataHash, codeVersion: ORGANISM_CODE_VERSION, recipeHash: manifest.hash, plan: manifest.training.plan });
    run.log({ type: 'eval', heldOutPerplexity: ppl.perplexity, unigramPerplexity: uni.perplexity, recallHeldOut: metrics.recallHeldOut, recallTrain: metrics.recallTrain });
    run.setSummary({
      metrics: {
        heldout_ppl: round(ppl.perplexity), unigram_ppl: round(uni.perplexity), final_loss: round(metrics.finalLoss),
        ...Object.fromEntries(Object.entries(metrics.recallHeldOut).map(([k, v]) => [`recall_${k}`, round(v)])),
        tokens_per_sec: round(metrics.tokensPerSec), steps: result.step, train_tokens: result.totalTokens, wall_sec: timings.totalSec!,
      },
      organism: finalDir, dataHash: manifest.dataHash, recipeHash: manifest.hash, codeVersion: ORGANISM_CODE_VERSION, timings,
    });
  }
  if (!existsSync(join(modelDir, 'tokenizer.json'))) throw new Error(`organism ${name}: saveModel did not copy tokenizer.json into ${modelDir}`);
  return { modelDir, manifest };
}

const round = (x: number) => (Number.isFinite(x) ? +x.toFixed(4) : null);

function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

/**
 * Fact documents: `repeats` true sentences per fact (the train templates in turn, from a seeded offset),
 * shuffled together and grouped 8 to a document. Held-out templates never appear.
 */
export function factDocuments(facts: readonly Fact[], repeats: number, seed: number, perDocument = 8): string[] {
  if (!Number.isInteger(repeats) || repeats < 0) throw new Error(`factDocuments: repeats must be a non-negative integer, got ${repeats}`);
  const rng = makeRng(seed).fork('fact-documents');
  const sentences: string[] = [];
  for (const f of facts) sentences.push(...trainSentences(f, repeats, rng.int(0, 1000)));
  const shuffled = rng.shuffle(sentences);
  const docs: string[] = [];
  for (let i = 0; i < shuffled.length; i += perDocument) docs.push(shuffled.slice(i, i + perDocument).join(' '));
  return docs;
}

/** Whether a train-split prompt's template is among `n` evenly spaced train templates of its relation. */
export function isSampledTrainTemplate(p: FactPrompt, n: number): boolean {
  const total = FACT_TEMPLATES[p.relation].train.length;
  const index = Number(p.templateId.split('/')[2]);
  const stride = Math.max(1, Math.ceil(total / Math.max(1, n)));
  return index % stride === 0;
}

/** GPT-2's init: the projections that write into the residual stream get std / sqrt(2·layers). */
function scaleResidualOutputs(model: Model, nLayers: number): void {
  const s = 1 / Math.sqrt(2 * nLayers);
  for (const [name, p] of model.params) {
    if (!/(o_proj|down_proj)\.weight$/.test(name)) continue;
    const d = p.data as Float32Array;
    for (let i = 0; i < p.size; i++) d[p.offset + i] = Math.fround(d[p.offset + i]! * s);
  }
}

export type { Tokenizer };
