// Corpus recipes for the organism sizes: how much prose and which facts, how often. Fewer facts with many
// exposures, because a 5.8M-parameter model recalled almost nothing at ~34 exposures per fact and 43% of
// element symbols at ~90 (issue 5's PyTorch reference).
import type { CorpusOptions, FactSelection } from '../data/index.js';

export type OrganismSize = 'tiny' | 'small';

export interface CorpusPreset {
  /** Prose characters in train (~4 characters per token with a 4k byte-level BPE). */
  maxProseChars: number;
  maxHeldOutChars: number;
  facts: FactSelection;
  factRepeats: number;
  /** Tokenizer vocabulary size for this organism. */
  vocabSize: number;
}

export const CORPUS_PRESETS: Record<OrganismSize, CorpusPreset> = {
  tiny: {
    maxProseChars: 10_000_000,
    maxHeldOutChars: 400_000,
    facts: { elementSymbol: 'all', capital: 60, animalKind: 60, birthYear: 40 },
    factRepeats: 100,
    vocabSize: 4096,
  },
  small: {
    maxProseChars: 40_000_000,
    maxHeldOutChars: 1_000_000,
    facts: { elementSymbol: 'all', atomicNumber: 'all', capital: 'all', continent: 'all', animalKind: 300, birthYear: 300, stateAbbreviation: 'all' },
    factRepeats: 100,
    vocabSize: 8192,
  },
};

/** buildCorpus options for an organism size; `overrides` wins over the preset. */
export function organismCorpusOptions(size: OrganismSize, seed: number, overrides: Partial<CorpusOptions> = {}): CorpusOptions {
  const preset = CORPUS_PRESETS[size];
  if (!preset) throw new Error(`unknown organism size "${size}"; known: ${Object.keys(CORPUS_PRESETS).join(', ')}`);
  const { vocabSize: _vocab, ...corpus } = preset;
  return { seed, ...corpus, ...overrides };
}
