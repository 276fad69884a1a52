// Prose documents from every text source, in one shape, in a fixed canonical order: SOTU addresses,
// Moby-Dick sections, Brown texts, WordNet glosses (grouped into pages) and Factbook entries.
import { loadBrown } from './sources/brown.js';
import { factbookDocument, loadFactbook } from './sources/factbook.js';
import { loadMobyDick } from './sources/moby-dick.js';
import { loadSotu } from './sources/sotu.js';
import { loadWordnet } from './sources/wordnet.js';

export const PROSE_SOURCES = ['sotu', 'mobyDick', 'brown', 'wordnet', 'factbook'] as const;
export type ProseSource = (typeof PROSE_SOURCES)[number];

export interface ProseDocument {
  /** "<source>/<id within source>", unique, e.g. "sotu/1790_george_washington_n". */
  id: string;
  source: ProseSource;
  /** Paragraphs separated by blank lines. */
  text: string;
}

const POS_NAMES: Record<string, string> = { n: 'noun', v: 'verb', a: 'adjective', s: 'adjective', r: 'adverb' };

/** WordNet glosses as dictionary pages of `perPage` consecutive synsets: "dog, domestic dog (noun): a member of ...". */
function wordnetPages(perPage: number): ProseDocument[] {
  const pages: ProseDocument[] = [];
  const synsets = loadWordnet().synsets;
  for (let i = 0; i < synsets.length; i += perPage) {
    const lines = synsets.slice(i, i + perPage).map((s) => `${s.words.slice(0, 3).join(', ')} (${POS_NAMES[s.pos]}): ${s.gloss}`);
    pages.push({ id: `wordnet/${synsets[i]!.key}`, source: 'wordnet', text: lines.join('\n\n') });
  }
  return pages;
}

/** The documents of the chosen sources (default: all), in canonical order. */
export function proseDocuments(sources: readonly ProseSource[] = PROSE_SOURCES): ProseDocument[] {
  const out: ProseDocument[] = [];
  for (const source of sources) {
    switch (source) {
      case 'sotu':
        for (const a of loadSotu()) out.push({ id: `sotu/${a.id}`, source, text: `State of the Union Address, ${a.president}, ${a.year}\n\n${a.text}` });
        break;
      case 'mobyDick':
        for (const s of loadMobyDick()) out.push({ id: `mobyDick/${s.id}`, source, text: s.text });
        break;
      case 'brown':
        for (const t of loadBrown()) out.push({ id: `brown/${t.id}`, source, text: t.text });
        break;
      case 'wordnet':
        out.push(...wordnetPages(50));
        break;
      case 'factbook':
        for (const e of loadFactbook()) out.push({ id: `factbook/${e.region}/${e.code}`, source, text: factbookDocument(e) });
        break;
      default:
        throw new Error(`unknown prose source "${String(source)}"; known: ${PROSE_SOURCES.join(', ')}`);
    }
  }
  return out;
}
