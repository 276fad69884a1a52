// glassbox config files: YAML or JSON validated by a zod schema (published as a JSON schema for editors
// in schema/glassbox.schema.json), or a .js/.ts module exporting `defineConfig({...})` as default.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import YAML from 'yaml';
import { z } from 'zod';
import { UserError } from './command.js';

const Thresholds = z
  .object({
    min: z.record(z.string(), z.number()).describe('metric -> lowest passing value, e.g. {accuracy: 0.6, auroc: 0.7}'),
    max: z.record(z.string(), z.number()).describe('metric -> highest passing value, e.g. {ece: 0.1, brier: 0.25}'),
  })
  .partial()
  .describe('failing a threshold makes the command exit with code 100');

export const GlassboxConfigSchema = z
  .object({
    $schema: z.string().optional(),
    home: z.string().optional().describe('run store folder (default: GLASSBOX_HOME or ~/.glassbox)'),
    provider: z.string().optional().describe("'local:<model-dir>', 'openai:<model>' or 'http://host:port/v1#<model>'"),
    model: z.string().optional().describe('model folder (Hugging Face layout) or model name'),
    data: z.string().optional().describe('dataset file (JSONL) or built-in dataset name'),
    out: z.string().optional().describe('output file or folder'),
    seed: z.int().optional().describe('random seed'),
    cache: z.boolean().optional().describe('use the response cache (default true)'),
    calibrate: z
      .looseObject({
        format: z.enum(['tabc', 'tac', 'ta']).describe('tabc: think/answer/analysis/confidence (RLCR); tac; ta (RLVR)'),
        samples: z.int().positive().describe('samples per question (test-time scaling)'),
        reward: z.string().describe("'rlcr' (default), 'rlvr', ..."),
        checker: z.string().describe("correctness checker, e.g. 'exact', 'numeric', 'judge:<provider>'"),
        limit: z.int().positive().describe('evaluate at most this many questions'),
        concurrency: z.int().positive(),
        temperature: z.number().min(0),
        maxTokens: z.int().positive(),
        thresholds: Thresholds,
      })
      .partial()
      .optional()
      .describe('calibration evaluation (glassbox calibrate eval)'),
    train: z
      .looseObject({
        steps: z.int().positive(),
        lr: z.number().positive(),
        batchSize: z.int().positive(),
        groupSize: z.int().positive(),
        temperature: z.number().min(0),
        reward: z.string(),
      })
      .partial()
      .optional()
      .describe('training (glassbox train ...)'),
    diff: z.record(z.string(), z.unknown()).optional().describe('model diffing settings'),
    tamper: z.record(z.string(), z.unknown()).optional().describe('tampering settings'),
    view: z
      .object({ port: z.int().min(0).max(65535), host: z.string() })
      .partial()
      .optional()
      .describe('glassbox view'),
  })
  .strict();

/** A config as a user writes it. */
export type GlassboxConfig = z.input<typeof GlassboxConfigSchema>;

/** Typed identity for `glassbox.config.ts`: `export default defineConfig({ ... })`. */
export function defineConfig(config: GlassboxConfig): GlassboxConfig {
  return config;
}

export const CONFIG_FILE_NAMES = [
  'glassbox.config.ts',
  'glassbox.config.mts',
  'glassbox.config.js',
  'glassbox.config.mjs',
  'glassbox.config.yaml',
  'glassbox.config.yml',
  'glassbox.config.json',
];

/** The first glassbox.config.* in `dir`, or null. */
export function findConfigFile(dir = process.cwd()): string | null {
  for (const name of CONFIG_FILE_NAMES) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return null;
}

function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => `  ${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`).join('\n');
}

/** Validate an already-parsed config; `source` names it in the error. */
export function validateConfig(value: unknown, source = 'config'): GlassboxConfig {
  const res = GlassboxConfigSchema.safeParse(value);
  if (!res.success) {
    throw new UserError(`${source} is not a valid glassbox config:\n${formatIssues(res.error)}\n(schema: schema/glassbox.schema.json)`);
  }
  return res.data;
}

/** Load and validate a YAML, JSON, .js or .ts config file. */
export async function loadConfig(file: string): Promise<GlassboxConfig> {
  const path = resolve(file);
  if (!existsSync(path)) throw new UserError(`config file ${path} does not exist`);
  const ext = extname(path).toLowerCase();
  let value: unknown;
  if (ext === '.js' || ext === '.mjs' || ext === '.ts' || ext === '.mts') {
    let mod: { default?: unknown };
    if (ext === '.ts' || ext === '.mts') {
      let tsImport: (specifier: string, parent: string) => Promise<unknown>;
      try {
        ({ tsImport } = await import('tsx/esm/api'));
      } catch {
        throw new UserError(`loading ${path} needs the tsx package (npm i -D tsx); or write the config as .js, .yaml or .json`);
      }
      mod = (await tsImport(pathToFileURL(path).href, import.meta.url)) as { default?: unknown };
    } else mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
    if (mod.default === undefined) throw new UserError(`config module ${path} has no default export; write \`export default defineConfig({...})\``);
    value = mod.default;
    // A .ts file outside an ESM package loads as CommonJS: its `export default` arrives one level down.
    if (value && typeof value === 'object' && Object.keys(value).every((k) => k === 'default' || k === '__esModule') && 'default' in value) {
      value = (value as { default: unknown }).default;
    }
  } else {
    const text = readFileSync(path, 'utf8');
    try {
      value = ext === '.json' ? JSON.parse(text) : YAML.parse(text);
    } catch (e) {
      throw new UserError(`config file ${path} does not parse as ${ext === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message}`);
    }
  }
  return validateConfig(value ?? {}, `config file ${path}`);
}

/** The JSON schema editors use to complete and check glassbox config files. */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(GlassboxConfigSchema, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
  return { $id: 'https://glassbox.dev/schema/glassbox.schema.json', title: 'glassbox config', ...schema };
}

export function writeConfigSchema(file: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(configJsonSchema(), null, 2) + '\n');
}
