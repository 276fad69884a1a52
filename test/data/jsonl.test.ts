// JSONL datasets: round trip, blank lines, malformed JSON and schema errors naming file:line and the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answersOf, readDataset, readJsonl, writeJsonl } from '../../src/data/index.js';

const dir = mkdtempSync(join(tmpdir(), 'glassbox-jsonl-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('write then read a dataset; ids default to line numbers; extra fields kept', async () => {
  const path = join(dir, 'ok.jsonl');
  const items = [
    { id: 'q1', question: 'What is 2 + 2?', answer: '4', difficulty: 1 },
    { question: 'Capital of France?', answer: ['Paris', 'paris'], context: 'Paris is the capital.', paragraphs: ['a', 'b'] },
    { question: 'Pick one', answer: 'B', choices: ['A', 'B', 'C'] },
  ];
  assert.equal(await writeJsonl(path, items), 3);
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp')), []);
  const got = await readDataset(path);
  assert.deepEqual(got.map((i) => i.id), ['q1', '2', '3']);
  assert.equal(got[0]!.difficulty, 1);
  assert.deepEqual(answersOf(got[1]!), ['Paris', 'paris']);
  assert.deepEqual(got[2]!.choices, ['A', 'B', 'C']);
});

test('blank lines are skipped but counted; a BOM is ignored', async () => {
  const path = join(dir, 'blank.jsonl');
  writeFileSync(path, '\ufeff{"question":"a","answer":"1"}\n\n   \n{"question":"b","answer":"2"}\n');
  const lines: number[] = [];
  for await (const r of readJsonl(path)) lines.push(r.line);
  assert.deepEqual(lines, [1, 4]);
  assert.deepEqual((await readDataset(path)).map((i) => i.id), ['1', '4']);
});

test('malformed JSON names file:line', async () => {
  const path = join(dir, 'bad.jsonl');
  writeFileSync(path, '{"question":"a","answer":"1"}\n{"question":"b","answer":"2"}\n{"question": "c", answer: 3}\n');
  await assert.rejects(readDataset(path), (e: Error) => e.message.startsWith(`${path}:3: malformed JSON`));
});

test('schema errors name file:line and the field', async () => {
  const path = join(dir, 'schema.jsonl');
  writeFileSync(path, '{"question":"a","answer":"1"}\n{"question":"b","answer":3}\n');
  await assert.rejects(readDataset(path), (e: Error) => e.message.startsWith(`${path}:2: field "answer"`));
  const path2 = join(dir, 'schema2.jsonl');
  writeFileSync(path2, '{"answer":"1"}\n');
  await assert.rejects(readDataset(path2), (e: Error) => e.message.startsWith(`${path2}:1: field "question"`));
  const path3 = join(dir, 'schema3.jsonl');
  writeFileSync(path3, '{"question":"a","answer":"1","paragraphs":["x",2]}\n');
  await assert.rejects(readDataset(path3), (e: Error) => e.message.startsWith(`${path3}:1: field "paragraphs.1"`));
});

test('empty files, duplicate ids and missing files fail loudly', async () => {
  const empty = join(dir, 'empty.jsonl');
  writeFileSync(empty, '\n\n');
  await assert.rejects(readDataset(empty), /dataset is empty/);
  const dup = join(dir, 'dup.jsonl');
  writeFileSync(dup, '{"id":"x","question":"a","answer":"1"}\n{"id":"x","question":"b","answer":"2"}\n');
  await assert.rejects(readDataset(dup), (e: Error) => e.message.startsWith(`${dup}:2: duplicate id "x" (first on line 1)`));
  await assert.rejects(readDataset(join(dir, 'missing.jsonl')), /missing\.jsonl: no such file/);
});
