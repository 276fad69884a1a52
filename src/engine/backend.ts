/**
 * Which kernel set ops run on: the native addon (default when it loads) or the TypeScript reference.
 * GLASSBOX_BACKEND=reference forces the reference kernels. Tests switch with `withBackend`.
 */
import type { Kernels } from './kernels.js';
import { referenceKernels } from './backends/reference.js';
import { loadNativeAddon, nativeLoadError } from './native-addon.js';
import { createNativeKernels } from './backends/native.js';

let nativeKernels: Kernels | null | undefined;
let current: Kernels | undefined;

export function getNativeKernels(): Kernels | null {
  if (nativeKernels === undefined) {
    const addon = loadNativeAddon();
    nativeKernels = addon ? createNativeKernels(addon) : null;
  }
  return nativeKernels;
}

/** The kernels ops use now. */
export function K(): Kernels {
  if (!current) current = process.env.GLASSBOX_BACKEND === 'reference' ? referenceKernels : (getNativeKernels() ?? referenceKernels);
  return current;
}

export type BackendName = 'reference' | 'native';

export function setBackend(name: BackendName): void {
  if (name === 'reference') { current = referenceKernels; return; }
  const n = getNativeKernels();
  if (!n) throw new Error(`setBackend('native'): the native addon is not available (${nativeLoadError() ?? 'unknown reason'}); run \`npm run build:native\``);
  current = n;
}

export function backendName(): BackendName { return K().name; }

export function withBackend<T>(name: BackendName, fn: () => T): T {
  const prev = K();
  setBackend(name);
  try { return fn(); } finally { current = prev; }
}
