// Loaders for the npm data packages: record counts, typed fields, known values, and that the Brown tags
// are stripped and the Moby-Dick whole-book file is not read twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  loadBrown, loadCountries, loadElements, loadFactbook, loadMobyDick, loadSotu, loadStates, loadWordnet,
  parseWordnetLine, untagBrownSentence, wordnetPeople, wordnetTaxonomy, factbookDocument,
} from '../../src/data/index.js';

const words = (t: string) => (t.match(/\S+/g) ?? []).length;

test('SOTU: 233 addresses 1790-2021 with president, party and ~1.79M words', () => {
  const a = loadSotu();
  assert.equal(a.length, 233);
  assert.equal(a[0]!.year, 1790);
  assert.equal(a[0]!.president, 'George Washington');
  assert.equal(a.at(-1)!.year, 2021);
  const total = a.reduce((n, x) => n + words(x.text), 0);
  assert.ok(total > 1.7e6 && total < 1.9e6, `SOTU words ${total}`);
});

test('Moby-Dick: 135 chapters plus front matter and epilogue, counted once (~212k words)', () => {
  const s = loadMobyDick();
  assert.equal(s.filter((x) => x.id.startsWith('chapter_')).length, 135);
  assert.ok(s.some((x) => x.id === 'epilogue'));
  assert.equal(new Set(s.map((x) => x.id)).size, s.length);
  assert.ok(s.find((x) => x.id === 'chapter_1')!.text.includes('Call me Ishmael'));
  const total = s.reduce((n, x) => n + words(x.text), 0);
  assert.ok(total > 190_000 && total < 230_000, `Moby-Dick words ${total} (whole-book file counted twice?)`);
});

test('Brown: tags stripped, quotes and punctuation re-attached', () => {
  assert.equal(
    untagBrownSentence("The/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' ,/, (/( see/vb 1/2/cd )/) ./."),
    'The jury said "no evidence", (see 1/2).',
  );
  const texts = loadBrown();
  assert.equal(texts.length, 500);
  assert.equal(texts[0]!.id, 'ca01');
  assert.equal(texts[0]!.genre, 'news');
  assert.ok(texts[0]!.text.startsWith('The Fulton County Grand Jury said Friday'));
  for (const t of texts) assert.doesNotMatch(t.text, /\S\/(nn|at|in|vbd|jj|np)(\s|$)/, `tag left in ${t.id}`);
  const total = texts.reduce((n, x) => n + words(x.text), 0);
  assert.ok(total > 0.9e6 && total < 1.2e6, `Brown words ${total}`);
});

test('WordNet: synsets, hypernym taxonomy and people with years', () => {
  const line = '02086723 05 n 03 dog 0 domestic_dog 0 Canis_familiaris 0 002 @ 02085998 n 0000 ~ 01325095 n 0000 | a member of the genus Canis';
  assert.deepEqual(parseWordnetLine(line), {
    key: 'n:02086723', pos: 'n', lexFile: 5, words: ['dog', 'domestic dog', 'Canis familiaris'],
    hypernyms: ['n:02085998'], instanceOf: [], gloss: 'a member of the genus Canis',
  });
  assert.equal(parseWordnetLine('  1 This software and database is being provided'), undefined);
  assert.equal(loadWordnet().synsets.length, 117_791);
  const animals = wordnetTaxonomy('animal');
  const dog = animals.find((k) => k.name === 'dog')!;
  assert.equal(dog.kindOf, 'canine');
  assert.equal(dog.senseNumber, 1);
  assert.ok(animals.length > 3000);
  assert.ok(!animals.some((k) => k.name === 'oak'));
  assert.ok(wordnetTaxonomy('plant').some((k) => k.name === 'oak'));
  const einstein = wordnetPeople().find((p) => p.name === 'Albert Einstein')!;
  assert.deepEqual([einstein.born, einstein.died], [1879, 1955]);
  assert.doesNotMatch(einstein.description, /1879/);
  assert.ok(wordnetPeople().length > 2600);
});

test('Factbook, countries-list, periodic-table, states-us', () => {
  const fb = loadFactbook();
  assert.ok(fb.length >= 260);
  const de = fb.find((e) => e.code === 'gm')!;
  assert.equal(de.name, 'Germany');
  assert.equal(de.capital, 'Berlin');
  assert.ok(de.population! > 80e6 && de.population! < 82e6);
  assert.equal(de.areaSqKm, 357_022);
  assert.match(factbookDocument(de), /^Germany\n\nAs Europe's largest economy/);
  assert.equal(fb.find((e) => e.code === 'cc')!.name, 'Curacao');

  const fr = loadCountries().find((c) => c.iso2 === 'FR')!;
  assert.deepEqual([fr.name, fr.capital, fr.continent, fr.currencies[0]], ['France', 'Paris', 'Europe', 'Euro']);
  assert.ok(loadCountries().length >= 250);

  const el = loadElements();
  assert.equal(el.length, 118);
  assert.deepEqual(el.map((e) => e.atomicNumber), Array.from({ length: 118 }, (_, i) => i + 1));
  assert.deepEqual([el[78]!.name, el[78]!.symbol], ['Gold', 'Au']);

  const st = loadStates();
  assert.equal(st.length, 57);
  assert.equal(st.find((s) => s.name === 'Texas')!.abbreviation, 'TX');
});
