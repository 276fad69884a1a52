/**
 * Training checkpoints: one folder per step (`step-00000120/`) holding weights.safetensors,
 * optimizer.safetensors (buffers) and state.json (step, optimizer steps, RNG states, data position,
 * schedule state, config). Written into a temp folder, fsynced, then renamed into place, so a crash
 * or a full disk mid-write leaves the previous checkpoint as the latest good one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Rng } from '../engine/index.js';
import type { NamedParams } from './params.js';
import type { Optimizer, OptimizerState } from './optim.js';
import { defaultTensorWriter, fsyncDir, readF32Tensors, type F32Entry, type TensorFileWriter } from './tensor-file.js';

export const CHECKPOINT_FORMAT = 'glassbox-train-checkpoint/1';
const STEP_DIR = /^step-(\d{8,})$/;

export interface CheckpointContents {
  /** Optimizer steps completed. */
  step: number;
  params: NamedParams;
  optimizer?: Optimizer;
  /** Named RNGs whose state is saved (init, dropout, data order, ...). */
  rngs?: Record<string, Rng>;
  /** Where the data iterator stands (JSON). */
  dataPosition?: unknown;
  /** The run's configuration (JSON), recorded for reproducibility. */
  config?: unknown;
  /** Anything else JSON (schedule state, token counts, ...). */
  extra?: Record<string, unknown>;
}

export interface SaveCheckpointOptions {
  /** Checkpoints kept after a successful save (oldest removed first); default 2, 0 = keep all. */
  keepLast?: number;
  /** Tensor writer (default nn's F32 safetensors writer; models' writeSafetensors fits). */
  writer?: TensorFileWriter;
  /** Called after each file is written into the temp folder (tests use it to simulate failures). */
  onFileWritten?: (file: string) => void;
}

export interface LoadedCheckpoint {
  path: string;
  step: number;
  weights: Map<string, F32Entry>;
  optimizer: OptimizerState | null;
  rngs: Record<string, number[]>;
  dataPosition: unknown;
  config: unknown;
  extra: Record<string, unknown>;
}

interface StateJson {
  format: string;
  step: number;
  savedAt: string;
  optimizer: { kind: 'adamw' | 'sgd'; steps: Record<string, number> } | null;
  rngs: Record<string, (number | null)[]>;
  dataPosition: unknown;
  config: unknown;
  extra: Record<string, unknown>;
}

export function checkpointName(step: number): string { return `step-${String(step).padStart(8, '0')}`; }

/** Writes a checkpoint for `contents.step` under `dir` atomically; returns its folder. */
export function saveCheckpoint(dir: string, contents: CheckpointContents, opts: SaveCheckpointOptions = {}): string {
  const { step } = contents;
  if (!Number.isInteger(step) || step < 0) throw new Error(`saveCheckpoint: step must be a non-negative integer, got ${step}`);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of fs.readdirSync(dir)) if (f.startsWith('.tmp-')) fs.rmSync(path.join(dir, f), { recursive: true, force: true });
  const name = checkpointName(step);
  const tmp = path.join(dir, `.tmp-${name}-${process.pid}`);
  const final = path.join(dir, name);
  const writer = opts.writer ?? defaultTensorWriter;
  try {
    fs.mkdirSync(tmp);
    const weights: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
    for (const [n, p] of contents.params) {
      if (p.dtype !== 'f32') throw new Error(`saveCheckpoint: parameter '${n}' is ${p.dtype}; only f32 parameters are saved`);
      weights[n] = { dtype: 'F32', shape: p.shape.slice(), data: p.toFlat() as Float32Array };
    }
    const wfile = path.join(tmp, 'weights.safetensors');
    writer(wfile, weights, { format: 'pt', step: String(step) });
    opts.onFileWritten?.(wfile);
    let optJson: StateJson['optimizer'] = null;
    if (contents.optimizer) {
      const st = contents.optimizer.state();
      const bufs: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
      for (const [k, d] of Object.entries(st.buffers)) bufs[k] = { dtype: 'F32', shape: [d.length], data: d };
      const ofile = path.join(tmp, 'optimizer.safetensors');
      writer(ofile, bufs, { kind: st.kind });
      opts.onFileWritten?.(ofile);
      optJson = { kind: st.kind, steps: st.steps };
    }
    const state: StateJson = {
      format: CHECKPOINT_FORMAT, step, savedAt: new Date().toISOString(), optimizer: optJson,
      rngs: Object.fromEntries(Object.entries(contents.rngs ?? {}).map(([k, r]) => [k, r.getState().map((x) => (Number.isNaN(x) ? null : x))])),
      dataPosition: contents.dataPosition ?? null, config: contents.config ?? null, extra: contents.extra ?? {},
    };
    const sfile = path.join(tmp, 'state.json');
    const fd = fs.openSync(sfile, 'w');
    try { fs.writeSync(fd, JSON.stringify(state, null, 1) + '\n'); fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
    opts.onFileWritten?.(sfile);
    fsyncDir(tmp);
    // the same step saved again (after a resume): move the old one aside until the new one is in place
    const old = fs.existsSync(final) ? path.join(dir, `.tmp-old-${name}-${process.pid}`) : null;
    if (old) fs.renameSync(final, old);
    fs.renameSync(tmp, final);
    fsyncDir(dir);
    if (old) fs.rmSync(old, { recursive: true, force: true });
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new Error(`saveCheckpoint: writing ${final} failed (${(e as Error).message}); earlier checkpoints are untouched`, { cause: e });
  }
  const keep = opts.keepLast ?? 2;
  if (keep > 0) for (const old of listCheckpoints(dir).slice(0, -keep)) fs.rmSync(old.path, { recursive: true, force: true });
  return final;
}

