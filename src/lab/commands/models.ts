/**
 * Model verbs: `glassbox inspect <dir>` (architecture, sizes, dtype, hook names), `glassbox logits <dir>
 * --ids 1,2,3` (next-token logits at every position, for cross-checks) and `glassbox generate <dir>`.
 */
import { loadModel, generateText, type Model } from '../../models/index.js';
import { noGrad, scope } from '../../engine/index.js';
import { UserError, type CommandSpec } from '../command.js';

function load(dir: string | undefined, tokenizer = true): Model {
  if (!dir) throw new UserError('give a model folder, e.g. glassbox inspect ./models/tiny');
  try {
    return loadModel(dir, { tokenizer });
  } catch (e) {
    throw new UserError(`cannot load ${dir}: ${(e as Error).message}`);
  }
}

/** A plain summary of a loaded model (what `inspect` prints). */
export function describeModel(m: Model): Record<string, unknown> {
  const c = m.config;
  return {
    dir: m.dir, modelType: c.modelType, architectures: c.architectures, vocabSize: c.vocabSize, dModel: c.dModel,
    nLayers: c.nLayers, nHeads: c.nHeads, nKvHeads: c.nKvHeads, dHead: c.dHead, dMlp: c.dMlp, norm: c.normType,
    activation: c.act, positional: c.positional, ropeTheta: c.positional === 'rope' ? c.ropeTheta : null,
    ropeScaling: c.ropeScaling.type, slidingWindow: c.slidingWindow, layerTypes: c.layerTypes, attnSoftcap: c.attnSoftcap,
    finalSoftcap: c.finalSoftcap, tiedEmbeddings: c.tieWordEmbeddings, storedDtype: c.dtype, computeDtype: 'float32',
    parameters: m.numParams(), tokenizer: m.tokenizer ? { vocabSize: m.tokenizer.vocabSize, bos: m.tokenizer.bosToken, eos: m.tokenizer.eosToken, chatTemplate: !!m.tokenizer.chatTemplate } : null,
    hookNames: m.hookNames(),
  };
}

export const inspectCommand: CommandSpec = {
  name: 'inspect',
  summary: 'Show a model folder: architecture, sizes, dtype and every hook point name',
  args: '<model-dir>',
  examples: ['glassbox inspect ./models/tiny', 'glassbox inspect ./models/tiny --json'],
  options: { json: { type: 'boolean', description: 'machine-readable output' } },
  async run(opts, pos, ctx) {
    const m = load(pos[0]);
    try {
      const d = describeModel(m);
      if (opts.json) { ctx.out(JSON.stringify(d)); return 0; }
      for (const [k, v] of Object.entries(d)) {
        if (k === 'hookNames') continue;
        ctx.out(`${k.padEnd(16)} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
      }
      const names = d.hookNames as string[];
      ctx.out(`hook points (${names.length}):`);
      for (const n of names.filter((x) => !/^blocks\.[1-9]\d*\./.test(x))) ctx.out(`  ${n}`);
      if (m.config.nLayers > 1) ctx.out(`  ... the same for blocks.1 .. blocks.${m.config.nLayers - 1}`);
      return 0;
    } finally { m.dispose(); }
  },
};

export const logitsCommand: CommandSpec = {
  name: 'logits',
  summary: 'Print next-token logits at every position for given token ids (for cross-checks against other stacks)',
  args: '<model-dir>',
  examples: ['glassbox logits ./models/tiny --ids 1,2,3', 'glassbox logits ./models/tiny --ids 5,6 --json > logits.json'],
  options: {
    ids: { type: 'string', description: 'comma-separated token ids' },
    top: { type: 'number', description: 'also show the top-k tokens per position (text mode)', default: 5 },
    json: { type: 'boolean', description: 'print {ids, logits: [T][V]} as JSON' },
  },
  async run(opts, pos, ctx) {
    const idsStr = opts.ids as string | undefined;
    if (!idsStr) throw new UserError('give --ids, e.g. --ids 1,2,3');
    const ids = idsStr.split(',').map((s) => Number(s.trim()));
    if (ids.some((x) => !Number.isInteger(x) || x < 0)) throw new UserError(`--ids must be non-negative integers, got '${idsStr}'`);
    const m = load(pos[0]);
    try {
      if (ids.some((x) => x >= m.config.vocabSize)) throw new UserError(`token id out of range: the vocabulary has ${m.config.vocabSize} entries`);
      const logits = noGrad(() => scope(() => (m.forward([ids]).toArray() as number[][][])[0]));
      if (opts.json) { ctx.out(JSON.stringify({ ids, logits })); return 0; }
      const k = Math.min(Number(opts.top ?? 5), m.config.vocabSize);
      logits.forEach((row, t) => {
        const top = row.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]).slice(0, k);
        const show = top.map(([v, i]) => `${i}${m.tokenizer ? ` ${JSON.stringify(m.tokenizer.decode([i]))}` : ''}=${v.toFixed(4)}`).join('  ');
        ctx.out(`pos ${t} (id ${ids[t]}): ${show}`);
      });
      return 0;
    } finally { m.dispose(); }
  },
};

export const generateCommand: CommandSpec = {
  name: 'generate',
  summary: 'Generate text from a model folder (KV cache; greedy by default)',
  args: '<model-dir>',
  examples: ['glassbox generate ./models/tiny --prompt "The capital of France is"', 'glassbox generate ./models/tiny --prompt "What is 2+3?" --chat --temperature 0.7 --seed 1'],
  options: {
    prompt: { type: 'string', description: 'prompt text (repeat for a batch)', multiple: true },
    chat: { type: 'boolean', description: "wrap the prompt with the model's chat template" },
    system: { type: 'string', description: 'system message (with --chat)' },
    'max-tokens': { type: 'number', description: 'new tokens to generate', default: 64 },
    temperature: { type: 'number', description: '0 = greedy', default: 0 },
    'top-p': { type: 'number', description: 'nucleus sampling mass', default: 1 },
    'top-k': { type: 'number', description: 'sample from the k most likely tokens (0 = all)', default: 0 },
    seed: { type: 'number', description: 'sampling seed', default: 0 },
    stop: { type: 'string', description: 'stop string (repeatable)', multiple: true },
    json: { type: 'boolean', description: 'print results as JSON' },
  },
  async run(opts, pos, ctx) {
    const prompts = (opts.prompt as string[] | undefined) ?? [];
    if (prompts.length === 0) throw new UserError('give --prompt "..."');
    const m = load(pos[0]);
    try {
      if (!m.tokenizer) throw new UserError(`${pos[0]} has no tokenizer.json; use \`glassbox logits --ids\` for raw ids`);
      const r = generateText(m, prompts, {
        chat: !!opts.chat, system: opts.system as string | undefined, maxNewTokens: Number(opts['max-tokens']),
        temperature: Number(opts.temperature), topP: Number(opts['top-p']), topK: Number(opts['top-k']), seed: Number(opts.seed),
        stop: opts.stop as string[] | undefined,
      });
      if (opts.json) ctx.out(JSON.stringify(prompts.map((p, i) => ({ prompt: p, text: r.texts![i], tokens: r.tokens[i], finishReason: r.finishReasons[i] }))));
      else prompts.forEach((p, i) => ctx.out(`${prompts.length > 1 ? `[${i}] ` : ''}${p}${r.texts![i]}`));
      return 0;
    } finally { m.dispose(); }
  },
};

export const modelCommands: CommandSpec[] = [inspectCommand, logitsCommand, generateCommand];
