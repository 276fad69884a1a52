// Fact tables and templates: known facts, salience order, cloze prompts, and train/held-out templates kept apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FACT_TEMPLATES, factPrompts, factsOf, loadFactTables, RELATIONS, renderCloze, renderFact, selectFacts, trainSentences } from '../../src/data/index.js';

test('fact tables hold the expected facts', () => {
  const t = loadFactTables();
  assert.equal(t.elements.length, 118);
  assert.deepEqual(t.countries[0]!.name, 'China');
  const fr = t.countries.find((c) => c.name === 'France')!;
  assert.deepEqual([fr.capital, fr.continent, fr.currency], ['Paris', 'Europe', 'Euro']);
  assert.ok(t.countries.length > 200);
  assert.equal(t.animals.find((a) => a.name === 'dog')!.kindOf, 'canine');
  assert.ok(t.animals.slice(0, 50).some((a) => a.name === 'horse'), 'familiar animals come first');
  assert.equal(t.people.find((p) => p.name === 'Albert Einstein')!.born, 1879);
  for (const r of RELATIONS) {
    const facts = factsOf(r);
    assert.ok(facts.length > 40, `${r}: ${facts.length} facts`);
    assert.equal(new Set(facts.map((f) => f.subject)).size, facts.length, `${r}: subjects unique`);
    for (const f of facts) assert.ok(f.subject !== '' && f.object !== '', `${r}: empty field in ${JSON.stringify(f)}`);
  }
});

test('selectFacts takes the first N per relation, or all', () => {
  const facts = selectFacts({ elementSymbol: 'all', capital: 10 });
  assert.equal(facts.filter((f) => f.relation === 'elementSymbol').length, 118);
  assert.deepEqual(facts.filter((f) => f.relation === 'capital'), factsOf('capital').slice(0, 10));
  assert.throws(() => selectFacts({ capital: -1 }), /capital/);
});

test('every template is a cloze with {o} last; train and held-out templates differ', () => {
  for (const r of RELATIONS) {
    const { train, heldOut, questions } = FACT_TEMPLATES[r];
    assert.ok(train.length >= 2 && heldOut.length >= 2 && questions.length >= 1, r);
    for (const t of heldOut) assert.ok(!train.includes(t), `${r}: "${t}" is in both`);
    for (const t of [...train, ...heldOut]) assert.doesNotThrow(() => renderCloze(t, 'X'), t);
  }
  assert.throws(() => renderCloze('{o} is the capital of {s}.', 'France'), /only punctuation/);
});

test('cloze prompts: "The chemical symbol for gold is" -> " Au"', () => {
  const gold = factsOf('elementSymbol').find((f) => f.subject === 'Gold')!;
  const prompts = factPrompts([gold]);
  assert.ok(prompts.some((p) => p.prompt === 'The chemical symbol for gold is' && p.answer === ' Au' && p.split === 'train'));
  assert.equal(prompts.filter((p) => p.split === 'heldOut').length, FACT_TEMPLATES.elementSymbol.heldOut.length);
  for (const p of prompts) assert.ok(renderFact(FACT_TEMPLATES.elementSymbol[p.split][Number(p.templateId.split('/')[2])]!, gold).startsWith(p.prompt + p.answer));
  const dog = factsOf('animalKind').find((f) => f.subject === 'dog')!;
  assert.equal(renderFact(FACT_TEMPLATES.animalKind.train[0]!, dog), 'A dog is a kind of canine.');
  const eel = { relation: 'animalKind' as const, subject: 'eel', object: 'fish' };
  assert.equal(renderFact(FACT_TEMPLATES.animalKind.train[0]!, eel), 'An eel is a kind of fish.');
});

test('trainSentences cycles evenly through the train templates only', () => {
  const gold = factsOf('elementSymbol').find((f) => f.subject === 'Gold')!;
  const n = FACT_TEMPLATES.elementSymbol.train.length;
  const s = trainSentences(gold, n * 3, 1);
  assert.equal(s.length, n * 3);
  for (const t of FACT_TEMPLATES.elementSymbol.train) assert.equal(s.filter((x) => x === renderFact(t, gold)).length, 3);
});
