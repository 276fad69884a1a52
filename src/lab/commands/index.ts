// The CLI's command registry: every verb's CommandSpec, in the order `glassbox --help` lists them.
// To add commands: import the module and append its spec(s) to `commands` (one line each).
import type { CommandSpec } from '../command.js';
import { calibrateCommands } from './calibrate.js';
import { calibrateTrainCommands } from './calibrate-train.js';
import { doctorCommand } from './doctor.js';
import { modelCommands } from './models.js';
import { organismCommands } from './organisms.js';
import { runsCommands } from './runs.js';
import { serveReward } from './serve-reward.js';
import { viewCommand } from './view.js';

export const commands: CommandSpec[] = [
  ...calibrateCommands,
  ...calibrateTrainCommands,
  serveReward,
  ...modelCommands,
  ...organismCommands,
  ...runsCommands,
  viewCommand,
  doctorCommand,
];

/** One-line summaries of command groups (the first word of multi-word commands) for `glassbox --help`. */
export const groups: Record<string, string> = {
  runs: 'List, inspect and delete runs in the store',
  calibrate: 'Calibration (RLCR): evaluate, score and report verbalized confidence',
  models: 'Inspect and convert model folders',
  organisms: 'Build the tiny model organisms glassbox trains itself',
  train: 'Train models (SFT, GRPO with RLCR rewards)',
  diff: 'Model diffing (ADL): what did a finetune change?',
  tamper: 'Unlearning, attacks and tampering evaluations',
};
