// Where commands find the run store: GLASSBOX_HOME from the command's environment, else ~/.glassbox.
import type { CommandContext } from './command.js';
import { defaultHome, openStore, type RunStore } from '../runs/index.js';

export function openLabStore(ctx: Pick<CommandContext, 'env'>): RunStore {
  return openStore(defaultHome(ctx.env));
}
