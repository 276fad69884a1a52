// Flags shared by every pillar's commands, so `--provider`, `--model`, `--data`, `--out`, `--seed` and
// `--no-cache` mean the same thing everywhere. Spread the ones a command takes into its `options`.
import type { OptionSpec } from './command.js';

export const commonOptions = {
  provider: { type: 'string', description: "model provider: 'local:<model-dir>', 'openai:<model>' or 'http://host:port/v1#<model>'" },
  model: { type: 'string', description: 'model folder (Hugging Face layout) or model name' },
  data: { type: 'string', description: 'dataset file (JSONL) or built-in dataset name' },
  out: { type: 'string', short: 'o', description: 'output file or folder' },
  seed: { type: 'number', description: 'random seed (recorded in the run)' },
  config: { type: 'string', short: 'c', description: 'config file (YAML, JSON, or .js/.ts with defineConfig)' },
  cache: { type: 'boolean', default: true, description: 'use the response cache (--no-cache to bypass it)' },
} as const satisfies Record<string, OptionSpec>;

/** Added to every command by the CLI. */
export const globalOptions = {
  json: { type: 'boolean', default: false, description: 'machine-readable JSON on stdout' },
  help: { type: 'boolean', short: 'h', default: false, description: 'show this help' },
} as const satisfies Record<string, OptionSpec>;
