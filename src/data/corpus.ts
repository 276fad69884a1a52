// Builds the training corpus for the organisms: prose from the data packages (deduplicated, split into
// train / held-out by source document, chunked) plus true-fact sentences repeated on purpose, and the cloze
// prompts that measure fact recall. A pure function of its options: same seed, same corpus.
import { createHash } from 'node:crypto';
import { chunkText } from './chunk.js';
import { factPrompts, trainSentences, type FactPrompt } from './fact-templates.js';
import { selectFacts, type Fact, type FactSelection } from './facts.js';
import { PROSE_SOURCES, proseDocuments, type ProseSource } from './prose.js';
import { makeRng } from './random.js';
import { normalizeForDedup } from './text-hash.js';

export interface CorpusOptions {
  seed: number;
  /** Prose sources to use (default: all of PROSE_SOURCES). */
  sources?: readonly ProseSource[];
  /** Budget of prose characters in train (chunks are taken in seeded random order until it is met). Default: no cap. */
  maxProseChars?: number;
  /** Cap on held-out prose characters. Default: no cap. */
  maxHeldOutChars?: number;
  /** Share of source documents held out (default 0.05). */
  heldOutFraction?: number;
  /** Chunk length in characters for long documents (default 4000; 0 keeps documents whole). */
  chunkChars?: number;
  /** Paragraphs whose normalised text is at least this long are deduplicated across the corpus (default 32). */
  minDedupChars?: number;
  /** Which facts to teach, e.g. { elementSymbol: 'all', capital: 50 }. Default: none. */
  facts?: FactSelection;
  /** Exposures per fact in train, spread evenly over the relation's train templates (default 50). */
  factRepeats?: number;
  /** Fact sentences per fact document (default 8). */
  factsPerDocument?: number;
}

export interface SourceStats {
  documents: number;
  trainChars: number;
  trainWords: number;
  heldOutChars: number;
  heldOutWords: number;
}

export interface CorpusStats {
  bySource: Partial<Record<ProseSource, SourceStats>>;
  duplicateDocuments: number;
  duplicateParagraphs: number;
  trainProseChars: number;
  heldOutChars: number;
  factCount: number;
  factSentences: number;
  factChars: number;
  /** SHA-256 over train and held-out texts: the data hash a training run records. */
  hash: string;
}

export interface Corpus {
  /** Prose chunks and fact documents, shuffled together. */
  train: string[];
  /** Held-out prose chunks (documents never seen in train). */
  heldOut: string[];
  /** Cloze prompts for every chosen fact under its train and held-out templates. */
  factEval: FactPrompt[];
  facts: Fact[];
  stats: CorpusStats;
}

const countWords = (text: string) => (text.match(/\S+/g) ?? []).length;

/** Drops repeated documents and repeated paragraphs (by normalised hash), keeping first occurrences. */
export function dedupDocuments<T extends { text: string }>(docs: readonly T[], minParagraphChars = 32): { docs: T[]; duplicateDocuments: number; duplicateParagraphs: number } {
  const seenDocs = new Set<string>();
  const seenParagraphs = new Set<string>();
  const out: T[] = [];
  let duplicateDocuments = 0, duplicateParagraphs = 0;
  for (const doc of docs) {
    const paragraphs = doc.text.split(/\n\s*\n/).map((p) => ({ p: p.trim(), norm: normalizeForDedup(p) })).filter((x) => x.norm !== '');
    // the document's normalised text is its paragraphs' normalised texts joined, so hash that
    const h = createHash('sha1').update(paragraphs.map((x) => x.norm).join(' ')).digest('hex');
    if (seenDocs.has(h)) { duplicateDocuments++; continue; }
    seenDocs.add(h);
    const kept: string[] = [];
    for (const { p, norm } of paragraphs) {
      if (norm.length >= minParagraphChars) {
        const ph = createHash('sha1').update(norm).digest('hex');
        if (seenParagraphs.has(ph)) { duplicateParagraphs++; continue; }
        seenParagraphs.add(ph);
      }
      kept.push(p);
    }
    if (kept.length > 0) out.push({ ...doc, text: kept.join('\n\n') });
  }
  return { docs: out, duplicateDocuments, duplicateParagraphs };
}

