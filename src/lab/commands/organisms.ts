// `glassbox organisms build|list`: grow the base organism (cached under GLASSBOX_HOME/organisms) with
// progress while it trains and a report of perplexity and fact recall at the end; list what is built.
import { UserError, type CommandContext, type CommandSpec } from '../command.js';
import { formatDuration, shortTime, textTable } from '../format.js';
import { defaultHome } from '../../runs/index.js';
import {
  buildBaseOrganism, listOrganisms, type BaseOrganismManifest, type BuiltOrganism, type OrganismProgress, type OrganismSize,
} from '../../organisms/index.js';

const SIZES: OrganismSize[] = ['tiny', 'small', 'micro'];

const pct = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '-');
const num = (x: unknown, digits = 1) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '-');

/** One progress line: phase, step/total, loss, lr, tokens/s, ETA, elapsed. */
export function progressLine(p: OrganismProgress): string {
  if (p.phase !== 'train' || p.step === undefined) return `[${formatDuration(p.elapsedSec)}] ${p.phase}: ${p.message}`;
  const parts = [`[${formatDuration(p.elapsedSec)}] train step ${p.step}${p.totalSteps ? `/${p.totalSteps}` : ''}`];
  if (p.loss !== undefined) parts.push(`loss ${p.loss.toFixed(3)}`);
  if (p.lr !== undefined) parts.push(`lr ${p.lr.toExponential(2)}`);
  if (p.tokensPerSec !== undefined) parts.push(`${Math.round(p.tokensPerSec).toLocaleString('en-US')} tok/s`);
  if (p.etaSec !== undefined) parts.push(`ETA ${formatDuration(p.etaSec)}`);
  return parts.join('  ');
}

/** Progress printer: redraws one line on a TTY (at most 4 times a second), else a line per phase and every 10 s of training. */
function progressPrinter(ctx: CommandContext): { onProgress: (p: OrganismProgress) => void; end: () => void } {
  let last = -Infinity, drawn = false;
  return {
    onProgress: (p) => {
      const isStep = p.phase === 'train' && p.step !== undefined;
      const now = Date.now();
      if (isStep && now - last < (ctx.isTTY ? 250 : 10_000)) return;
      last = isStep ? now : last;
      const line = progressLine(p);
      if (ctx.isTTY && isStep) { process.stderr.write(`\r\x1b[2K${line}`); drawn = true; return; }
      if (drawn) { process.stderr.write('\n'); drawn = false; }
      ctx.err(line);
    },
    end: () => { if (drawn) process.stderr.write('\n'); },
  };
}

/** The human report of a built organism. */
export function organismReport(b: BuiltOrganism): string[] {
  const m = b.manifest, met = m.metrics, tr = m.training;
  const lines = [
    `organism ${m.name} (${m.hash})${b.cached ? ' from the cache' : ''}: ${b.dir}`,
    `  model: Llama, ${m.model.params.toLocaleString('en-US')} parameters, vocab ${m.tokenizer.vocabSize}, seed ${m.seed}`,
    `  training: ${tr.steps} steps, ${tr.tokens.toLocaleString('en-US')} tokens at ${Math.round(met.tokensPerSec).toLocaleString('en-US')} tok/s` +
      `, final loss ${num(met.finalLoss, 3)}, ~${tr.factExposures} exposures per fact${tr.truncated ? ' (stopped at the time limit)' : ''}`,
    `  held-out perplexity ${num(met.heldOutPerplexity)} (unigram baseline ${num(met.unigramPerplexity)}) over ${met.heldOutTokens.toLocaleString('en-US')} tokens`,
  ];
  for (const [rel, cells] of Object.entries(met.recall.byRelation)) {
    const h = cells.heldOut, t = cells.train;
    lines.push(`  recall ${rel}: held-out paraphrases ${pct(h?.accuracy)} (${h?.correct ?? 0}/${h?.total ?? 0}), training templates ${pct(t?.accuracy)} (${t?.correct ?? 0}/${t?.total ?? 0})`);
  }
  lines.push(`  wall time ${formatDuration(m.timings.totalSec ?? 0)} (${Object.entries(m.timings).filter(([k]) => k !== 'totalSec').map(([k, v]) => `${k.replace(/Sec$/, '')} ${v.toFixed(0)}s`).join(', ')})`);
  if (m.runId) lines.push(`  run ${m.runId}: glassbox view, or glassbox runs show ${m.runId}`);
  return lines;
}

