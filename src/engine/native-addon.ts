/**
 * Loads the native addon (native/build/Release/glassbox_native.node). Returns null, remembering why,
 * when it is missing or GLASSBOX_BACKEND=reference; the engine then runs on the reference kernels.
 * (Lead's placeholder: the native helper owns this file and may extend it, keeping these exports.)
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type NativeAddon = any;

let addon: NativeAddon | null | undefined;
let loadError: string | null = null;

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'native'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

export function loadNativeAddon(): NativeAddon | null {
  if (addon !== undefined) return addon;
  if (process.env.GLASSBOX_BACKEND === 'reference') { loadError = 'GLASSBOX_BACKEND=reference'; addon = null; return addon; }
  const path = join(findRepoRoot(), 'native', 'build', 'Release', 'glassbox_native.node');
  try {
    addon = createRequire(import.meta.url)(path);
  } catch (e) {
    loadError = `cannot load ${path}: ${(e as Error).message.split('\n')[0]}`;
    addon = null;
  }
  return addon;
}

export function nativeLoadError(): string | null { return loadError; }
