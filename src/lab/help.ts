// Help text for the CLI: the top-level list of groups and commands, a group's commands, and one
// command's usage, options and examples.
import type { CommandSpec, OptionSpec } from './command.js';
import { allOptions } from './args.js';

function optionLine(name: string, o: OptionSpec): [string, string] {
  const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'boolean' ? '' : ` <${o.type === 'number' ? 'n' : 'value'}>`}`;
  const def = o.default !== undefined && o.type !== 'boolean' ? ` (default ${String(o.default)})` : '';
  const neg = o.type === 'boolean' && o.default === true ? ' [--no-' + name + ']' : '';
  return [flag, `${o.description}${def}${neg}`];
}

function table(rows: [string, string][], indent = '  '): string[] {
  const w = Math.max(0, ...rows.map((r) => r[0].length));
  return rows.map(([a, b]) => `${indent}${a.padEnd(w)}  ${b}`);
}

export function commandHelp(spec: CommandSpec): string {
  const lines = [`Usage: glassbox ${spec.name}${spec.args ? ` ${spec.args}` : ''} [options]`, '', spec.summary, '', 'Options:'];
  lines.push(...table(Object.entries(allOptions(spec)).map(([n, o]) => optionLine(n, o))));
  lines.push('', spec.examples.length > 1 ? 'Examples:' : 'Example:');
  lines.push(...spec.examples.map((e) => `  $ ${e}`));
  return lines.join('\n');
}

export function groupHelp(group: string, specs: CommandSpec[], summary?: string): string {
  const lines = [`Usage: glassbox ${group} <command> [options]`, ''];
  if (summary) lines.push(summary, '');
  lines.push('Commands:');
  lines.push(...table(specs.map((s) => [s.name, s.summary])));
  lines.push('', 'Examples:');
  lines.push(...specs.slice(0, 4).map((s) => `  $ ${s.examples[0] ?? `glassbox ${s.name}`}`));
  lines.push('', `Run \`glassbox ${group} <command> --help\` for a command's options.`);
  return lines.join('\n');
}

export function rootHelp(specs: CommandSpec[], groups: Record<string, string>): string {
  const rows: [string, string][] = [];
  const seen = new Set<string>();
  for (const s of specs) {
    const words = s.name.split(' ');
    if (words.length > 1) {
      if (seen.has(words[0]!)) continue;
      seen.add(words[0]!);
      const members = specs.filter((x) => x.name.split(' ')[0] === words[0]).map((x) => x.name.split(' ').slice(1).join(' '));
      rows.push([words[0]!, groups[words[0]!] ?? members.join(', ')]);
    } else rows.push([s.name, s.summary]);
  }
  return [
    'Usage: glassbox <command> [options]',
    '',
    'White-box evaluation of language models: calibration, model diffing and tampering, with a run store and a web lab.',
    '',
    'Commands:',
    ...table(rows),
    '',
    'Global options:',
    '  --json      machine-readable JSON on stdout',
    '  -h, --help  help for any command or group',
    '',
    'Examples:',
    '  $ glassbox runs list',
    '  $ glassbox view --port 8321',
    '',
    'Exit codes: 0 ok, 1 error, 100 an evaluation missed its thresholds.',
  ].join('\n');
}
