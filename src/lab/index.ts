// Public API of the lab layer: the CLI entry, command registry, config files, progress reporting and
// the web dashboard (server, static export).
export { main, resolveCommand } from './cli.js';
export type { MainOptions } from './cli.js';
export { UserError } from './command.js';
export type { CommandSpec, CommandContext, OptionSpec } from './command.js';
export { commands, groups } from './commands/index.js';
export { parseCommandArgs } from './args.js';
export { commonOptions, globalOptions } from './options.js';
export { openLabStore } from './home.js';
export {
  GlassboxConfigSchema,
  defineConfig,
  loadConfig,
  validateConfig,
  findConfigFile,
  configJsonSchema,
  writeConfigSchema,
  CONFIG_FILE_NAMES,
} from './config.js';
export type { GlassboxConfig } from './config.js';
export { createProgress, Progress, renderProgress, estimateEta } from './progress.js';
export type { ProgressOptions, ProgressState } from './progress.js';
export { textTable, formatMetric, formatDuration, shortTime } from './format.js';
export * from './view/index.js';
