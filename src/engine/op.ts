/**
 * The op table. Every op is a function in ops/*.ts that computes its output with the current kernels
 * and records its backward (written with other ops, so it runs on any backend). Each op registers here
 * with test cases; the cross-backend harness (test/engine/ops-harness.test.ts) enumerates this table,
 * so an op cannot be added without being checked forward, backward and against finite differences.
 */
import type { Tensor } from './tensor.js';

export interface OpCase {
  /** Short description of the shapes / attributes. */
  label: string;
  /** Inputs; f32 inputs listed in `diff` are differentiated. Built fresh for each backend run. */
  make(rng: () => number): Tensor[];
  run(inputs: Tensor[]): Tensor;
  /** Indices of inputs to check gradients for (default: all f32 inputs). Empty = forward only. */
  diff?: number[];
  /** Skip finite differences (non-smooth points, argmax-like ops). */
  noFiniteDiff?: boolean;
  /** Forward tolerance (relative to max |value|) between backends; default 1e-5. */
  tol?: number;
}

export interface OpSpec {
  name: string;
  differentiable: boolean;
  cases: OpCase[];
}

export const OP_TABLE: OpSpec[] = [];

export function defineOp(spec: OpSpec): void {
  if (OP_TABLE.some((o) => o.name === spec.name)) throw new Error(`defineOp: '${spec.name}' declared twice`);
  if (spec.cases.length === 0) throw new Error(`defineOp: '${spec.name}' has no test cases`);
  OP_TABLE.push(spec);
}
