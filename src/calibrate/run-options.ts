// Options every calibrate training command shares (SFT, GRPO): seed, the run it is recorded as, checkpoints, abort.
import type { RunStore } from '../runs/index.js';

export interface RecordedTrainingOptions {
  /** Random seed (recorded in the run). */
  seed?: number;
  /** Record the training as a run in this store. */
  store?: RunStore;
  runName?: string;
  /** Checkpoint folder (weights, optimizer, RNG, step). */
  checkpointDir?: string;
  checkpointEvery?: number;
  /** Resume from the newest checkpoint in checkpointDir. */
  resume?: boolean;
  signal?: AbortSignal;
}
