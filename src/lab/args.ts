// Turns argv into typed options for one CommandSpec (node:util parseArgs underneath): numbers are
// checked, `--no-<flag>` negates a boolean flag, and every mistake becomes a UserError naming the fix.
import { parseArgs } from 'node:util';
import { UserError, type CommandSpec, type OptionSpec } from './command.js';
import { globalOptions } from './options.js';

export interface ParsedArgs {
  opts: Record<string, unknown>;
  positionals: string[];
}

export function allOptions(spec: CommandSpec): Record<string, OptionSpec> {
  return { ...spec.options, ...globalOptions };
}

export function parseCommandArgs(spec: CommandSpec, argv: string[]): ParsedArgs {
  const options = allOptions(spec);
  const negated: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const m = /^--no-([a-z0-9-]+)$/.exec(a);
    if (m && !(`no-${m[1]}` in options) && options[m[1]!]?.type === 'boolean') negated.push(m[1]!);
    else rest.push(a);
  }
  const parseOptions: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, o] of Object.entries(options)) {
    parseOptions[name] = { type: o.type === 'boolean' ? 'boolean' : 'string' };
    if (o.short) parseOptions[name]!.short = o.short;
    if (o.multiple) parseOptions[name]!.multiple = true;
  }
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: rest, options: parseOptions, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (e) {
    const msg = (e as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UserError(`${msg}; see \`glassbox ${spec.name} --help\``);
  }
  const opts: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(options)) {
    let v = parsed.values[name];
    if (v === undefined) v = o.default;
    if (negated.includes(name)) v = false;
    if (o.type === 'number' && v !== undefined) v = Array.isArray(v) ? v.map((x) => toNumber(spec, name, x)) : toNumber(spec, name, v);
    opts[name] = v;
  }
  return { opts, positionals: parsed.positionals };
}

function toNumber(spec: CommandSpec, name: string, v: unknown): number {
  if (typeof v === 'number') return v;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n)) {
    throw new UserError(`--${name} expects a number, got ${JSON.stringify(v)}; see \`glassbox ${spec.name} --help\``);
  }
  return n;
}
