/**
 * The shape of one CLI command. Every verb (`glassbox calibrate eval`, `glassbox runs list`, ...) is a
 * CommandSpec in a file under src/lab/commands/, registered in src/lab/commands/index.ts. The CLI is a
 * thin layer: `run` parses flags and calls a documented library function.
 */

export interface OptionSpec {
  type: 'string' | 'boolean' | 'number';
  description: string;
  short?: string;
  default?: string | boolean | number;
  multiple?: boolean;
}

export interface CommandContext {
  /** Write a line to stdout (machine output goes here when --json). */
  out(line: string): void;
  /** Write a line to stderr (progress, warnings). */
  err(line: string): void;
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
}

export interface CommandSpec {
  /** Words after `glassbox`, e.g. 'calibrate eval'. */
  name: string;
  summary: string;
  /** Positional arguments, e.g. '<run>' or '<model-dir>'. */
  args?: string;
  /** At least one example invocation, shown by --help. */
  examples: string[];
  options: Record<string, OptionSpec>;
  /** Returns the exit code: 0 ok, 1 error, 100 thresholds failed. */
  run(opts: Record<string, unknown>, positionals: string[], ctx: CommandContext): Promise<number>;
}

/** An error whose message tells the user what to do; the CLI prints it without a stack trace. */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'UserError';
  }
}
