/**
 * Explicit lifetimes. `scope(fn)` disposes every tensor created inside `fn` except what `fn` returns
 * (tensors found in the returned value, arrays and plain objects searched) and what was `keep()`-ed.
 * Autograd nodes created inside and no longer reachable from a surviving tensor are released too.
 * The garbage collector is never the mechanism: a training loop inside scopes holds a flat RSS.
 */

export interface Scoped {
  dispose(): void;
  /** Set by the scope machinery: the scope currently owning this object. */
  _scope: ScopeFrame | null;
}

export class ScopeFrame {
  readonly tensors = new Set<Scoped>();
  readonly nodes = new Set<{ release(): void; _scope: ScopeFrame | null }>();
}

const stack: ScopeFrame[] = [];

export function currentScope(): ScopeFrame | null {
  return stack.length ? stack[stack.length - 1] : null;
}

export function track(t: Scoped): void {
  const s = currentScope();
  t._scope = s;
  if (s) s.tensors.add(t);
}

export function untrack(t: Scoped): void {
  if (t._scope) t._scope.tensors.delete(t);
  t._scope = null;
}

/** Collects the Scoped values reachable from a returned value (tensors, arrays, Maps, plain objects). */
function collect(v: unknown, out: Set<Scoped>, seen: Set<unknown>, isScoped: (x: unknown) => x is Scoped): void {
  if (v === null || typeof v !== 'object' || seen.has(v)) return;
  seen.add(v);
  if (isScoped(v)) { out.add(v); return; }
  if (Array.isArray(v)) { for (const x of v) collect(x, out, seen, isScoped); return; }
  if (v instanceof Map) { for (const x of v.values()) collect(x, out, seen, isScoped); return; }
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) for (const x of Object.values(v as object)) collect(x, out, seen, isScoped);
}

type ScopeHooks = {
  isScoped: (x: unknown) => x is Scoped;
  /** Nodes reachable from the surviving tensors (their autograd history), which must not be released. */
  liveNodes: (survivors: Iterable<Scoped>) => Set<unknown>;
};
let hooks: ScopeHooks | null = null;
export function installScopeHooks(h: ScopeHooks): void { hooks = h; }

export function scope<T>(fn: () => T): T {
  if (!hooks) throw new Error('scope: engine not initialised');
  const frame = new ScopeFrame();
  stack.push(frame);
  let result: T;
  let ok = false;
  try {
    result = fn();
    if (result instanceof Promise) throw new Error('scope(fn): fn returned a Promise; scopes are synchronous (use them inside each await step)');
    ok = true;
  } finally {
    stack.pop();
    const parent = currentScope();
    const keep = new Set<Scoped>();
    if (ok) collect(result!, keep, new Set(), hooks.isScoped);
    for (const t of frame.tensors) {
      if (keep.has(t)) { t._scope = parent; if (parent) parent.tensors.add(t); } else { t._scope = null; t.dispose(); }
    }
    const live = ok ? hooks.liveNodes(keep) : new Set<unknown>();
    for (const n of frame.nodes) {
      if (live.has(n)) { n._scope = parent; if (parent) parent.nodes.add(n); } else n.release();
    }
  }
  return result!;
}

/** Registers an autograd node with the current scope (released when the scope ends and nothing needs it). */
export function trackNode(n: { release(): void; _scope: ScopeFrame | null }): void {
  const s = currentScope();
  n._scope = s;
  if (s) s.nodes.add(n);
}