export const organismsBuild: CommandSpec = {
  name: 'organisms build',
  summary: 'Train (or reuse from the cache) the base organism: a small Llama pretrained on the offline corpus',
  examples: ['glassbox organisms build', 'glassbox organisms build --size tiny --seed 1 --time-budget 600', 'glassbox organisms build --size micro --steps 50 --json'],
  options: {
    size: { type: 'string', default: 'tiny', description: 'tiny (≤ 15 min on 2 cores), small (about an hour), or micro (seconds; for tests)' },
    seed: { type: 'number', default: 0, description: 'random seed: corpus split, tokenizer data, init and batch order' },
    'time-budget': { type: 'number', description: 'seconds for the whole build (default: tiny 840, small 3600, micro 30)' },
    steps: { type: 'number', description: 'train exactly this many steps instead of a time budget (bitwise reproducible)' },
    force: { type: 'boolean', default: false, description: 'rebuild even when the cache has this organism' },
  },
  async run(opts, pos, ctx) {
    if (pos.length > 0) throw new UserError('`glassbox organisms build` takes no positional arguments; see --help');
    const size = opts.size as OrganismSize;
    if (!SIZES.includes(size)) throw new UserError(`--size must be one of ${SIZES.join(', ')}; got "${String(opts.size)}"`);
    const seed = opts.seed as number;
    if (!Number.isInteger(seed) || seed < 0) throw new UserError(`--seed must be a non-negative integer; got ${seed}`);
    const budget = opts['time-budget'] as number | undefined;
    if (budget !== undefined && !(budget > 0)) throw new UserError(`--time-budget must be a positive number of seconds; got ${budget}`);
    const steps = opts.steps as number | undefined;
    if (steps !== undefined && !(Number.isInteger(steps) && steps > 0)) throw new UserError(`--steps must be a positive integer; got ${steps}`);
    if (steps !== undefined && budget !== undefined) throw new UserError('give --steps or --time-budget, not both');
    const printer = progressPrinter(ctx);
    let built: BuiltOrganism;
    try {
      built = await buildBaseOrganism({
        size, seed, timeBudgetSec: budget, steps, force: opts.force as boolean, home: defaultHome(ctx.env), onProgress: printer.onProgress,
      });
    } finally {
      printer.end();
    }
    if (opts.json) ctx.out(JSON.stringify({ dir: built.dir, cached: built.cached, manifest: built.manifest }));
    else for (const line of organismReport(built)) ctx.out(line);
    return 0;
  },
};

export const organismsList: CommandSpec = {
  name: 'organisms list',
  summary: 'List the organisms built in GLASSBOX_HOME/organisms, newest first',
  examples: ['glassbox organisms list', 'glassbox organisms list --json'],
  options: {},
  async run(_opts, pos, ctx) {
    if (pos.length > 0) throw new UserError('`glassbox organisms list` takes no positional arguments');
    const home = defaultHome(ctx.env);
    const entries = listOrganisms(home);
    if (_opts.json) {
      ctx.out(JSON.stringify({ organisms: entries.map((e) => ({ dir: e.dir, ...e.manifest })) }));
      return 0;
    }
    if (entries.length === 0) {
      ctx.out(`no organisms in ${home}/organisms yet; build one with \`glassbox organisms build\``);
      return 0;
    }
    const rows = entries.map(({ dir, manifest }) => {
      const m = manifest as Partial<BaseOrganismManifest>;
      const met = (m.metrics ?? {}) as Partial<BaseOrganismManifest['metrics']>;
      const recall = Object.entries(met.recallHeldOut ?? {}).map(([k, v]) => `${k} ${pct(v)}`).join(', ');
      return [manifest.name, manifest.hash, String(manifest.seed), num(met.heldOutPerplexity), recall || '-', shortTime(manifest.createdAt), dir];
    });
    for (const line of textTable(['NAME', 'HASH', 'SEED', 'PPL', 'RECALL (HELD-OUT)', 'CREATED (UTC)', 'FOLDER'], rows)) ctx.out(line);
    return 0;
  },
};

export const organismCommands: CommandSpec[] = [organismsBuild, organismsList];
