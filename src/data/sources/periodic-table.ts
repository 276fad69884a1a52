// Loader for periodic-table: the 118 chemical elements with symbol, atomic number and 17 more fields.
// Licence: ISC (Mark Gibson). Reads the package's data.json directly.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageDir } from './package-dir.js';

export interface Element {
  atomicNumber: number;
  symbol: string;
  name: string;
  /** Standard atomic weight as printed, e.g. "196.966569(4)". */
  atomicMass: string;
  /** "solid" | "liquid" | "gas" | "" */
  standardState: string;
  /** e.g. "transition metal", "noble gas". */
  groupBlock: string;
  /** A year, or "Ancient". */
  yearDiscovered: string;
  /** Kelvin, when known. */
  meltingPoint?: number;
  boilingPoint?: number;
  electronicConfiguration: string;
}

let cache: Element[] | undefined;

/** All elements, by atomic number. */
export function loadElements(): Element[] {
  if (cache) return cache;
  const path = join(packageDir('periodic-table'), 'data.json');
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Array<Record<string, any>>;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  cache = raw.map((e, i) => {
    if (typeof e.atomicNumber !== 'number' || typeof e.symbol !== 'string' || typeof e.name !== 'string') {
      throw new Error(`${path}: element #${i} lacks atomicNumber, symbol or name`);
    }
    const out: Element = {
      atomicNumber: e.atomicNumber, symbol: e.symbol.trim(), name: e.name.trim(),
      atomicMass: String(e.atomicMass ?? ''), standardState: String(e.standardState ?? ''),
      groupBlock: String(e.groupBlock ?? ''), yearDiscovered: String(e.yearDiscovered ?? ''),
      electronicConfiguration: String(e.electronicConfiguration ?? ''),
    };
    const mp = num(e.meltingPoint), bp = num(e.boilingPoint);
    if (mp !== undefined) out.meltingPoint = mp;
    if (bp !== undefined) out.boilingPoint = bp;
    return out;
  }).sort((a, b) => a.atomicNumber - b.atomicNumber);
  return cache;
}