/** Complete checkpoints under dir, oldest first. */
export function listCheckpoints(dir: string): { path: string; step: number }[] {
  if (!fs.existsSync(dir)) return [];
  const out: { path: string; step: number }[] = [];
  for (const f of fs.readdirSync(dir)) {
    const m = STEP_DIR.exec(f);
    if (!m) continue;
    const p = path.join(dir, f);
    if (!fs.existsSync(path.join(p, 'state.json')) || !fs.existsSync(path.join(p, 'weights.safetensors'))) continue;
    out.push({ path: p, step: Number(m[1]) });
  }
  return out.sort((a, b) => a.step - b.step);
}

/** Folder of the newest complete checkpoint under dir, or null. */
export function latestCheckpoint(dir: string): string | null {
  const all = listCheckpoints(dir);
  return all.length ? all[all.length - 1].path : null;
}

/** Reads a checkpoint folder. */
export function loadCheckpoint(ckpt: string): LoadedCheckpoint {
  const sfile = path.join(ckpt, 'state.json');
  let state: StateJson;
  try { state = JSON.parse(fs.readFileSync(sfile, 'utf8')); } catch (e) { throw new Error(`loadCheckpoint: cannot read ${sfile}: ${(e as Error).message}`); }
  if (state.format !== CHECKPOINT_FORMAT) throw new Error(`loadCheckpoint: ${sfile} has format ${JSON.stringify(state.format)}, expected ${CHECKPOINT_FORMAT}`);
  const weights = readF32Tensors(path.join(ckpt, 'weights.safetensors')).tensors;
  let optimizer: OptimizerState | null = null;
  if (state.optimizer) {
    const bufs = readF32Tensors(path.join(ckpt, 'optimizer.safetensors')).tensors;
    optimizer = { kind: state.optimizer.kind, steps: state.optimizer.steps, buffers: Object.fromEntries([...bufs].map(([k, v]) => [k, v.data])) };
  }
  const rngs = Object.fromEntries(Object.entries(state.rngs).map(([k, v]) => [k, v.map((x) => (x === null ? NaN : x))]));
  return { path: ckpt, step: state.step, weights, optimizer, rngs, dataPosition: state.dataPosition, config: state.config, extra: state.extra ?? {} };
}

/** Copies a loaded checkpoint into live parameters, optimizer and RNGs (names and shapes must match exactly). */
export function restoreCheckpoint(ck: LoadedCheckpoint, into: { params: NamedParams; optimizer?: Optimizer; rngs?: Record<string, Rng> }): void {
  for (const [n, p] of into.params) {
    const w = ck.weights.get(n);
    if (!w) throw new Error(`restoreCheckpoint ${ck.path}: no weight '${n}' in the checkpoint`);
    if (w.data.length !== p.size || w.shape.length !== p.ndim || w.shape.some((s, i) => s !== p.shape[i])) throw new Error(`restoreCheckpoint ${ck.path}: '${n}' is [${w.shape}] in the checkpoint, [${p.shape}] in the model`);
    if (!p.isContiguous) throw new Error(`restoreCheckpoint: parameter '${n}' is not contiguous`);
    (p.data as Float32Array).set(w.data, p.offset);
  }
  for (const n of ck.weights.keys()) if (!into.params.has(n)) throw new Error(`restoreCheckpoint ${ck.path}: checkpoint has weight '${n}' that the model does not`);
  if (into.optimizer) {
    if (!ck.optimizer) throw new Error(`restoreCheckpoint ${ck.path}: checkpoint has no optimizer state`);
    into.optimizer.loadState(ck.optimizer);
  }
  for (const [k, r] of Object.entries(into.rngs ?? {})) {
    const st = ck.rngs[k];
    if (!st) throw new Error(`restoreCheckpoint ${ck.path}: no state for RNG '${k}' (saved: ${Object.keys(ck.rngs).join(', ') || 'none'})`);
    r.setState(st);
  }
}
