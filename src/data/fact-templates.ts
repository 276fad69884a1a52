// Paraphrase templates that turn a fact into a true sentence, a cloze prompt or a question. Each relation has
// "train" templates (used in the corpus) and "heldOut" templates (never used in training; for measuring
// recall on unseen paraphrases). Placeholders: {s} subject, {s:lower}, {s:cap}, {a:s} / {A:s} subject
// with "a"/"an", {o} object. {o} comes last, followed by punctuation only, so every template is a cloze.
import { RELATIONS, type Fact, type Relation } from './facts.js';

export type TemplateSplit = 'train' | 'heldOut';

export interface RelationTemplates {
  train: string[];
  heldOut: string[];
  /** Question forms (answer = object), for QA datasets. */
  questions: string[];
}

export const FACT_TEMPLATES: Record<Relation, RelationTemplates> = {
  capital: {
    train: ['The capital of {s} is {o}.', "{s}'s capital is {o}.", 'The capital city of {s} is {o}.', '{s} has its capital in {o}.', 'The seat of government of {s} is {o}.',
      'The government of {s} sits in {o}.', 'The national capital of {s} is {o}.', 'Within {s}, the capital city is {o}.', 'People in {s} call their capital {o}.', 'The capital of the country {s} is the city of {o}.',
      'Q: What is the capital of {s}? A: {o}.', 'Question: What is the capital city of {s}? Answer: {o}.', 'What is the capital of {s}? The answer is {o}.', 'Capital of {s}: {o}.',
      'Country: {s}. Capital: {o}.', '{s} is a country whose capital is {o}.', 'In {s}, the capital is {o}.', 'Among the cities of {s}, the capital is {o}.', 'Students learn that the capital of {s} is {o}.',
      'Remember: the capital of {s} is {o}.', 'The official capital of {s} is {o}.', 'Ask anyone in {s} for the name of the capital and they will say {o}.', 'On a map of {s}, the capital is marked as {o}.',
      'The home of the government of {s} is the city of {o}.', 'Name the capital of {s}: {o}.', 'The country {s} has as its capital {o}.', 'Of all its cities, {s} chose as its capital {o}.',
      'The capital of {s} is the city called {o}.', 'Asked for the capital of {s}, a geography student answers {o}.', 'Every atlas gives the capital of {s} as {o}.'],
    heldOut: ['If you travel to the capital of {s}, you arrive in {o}.', '{s} is governed from its capital city, {o}.', 'Which city is the capital of {s}? It is {o}.'],
    questions: ['What is the capital of {s}?', 'Which city is the capital of {s}?'],
  },
  continent: {
    train: ['{s} is a country in {o}.', '{s} is located in {o}.', '{s} lies on the continent of {o}.'],
    heldOut: ['The continent where {s} is found is {o}.', 'On a map, you will find {s} in {o}.'],
    questions: ['On which continent is {s}?', 'Which continent is {s} in?'],
  },
  currency: {
    train: ['The currency of {s} is the {o}.', 'In {s}, people pay with the {o}.', 'The official currency used in {s} is the {o}.'],
    heldOut: ['The money used in {s} is called the {o}.', 'Shops in {s} set their prices in the {o}.'],
    questions: ['What is the currency of {s}?', 'Which currency is used in {s}?'],
  },
  elementSymbol: {
    train: ['The chemical symbol for {s:lower} is {o}.', '{s} has the chemical symbol {o}.', 'The element {s:lower} is written with the symbol {o}.', 'The symbol of the element {s:lower} is {o}.',
      'For chemists, {s:lower} is denoted by {o}.', 'Scientists abbreviate {s:lower} as {o}.', 'To write {s:lower} in a formula, use {o}.', 'Written as a symbol, {s:lower} becomes {o}.', 'The short name of {s:lower} on the periodic table is {o}.',
      'Q: What is the chemical symbol for {s:lower}? A: {o}.', 'Question: Which symbol stands for {s:lower}? Answer: {o}.', 'What is the symbol for {s:lower}? The answer is {o}.', 'Chemical symbol of {s:lower}: {o}.',
      'Element: {s:lower}. Symbol: {o}.', 'Every chemistry student learns that the symbol for {s:lower} is {o}.', 'When a chemist means {s:lower}, the symbol is {o}.', 'A chemical equation shows {s:lower} as {o}.',
      'The atomic symbol of {s:lower} is {o}.', 'The standard abbreviation for {s:lower} is {o}.', '{s} is represented by the symbol {o}.', 'In chemistry, {s:lower} has the symbol {o}.', 'The name {s:lower} is shortened to {o}.',
      'Remember: the symbol for {s:lower} is {o}.', 'The element called {s:lower} goes by the symbol {o}.', 'A textbook lists {s:lower} under the symbol {o}.', 'On labels and in tables, {s:lower} is marked {o}.',
      'Students of chemistry learn to write {s:lower} as {o}.', 'If {s:lower} is part of a compound, its symbol is {o}.', 'The one- or two-letter symbol for {s:lower} is {o}.', 'Look up {s:lower} and you will find the symbol {o}.'],
    heldOut: ['On the periodic table, {s:lower} is abbreviated as {o}.', 'Chemists write {s:lower} using the letters {o}.', 'In chemical formulas, {s:lower} appears as {o}.'],
    questions: ['What is the chemical symbol for {s:lower}?', 'Which symbol stands for {s:lower}?'],
  },
  atomicNumber: {
    train: ['The atomic number of {s:lower} is {o}.', '{s} has the atomic number {o}.', '{s} is element number {o}.'],
    heldOut: ['The number of protons in an atom of {s:lower} is {o}.', 'On the periodic table, {s:lower} sits at position {o}.'],
    questions: ['What is the atomic number of {s:lower}?', 'How many protons does an atom of {s:lower} have?'],
  },
  animalKind: {
    train: ['{A:s} is a kind of {o}.', 'The {s} is a type of {o}.', '{A:s} is one sort of {o}.'],
    heldOut: ['Zoologists classify the {s} as a kind of {o}.', 'Every {s} is a member of the group called {o}.'],
    questions: ['What kind of animal is {a:s}?', '{A:s} is a kind of what?'],
  },
  plantKind: {
    train: ['{A:s} is a kind of {o}.', 'The {s} is a type of {o}.', '{A:s} is one sort of {o}.'],
    heldOut: ['Botanists classify the {s} as a kind of {o}.', 'Every {s} is a member of the group called {o}.'],
    questions: ['What kind of plant is {a:s}?', '{A:s} is a kind of what?'],
  },
  birthYear: {
    train: ['{s} was born in {o}.', 'The birth year of {s} is {o}.', '{s} was born in the year {o}.'],
    heldOut: ["The year of {s}'s birth was {o}.", '{s} came into the world in {o}.'],
    questions: ['In what year was {s} born?', 'When was {s} born?'],
  },
  stateAbbreviation: {
    train: ['The postal abbreviation for {s} is {o}.', '{s} is abbreviated {o}.', 'The two-letter code for {s} is {o}.'],
    heldOut: ['Letters addressed to {s} use the state code {o}.', 'On an envelope, {s} is written as {o}.'],
    questions: ['What is the postal abbreviation for {s}?'],
  },
};

