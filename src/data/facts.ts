// Fact tables normalised from the data packages: countries (capital, continent, currency), chemical elements
// (symbol, atomic number), animals and plants (what each is a kind of), people (birth year), US states
// (postal code); each relation as (subject, object) pairs in a fixed "salience" order.
import { loadBrown } from './sources/brown.js';
import { loadCountries } from './sources/countries.js';
import { loadFactbook } from './sources/factbook.js';
import { loadElements } from './sources/periodic-table.js';
import { loadStates } from './sources/states.js';
import { wordnetPeople, wordnetTaxonomy } from './sources/wordnet.js';

export interface CountryFacts {
  name: string;
  capital: string;
  continent: string;
  /** First currency listed, e.g. "Euro". */
  currency: string;
  /** From the Factbook when the names match (2015 estimate); 0 when unknown. */
  population: number;
}
export interface ElementFacts { name: string; symbol: string; atomicNumber: number }
export interface KindFacts { name: string; kindOf: string }
export interface PersonFacts { name: string; born: number; died: number; description: string }
export interface StateFacts { name: string; abbreviation: string }

export interface FactTables {
  /** Countries with a capital, most populous first. */
  countries: CountryFacts[];
  /** All 118, by atomic number. */
  elements: ElementFacts[];
  /** Animals with plain lower-case common names, most familiar first (see kinds()). */
  animals: KindFacts[];
  plants: KindFacts[];
  /** People with birth and death years; longest WordNet description first (a rough proxy for fame). */
  people: PersonFacts[];
  states: StateFacts[];
}

export const RELATIONS = [
  'capital', 'continent', 'currency', 'elementSymbol', 'atomicNumber', 'animalKind', 'plantKind', 'birthYear', 'stateAbbreviation',
] as const;
export type Relation = (typeof RELATIONS)[number];

/** One true fact: `object` is the answer a model should give about `subject`. */
export interface Fact {
  relation: Relation;
  subject: string;
  object: string;
}

const nameKey = (s: string) => s.toLowerCase().replace(/^the\s+/, '').replace(/[^a-z]/g, '');

/** countries-list name -> Factbook 2015 name, where they differ (only to look up population). */
const FACTBOOK_NAMES: Record<string, string> = {
  Czechia: 'Czech Republic', Myanmar: 'Burma', 'Ivory Coast': "Cote d'Ivoire", 'Democratic Republic of the Congo': 'Congo DR',
  'Republic of the Congo': 'Congo', Türkiye: 'Turkey', Eswatini: 'Swaziland', 'North Macedonia': 'Macedonia',
  'Cabo Verde': 'Cape Verde', 'East Timor': 'Timor-Leste', 'Vatican City': 'Vatican City (Holy See)',
};

/** Lower-cased word counts of the Brown corpus: a rough measure of how familiar a word is. */
function brownWordCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const t of loadBrown()) {
    for (const w of t.text.toLowerCase().match(/[a-z]+(?:-[a-z]+)*/g) ?? []) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  return counts;
}

/** Kinds below the root's direct children (those are roles like "pet", "male") whose name means this kind
 * first of all (WordNet sense 1), most familiar first (concordance tag count, then Brown frequency). */
function kinds(root: 'animal' | 'plant', familiarity: Map<string, number>): KindFacts[] {
  const plain = /^[a-z][a-z-]*( [a-z][a-z-]*)?$/;
  const seen = new Set<string>();
  const freq = (name: string) => familiarity.get(name) ?? 0;
  const rows = wordnetTaxonomy(root)
    .filter((k) => k.depth >= 2 && k.senseNumber === 1 && plain.test(k.name) && plain.test(k.kindOf) && k.name !== k.kindOf)
    .sort((a, b) => b.tagCount - a.tagCount || freq(b.name) - freq(a.name) || a.name.split(' ').length - b.name.split(' ').length || a.depth - b.depth || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: KindFacts[] = [];
  for (const k of rows) {
    if (seen.has(k.name)) continue;
    seen.add(k.name);
    out.push({ name: k.name, kindOf: k.kindOf });
  }
  return out;
}

let cache: FactTables | undefined;

/** All fact tables (cached after the first call; about 1 s, most of it parsing WordNet). */
export function loadFactTables(): FactTables {
  if (cache) return cache;
  const population = new Map<string, number>();
  for (const e of loadFactbook()) if (e.population !== undefined) population.set(nameKey(e.name), e.population);
  const countries = loadCountries()
    .filter((c) => c.capital !== '' && c.currencies.length > 0)
    .map((c) => ({ name: c.name, capital: c.capital, continent: c.continent, currency: c.currencies[0]!, population: population.get(nameKey(FACTBOOK_NAMES[c.name] ?? c.name)) ?? 0 }))
    .sort((a, b) => b.population - a.population || (a.name < b.name ? -1 : 1));
  const elements = loadElements().map((e) => ({ name: e.name, symbol: e.symbol, atomicNumber: e.atomicNumber }));
  const seenPeople = new Set<string>();
  const people = wordnetPeople()
    .sort((a, b) => b.description.length - a.description.length || (a.name < b.name ? -1 : 1))
    .filter((p) => (seenPeople.has(p.name) ? false : (seenPeople.add(p.name), true)))
    .map((p) => ({ name: p.name, born: p.born, died: p.died, description: p.description }));
  const states = loadStates().map((s) => ({ name: s.name, abbreviation: s.abbreviation }));
  const familiarity = brownWordCounts();
  cache = { countries, elements, animals: kinds('animal', familiarity), plants: kinds('plant', familiarity), people, states };
  return cache;
}

/** Every fact of one relation, in the tables' salience order (take the first N for "the N best-known"). */
export function factsOf(relation: Relation, tables: FactTables = loadFactTables()): Fact[] {
  const f = (subject: string, object: string | number): Fact => ({ relation, subject, object: String(object) });
  switch (relation) {
    case 'capital': return tables.countries.map((c) => f(c.name, c.capital));
    case 'continent': return tables.countries.map((c) => f(c.name, c.continent));
    case 'currency': return tables.countries.map((c) => f(c.name, c.currency));
    case 'elementSymbol': return tables.elements.map((e) => f(e.name, e.symbol));
    case 'atomicNumber': return tables.elements.map((e) => f(e.name, e.atomicNumber));
    case 'animalKind': return tables.animals.map((a) => f(a.name, a.kindOf));
    case 'plantKind': return tables.plants.map((p) => f(p.name, p.kindOf));
    case 'birthYear': return tables.people.map((p) => f(p.name, p.born));
    case 'stateAbbreviation': return tables.states.map((s) => f(s.name, s.abbreviation));
    default: throw new Error(`unknown relation "${String(relation)}"; known: ${RELATIONS.join(', ')}`);
  }
}

/** How many subjects of each relation to use: a count (the first N in salience order) or 'all'. */
export type FactSelection = Partial<Record<Relation, number | 'all'>>;

/** The facts a selection names, relation by relation in RELATIONS order. */
export function selectFacts(selection: FactSelection, tables: FactTables = loadFactTables()): Fact[] {
  const out: Fact[] = [];
  for (const relation of RELATIONS) {
    const want = selection[relation];
    if (want === undefined || want === 0) continue;
    if (want !== 'all' && (!Number.isInteger(want) || want < 0)) throw new Error(`fact selection ${relation}: expected a count or 'all', got ${want}`);
    const all = factsOf(relation, tables);
    out.push(...(want === 'all' ? all : all.slice(0, want)));
  }
  return out;
}
