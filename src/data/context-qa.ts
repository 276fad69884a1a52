// Fact-table QA where the answer is sometimes in the given context (the RLCR paper's HotpotQA variant): each
// item has a few paragraphs of true fact sentences; for a share of items the paragraph holding the answer
// is left out, so the model must answer from memory or say it is unsure.
import { FACT_TEMPLATES, renderFact, renderQuestion } from './fact-templates.js';
import { factsOf, RELATIONS, type Fact, type Relation } from './facts.js';
import { makeRng, type Rng } from './random.js';

export type ContextQaSplit = 'train' | 'test' | 'ood';

export interface ContextQaItem {
  id: string;
  question: string;
  answer: string;
  paragraphs: string[];
  /** The paragraphs joined with blank lines. */
  context: string;
  /** False where the paragraph with the answer was left out. */
  answerInContext: boolean;
  relation: Relation;
  subject: string;
  split: ContextQaSplit;
}

export interface ContextQaOptions {
  seed: number;
  /** In-domain relations (default ['capital']); train and test use disjoint subjects. */
  relations?: readonly Relation[];
  /** Out-of-domain relations (default ['elementSymbol']). */
  oodRelations?: readonly Relation[];
  /** Items per split (defaults: train 1000, test 300, ood 300). */
  sizes?: Partial<Record<ContextQaSplit, number>>;
  /** Paragraphs per item (default 4). */
  paragraphsPerItem?: number;
  /** Share of items whose answer paragraph is missing (default 1/3, as in the paper). */
  missingFraction?: number;
  /** Share of in-domain subjects kept for test (default 0.2). */
  testSubjectFraction?: number;
}

/** Relations that describe the same kind of subject, so one paragraph can say several things about it. */
const FAMILIES: Relation[][] = [
  ['capital', 'continent', 'currency'], ['elementSymbol', 'atomicNumber'], ['animalKind'], ['plantKind'], ['birthYear'], ['stateAbbreviation'],
];
const familyOf = (r: Relation) => FAMILIES.find((f) => f.includes(r))!;

/** subject -> every fact about it in the relation's family. */
function factsBySubject(relation: Relation): Map<string, Fact[]> {
  const out = new Map<string, Fact[]>();
  for (const r of familyOf(relation)) {
    for (const f of factsOf(r)) {
      let list = out.get(f.subject);
      if (!list) out.set(f.subject, (list = []));
      list.push(f);
    }
  }
  return out;
}

/** Train templates that read as plain statements (no question-answer or "Label: value" forms), for context prose. */
const statementTemplates = (r: Relation) => FACT_TEMPLATES[r].train.filter((t) => !/[?:]/.test(t.replace(/\{[^}]*\}/g, '')));

function paragraph(rng: Rng, facts: readonly Fact[]): string {
  return rng.shuffle(facts).map((f) => renderFact(rng.pick(statementTemplates(f.relation)), f)).join(' ');
}

/** Items of all three splits; deterministic given the options. */
export function contextQaTasks(options: ContextQaOptions): ContextQaItem[] {
  const { seed, relations = ['capital'], oodRelations = ['elementSymbol'], paragraphsPerItem = 4, missingFraction = 1 / 3, testSubjectFraction = 0.2 } = options;
  const sizes: Record<ContextQaSplit, number> = { train: 1000, test: 300, ood: 300, ...options.sizes };
  for (const r of [...relations, ...oodRelations]) if (!RELATIONS.includes(r)) throw new Error(`contextQaTasks: unknown relation "${r}"`);
  if (paragraphsPerItem < 2) throw new Error(`contextQaTasks: paragraphsPerItem must be >= 2, got ${paragraphsPerItem}`);
  if (!(missingFraction >= 0 && missingFraction <= 1)) throw new Error(`contextQaTasks: missingFraction must be in [0, 1], got ${missingFraction}`);
  const rng = makeRng(seed).fork('context-qa');

  // in-domain subjects split once, per relation, into train and test
  const pools: Record<ContextQaSplit, Array<{ relation: Relation; subject: string }>> = { train: [], test: [], ood: [] };
  for (const relation of relations) {
    const subjects = rng.shuffle(factsOf(relation).map((f) => f.subject));
    const nTest = Math.max(1, Math.round(subjects.length * testSubjectFraction));
    subjects.forEach((subject, i) => pools[i < nTest ? 'test' : 'train'].push({ relation, subject }));
  }
  for (const relation of oodRelations) for (const f of factsOf(relation)) pools.ood.push({ relation, subject: f.subject });

  const families = new Map<Relation, Map<string, Fact[]>>();
  const family = (r: Relation) => families.get(r) ?? families.set(r, factsBySubject(r)).get(r)!;
  const out: ContextQaItem[] = [];
  for (const split of ['train', 'test', 'ood'] as const) {
    const n = sizes[split];
    if (n > 0 && pools[split].length === 0) throw new Error(`contextQaTasks: no subjects for split "${split}"`);
    const srng = rng.fork(split);
    for (let i = 0; i < n; i++) {
      const { relation, subject } = srng.pick(pools[split]);
      const bySubject = family(relation);
      const fact = bySubject.get(subject)!.find((f) => f.relation === relation)!;
      const distractors: string[] = [];
      const subjects = [...bySubject.keys()];
      if (subjects.length <= paragraphsPerItem) throw new Error(`contextQaTasks: relation "${relation}" has too few subjects for ${paragraphsPerItem} paragraphs`);
      for (let tries = 0; distractors.length < paragraphsPerItem; tries++) {
        if (tries > 100 * subjects.length) throw new Error(`contextQaTasks: too few distractors for "${subject}" (${relation}) that do not state "${fact.object}"`);
        const s = srng.pick(subjects);
        // a distractor must not state the answer (two countries with one capital, a name containing it)
        const statesAnswer = s.includes(fact.object) || bySubject.get(s)!.some((f) => f.object === fact.object);
        if (s !== subject && !statesAnswer && !distractors.includes(s)) distractors.push(s);
      }
      const answerInContext = srng.next() >= missingFraction;
      const chosen = answerInContext ? [subject, ...distractors.slice(0, paragraphsPerItem - 1)] : distractors;
      const paragraphs = srng.shuffle(chosen).map((s) => paragraph(srng, bySubject.get(s)!));
      out.push({
        id: `${split}/${i}`, question: renderQuestion(srng.pick(FACT_TEMPLATES[relation].questions), subject), answer: fact.object,
        paragraphs, context: paragraphs.join('\n\n'), answerInContext, relation, subject, split,
      });
    }
  }
  return out;
}