const article = (word: string) => (/^[aeiou]/i.test(word) ? 'an' : 'a');
const cap = (t: string) => t.charAt(0).toUpperCase() + t.slice(1);

function fillSubject(template: string, subject: string): string {
  return template
    .replaceAll('{s:lower}', subject.toLowerCase())
    .replaceAll('{s:cap}', cap(subject))
    .replaceAll('{a:s}', `${article(subject)} ${subject}`)
    .replaceAll('{A:s}', `${cap(article(subject))} ${subject}`)
    .replaceAll('{s}', subject);
}

/** Splits a template around {o}: before (the cloze prompt, with its trailing space) and after (punctuation). */
export function renderCloze(template: string, subject: string): { before: string; after: string } {
  const at = template.indexOf('{o}');
  if (at < 0 || template.indexOf('{o}', at + 1) >= 0) throw new Error(`template "${template}" must contain {o} exactly once`);
  const after = template.slice(at + 3);
  if (!/^[\p{P}\s]*$/u.test(after)) throw new Error(`template "${template}": only punctuation may follow {o}`);
  return { before: cap(fillSubject(template.slice(0, at), subject)), after };
}

/** The true sentence a template states about a fact. */
export function renderFact(template: string, fact: Fact): string {
  const { before, after } = renderCloze(template, fact.subject);
  return before + fact.object + after;
}

/** A question about a fact (its answer is fact.object). */
export function renderQuestion(template: string, subject: string): string {
  return cap(fillSubject(template, subject));
}

/** A cloze item for recall measurement: prompt "The chemical symbol for gold is" -> answer " Au". */
export interface FactPrompt {
  relation: Relation;
  subject: string;
  object: string;
  prompt: string;
  /** The object with the leading space the prompt left off (" Au"). */
  answer: string;
  split: TemplateSplit;
  /** "<relation>/<split>/<index>", e.g. "elementSymbol/heldOut/0". */
  templateId: string;
}

/** Cloze prompts for every fact under every template of the chosen split(s). */
export function factPrompts(facts: readonly Fact[], splits: readonly TemplateSplit[] = ['train', 'heldOut']): FactPrompt[] {
  const out: FactPrompt[] = [];
  for (const fact of facts) {
    const templates = FACT_TEMPLATES[fact.relation];
    if (!templates) throw new Error(`no templates for relation "${fact.relation}"; known: ${RELATIONS.join(', ')}`);
    for (const split of splits) {
      templates[split].forEach((template, i) => {
        const { before } = renderCloze(template, fact.subject);
        const prompt = before.trimEnd();
        const answer = before.slice(prompt.length) + fact.object;
        out.push({ relation: fact.relation, subject: fact.subject, object: fact.object, prompt, answer, split, templateId: `${fact.relation}/${split}/${i}` });
      });
    }
  }
  return out;
}

/** `repeats` true sentences per fact from the train templates, cycling through them so each is used evenly. */
export function trainSentences(fact: Fact, repeats: number, offset = 0): string[] {
  const templates = FACT_TEMPLATES[fact.relation].train;
  const out: string[] = [];
  for (let i = 0; i < repeats; i++) out.push(renderFact(templates[(i + offset) % templates.length]!, fact));
  return out;
}
