// The `glassbox` command line: finds the CommandSpec named by the leading words of argv, parses its
// flags, runs it and maps errors to exit codes (0 ok, 1 error, 100 thresholds failed). UserErrors are
// printed as one line without a stack; anything else is a bug and keeps its stack.
import { parseCommandArgs } from './args.js';
import { UserError, type CommandContext, type CommandSpec } from './command.js';
import { commands as registry, groups as groupSummaries } from './commands/index.js';
import { commandHelp, groupHelp, rootHelp } from './help.js';
import { RunStoreError } from '../runs/index.js';

export interface MainOptions {
  commands?: CommandSpec[];
  ctx?: Partial<CommandContext>;
}

/** Longest command name matching the leading non-flag words of argv. */
export function resolveCommand(specs: CommandSpec[], argv: string[]): { spec: CommandSpec; rest: string[] } | null {
  const words: string[] = [];
  for (const a of argv) {
    if (a.startsWith('-')) break;
    words.push(a);
  }
  for (let k = words.length; k > 0; k--) {
    const name = words.slice(0, k).join(' ');
    const spec = specs.find((s) => s.name === name);
    if (spec) return { spec, rest: argv.slice(k) };
  }
  return null;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

function suggest(specs: CommandSpec[], words: string[]): string {
  const tried = words.join(' ');
  const best = specs
    .map((s) => ({ s, d: editDistance(tried, s.name.split(' ').slice(0, words.length).join(' ')) }))
    .sort((x, y) => x.d - y.d)[0];
  return best && best.d <= 3 ? `; did you mean \`glassbox ${best.s.name}\`?` : '; run `glassbox --help` for the list';
}

export async function main(argv: string[], options: MainOptions = {}): Promise<number> {
  const specs = options.commands ?? registry;
  const ctx: CommandContext = {
    out: (line) => process.stdout.write(line + '\n'),
    err: (line) => process.stderr.write(line + '\n'),
    isTTY: Boolean(process.stderr.isTTY),
    env: process.env,
    ...options.ctx,
  };
  try {
    const leading = argv.filter((a) => !a.startsWith('-'));
    if (leading.length === 0) {
      ctx.out(rootHelp(specs, groupSummaries));
      return argv.includes('--help') || argv.includes('-h') || argv.length === 0 ? 0 : 1;
    }
    const found = resolveCommand(specs, argv);
    if (!found) {
      const first = argv[0]!;
      const members = specs.filter((s) => s.name.split(' ')[0] === first && s.name !== first);
      if (members.length > 0) {
        const sub = argv[1];
        if (sub === undefined || sub.startsWith('-')) {
          ctx.out(groupHelp(first, members, groupSummaries[first]));
          return 0;
        }
        throw new UserError(`unknown command \`glassbox ${first} ${sub}\`${suggest(specs, [first, sub])}`);
      }
      throw new UserError(`unknown command \`glassbox ${first}\`${suggest(specs, [first])}`);
    }
    const { spec, rest } = found;
    const { opts, positionals } = parseCommandArgs(spec, rest);
    if (opts.help) {
      ctx.out(commandHelp(spec));
      return 0;
    }
    return await spec.run(opts, positionals, ctx);
  } catch (e) {
    const err = e as Error;
    if (err instanceof UserError || err instanceof RunStoreError) {
      ctx.err(`glassbox: error: ${err.message}`);
      if (ctx.env.GLASSBOX_DEBUG) ctx.err(err.stack ?? '');
      return err instanceof UserError ? err.exitCode : 1;
    }
    ctx.err(`glassbox: internal error: ${err?.stack ?? String(e)}`);
    ctx.err('This is a bug in glassbox; please report it with the command you ran.');
    return 1;
  }
}
