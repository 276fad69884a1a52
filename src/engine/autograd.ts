/**
 * Tape autograd. Each differentiable op applied to a tensor that requires grad records a GradNode
 * (the op, its inputs, the tensors it saved, a backward written in terms of other ops). `backward()`
 * walks the nodes in reverse topological order, accumulating into leaves' `.grad` (and into any
 * non-leaf marked with `retainGrad()`: input embeddings, hooked activations). First order only.
 */
import type { Tensor } from './tensor.js';
import { trackNode, type ScopeFrame } from './scope.js';

let gradEnabled = true;

export function isGradEnabled(): boolean { return gradEnabled; }

/** Runs fn without recording anything for autograd. */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try { return fn(); } finally { gradEnabled = prev; }
}

export type BackwardFn = (gOut: Tensor, saved: Tensor[]) => (Tensor | null)[];

let nodeCounter = 0;

export class GradNode {
  readonly id = nodeCounter++;
  _scope: ScopeFrame | null = null;
  released = false;
  constructor(
    readonly op: string,
    readonly inputs: Tensor[],
    /** Views retained by this node (their storage stays alive until release). */
    public saved: Tensor[],
    readonly backwardFn: BackwardFn,
  ) {
    trackNode(this);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    for (const s of this.saved) s.dispose();
    this.saved = [];
  }
}

/** Records a node for `out` if grad is enabled and any input requires grad. `saved` are retained (as views). */
export function record(out: Tensor, op: string, inputs: Tensor[], saved: Tensor[], backwardFn: BackwardFn): Tensor {
  if (!gradEnabled || !inputs.some((t) => t.requiresGrad)) return out;
  out.requiresGrad = true;
  out._node = new GradNode(op, inputs, saved.map((s) => s._retainedView()), backwardFn);
  return out;
}

/** Nodes reachable from the given tensors through their histories. */
export function reachableNodes(roots: Iterable<{ _node?: GradNode | null }>): Set<GradNode> {
  const seen = new Set<GradNode>();
  const stack: GradNode[] = [];
  for (const r of roots) if (r._node) stack.push(r._node);
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const i of n.inputs) if (i._node && !seen.has(i._node)) stack.push(i._node);
  }
  return seen;
}

export interface BackwardOptions {
  /** Keep saved tensors so backward can run again through the same graph. */
  retainGraph?: boolean;
}

/**
 * Backpropagates from `root` (a scalar unless `gradOut` is given). Leaves that require grad get `.grad`
 * accumulated (created if absent); non-leaves get `.grad` only when `retainGrad()` was called on them.
 */
export function backward(root: Tensor, gradOut: Tensor | null, opts: BackwardOptions, ops: {
  onesLike: (t: Tensor) => Tensor;
  /** a + b, consuming both (each is disposed or returned). */
  sum: (a: Tensor, b: Tensor) => Tensor;
  accumulate: (dst: Tensor, g: Tensor) => void;
}): void {
  if (!root.requiresGrad) throw new Error('backward: the tensor does not require grad (no parameter or input with requiresGrad was used to compute it, or it was computed under noGrad)');
  if (!gradOut && root.size !== 1) throw new Error(`backward: gradient can be implicitly created only for scalar outputs; got shape [${root.shape}]. Pass gradOut.`);
  noGrad(() => {
    // topological order by DFS over nodes
    const order: Tensor[] = [];
    const visited = new Set<Tensor>();
    const visit = (t: Tensor) => {
      const stack: [Tensor, number][] = [[t, 0]];
      while (stack.length) {
        const top = stack[stack.length - 1];
        const [x, i] = top;
        if (i === 0) {
          if (visited.has(x)) { stack.pop(); continue; }
          visited.add(x);
        }
        const node = x._node;
        if (node && i < node.inputs.length) {
          top[1]++;
          const inp = node.inputs[i];
          if (inp.requiresGrad && !visited.has(inp)) stack.push([inp, 0]);
        } else {
          stack.pop();
          order.push(x);
        }
      }
    };
    visit(root);
    const grads = new Map<Tensor, Tensor>();
    grads.set(root, gradOut ? gradOut._retainedView() : ops.onesLike(root));
    let current: Tensor | null = null;
    try {
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k];
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      current = g;
      const node = t._node;
      if (!node || t._retainGrad) ops.accumulate(t, g);
      if (node) {
        if (node.released) throw new Error(`backward: the graph through '${node.op}' was already freed (a second backward needs { retainGraph: true }, or its scope ended)`);
        const gin = node.backwardFn(g, node.saved);
        if (gin.length !== node.inputs.length) throw new Error(`backward of '${node.op}' returned ${gin.length} grads for ${node.inputs.length} inputs`);
        for (let i = 0; i < gin.length; i++) {
          const gi = gin[i];
          const inp = node.inputs[i];
          if (!gi) continue;
          if (!inp.requiresGrad) { gi.dispose(); continue; }
          if (gi.shape.length !== inp.shape.length || gi.shape.some((d, j) => d !== inp.shape[j])) {
            throw new Error(`backward of '${node.op}': gradient shape [${gi.shape}] does not match input ${i} shape [${inp.shape}]`);
          }
          const prev = grads.get(inp);
          grads.set(inp, prev ? ops.sum(prev, gi) : gi);
        }
        if (!opts.retainGraph) node.release();
      }
      g.dispose();
      current = null;
    }
    } finally {
      current?.dispose();
      for (const g of grads.values()) g.dispose();
    }
  });
}