/** Whether a source document goes to held-out: a seeded coin per document id, independent of the other documents. */
export function isHeldOut(seed: number, docId: string, fraction: number): boolean {
  return makeRng(`${seed}|heldout|${docId}`).next() < fraction;
}

/** The corpus for `options` (takes a few seconds for all sources; deterministic given the options). */
export function buildCorpus(options: CorpusOptions): Corpus {
  const {
    seed, sources = PROSE_SOURCES, maxProseChars = Infinity, maxHeldOutChars = Infinity, heldOutFraction = 0.05,
    chunkChars = 4000, minDedupChars = 32, facts: selection = {}, factRepeats = 50, factsPerDocument = 8,
  } = options;
  if (!Number.isInteger(seed)) throw new Error(`buildCorpus: seed must be an integer, got ${seed}`);
  if (!(heldOutFraction >= 0 && heldOutFraction < 1)) throw new Error(`buildCorpus: heldOutFraction must be in [0, 1), got ${heldOutFraction}`);
  if (!Number.isInteger(factRepeats) || factRepeats < 0) throw new Error(`buildCorpus: factRepeats must be a non-negative integer, got ${factRepeats}`);
  if (!Number.isInteger(factsPerDocument) || factsPerDocument < 1) throw new Error(`buildCorpus: factsPerDocument must be >= 1, got ${factsPerDocument}`);
  const rng = makeRng(seed);

  const { docs, duplicateDocuments, duplicateParagraphs } = dedupDocuments(proseDocuments(sources), minDedupChars);
  const bySource: Partial<Record<ProseSource, SourceStats>> = {};
  for (const s of sources) bySource[s] = { documents: 0, trainChars: 0, trainWords: 0, heldOutChars: 0, heldOutWords: 0 };

  type Chunk = { source: ProseSource; text: string };
  const trainChunks: Chunk[] = [];
  const heldOutChunks: Chunk[] = [];
  for (const doc of docs) {
    bySource[doc.source]!.documents++;
    const side = isHeldOut(seed, doc.id, heldOutFraction) ? heldOutChunks : trainChunks;
    for (const text of chunkText(doc.text, chunkChars)) side.push({ source: doc.source, text });
  }

  const take = (chunks: Chunk[], budget: number, label: string, heldOut: boolean): string[] => {
    const out: string[] = [];
    let total = 0;
    for (const c of rng.fork(label).shuffle(chunks)) {
      if (total + c.text.length > budget) continue;
      total += c.text.length;
      out.push(c.text);
      const st = bySource[c.source]!;
      if (heldOut) { st.heldOutChars += c.text.length; st.heldOutWords += countWords(c.text); }
      else { st.trainChars += c.text.length; st.trainWords += countWords(c.text); }
    }
    return out;
  };
  const trainProse = take(trainChunks, maxProseChars, 'train-prose', false);
  const heldOut = take(heldOutChunks, maxHeldOutChars, 'heldout-prose', true);

  const facts = selectFacts(selection);
  const factRng = rng.fork('facts');
  const sentences: string[] = [];
  for (const fact of facts) sentences.push(...trainSentences(fact, factRepeats, factRng.int(0, 1000)));
  const shuffled = factRng.shuffle(sentences);
  const factDocs: string[] = [];
  for (let i = 0; i < shuffled.length; i += factsPerDocument) factDocs.push(shuffled.slice(i, i + factsPerDocument).join(' '));

  const train = rng.fork('train-order').shuffle([...trainProse, ...factDocs]);
  const hash = createHash('sha256');
  for (const t of train) hash.update(t).update('\u0000');
  hash.update('\u0001heldout\u0001');
  for (const t of heldOut) hash.update(t).update('\u0000');

  return {
    train, heldOut, factEval: factPrompts(facts), facts,
    stats: {
      bySource, duplicateDocuments, duplicateParagraphs,
      trainProseChars: trainProse.reduce((a, t) => a + t.length, 0),
      heldOutChars: heldOut.reduce((a, t) => a + t.length, 0),
      factCount: facts.length, factSentences: sentences.length,
      factChars: factDocs.reduce((a, t) => a + t.length, 0),
      hash: hash.digest('hex'),
    },
  };
}
