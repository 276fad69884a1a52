// Public API of the data layer: JSONL datasets with schemas, loaders for the npm data packages, fact tables
// and templates, the organism corpus, and synthetic calibration tasks (arithmetic, context QA).
export { readJsonl, readJsonlWith, readDataset, writeJsonl, type JsonlRecord } from './jsonl.js';
export { EvalItemSchema, describeIssues, answersOf, type EvalItem, type DatasetItem } from './schema.js';
export { makeRng, hash32, type Rng } from './random.js';
export { normalizeForDedup, normalizedHash } from './text-hash.js';
export { chunkText } from './chunk.js';
export { loadSotu, type SotuAddress } from './sources/sotu.js';
export { loadMobyDick, type MobyDickSection } from './sources/moby-dick.js';
export { loadBrown, untagBrownSentence, type BrownText } from './sources/brown.js';
export {
  loadWordnet, parseWordnetLine, wordnetTaxonomy, wordnetPeople, wordnetSenses, WORDNET_LEX_FILES,
  type WordnetSynset, type WordnetKind, type WordnetPerson, type WordnetPos,
} from './sources/wordnet.js';
export { loadFactbook, factbookDocument, type FactbookEntry, type FactbookField, type FactbookKind } from './sources/factbook.js';
export { loadCountries, type Country } from './sources/countries.js';
export { loadElements, type Element } from './sources/periodic-table.js';
export { loadStates, type UsState } from './sources/states.js';
export { packageDir } from './sources/package-dir.js';
export {
  loadFactTables, factsOf, selectFacts, RELATIONS,
  type Fact, type FactSelection, type FactTables, type Relation, type CountryFacts, type ElementFacts, type KindFacts, type PersonFacts, type StateFacts,
} from './facts.js';
export {
  FACT_TEMPLATES, factPrompts, renderCloze, renderFact, renderQuestion, trainSentences,
  type FactPrompt, type RelationTemplates, type TemplateSplit,
} from './fact-templates.js';
export { PROSE_SOURCES, proseDocuments, type ProseDocument, type ProseSource } from './prose.js';
export { buildCorpus, dedupDocuments, isHeldOut, type Corpus, type CorpusOptions, type CorpusStats, type SourceStats } from './corpus.js';
export { arithmeticTasks, ARITHMETIC_SPLITS, type ArithmeticItem, type ArithmeticOptions, type ArithmeticOp, type ArithmeticSplit } from './arithmetic.js';
export { contextQaTasks, type ContextQaItem, type ContextQaOptions, type ContextQaSplit } from './context-qa.js';
