// Loader for states-us: the 50 US states plus DC and territories, with postal abbreviations.
// Licence: MIT (the states-us authors).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageDir } from './package-dir.js';

export interface UsState {
  name: string;
  /** Two-letter postal abbreviation, e.g. "TX". */
  abbreviation: string;
  territory: boolean;
  contiguous: boolean;
}

let cache: UsState[] | undefined;

/** All 57 states and territories, in the package's (alphabetical) order. */
export function loadStates(): UsState[] {
  if (cache) return cache;
  const path = join(packageDir('states-us'), 'dist', 'index.js');
  const mod = createRequire(import.meta.url)(path) as { states?: unknown };
  if (!Array.isArray(mod.states)) throw new Error(`${path}: expected an exported "states" array`);
  cache = (mod.states as UsState[]).map((s) => ({ name: s.name, abbreviation: s.abbreviation, territory: !!s.territory, contiguous: !!s.contiguous }));
  return cache;
}
