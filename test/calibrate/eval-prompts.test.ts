// Calibration prompts: each format's system prompt names exactly its tags; the user turn carries
// PROBLEM, choices and numbered context paragraphs with the exact-match instruction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemPrompt, userPrompt, buildMessages } from '../../src/calibrate/prompts.js';

test('system prompts explain the tags of their format', () => {
  const tabc = systemPrompt('tabc');
  for (const t of ['<think>', '<answer>', '<analysis>', '<confidence>']) assert.ok(tabc.includes(t), t);
  const tac = systemPrompt('tac');
  assert.ok(tac.includes('<confidence>') && !tac.includes('<analysis>'));
  const ta = systemPrompt('ta');
  assert.ok(ta.includes('<answer>') && !ta.includes('<confidence>') && !ta.includes('<analysis>'));
  assert.throws(() => systemPrompt('xyz' as never), /unknown format 'xyz'/);
});

test('user turn: PROBLEM, choices, context with the exact-match note', () => {
  assert.equal(userPrompt({ question: '  What is 2+2? ' }), 'PROBLEM: What is 2+2?');
  const u = userPrompt({ question: 'Who?', choices: ['Ann', 'Bob'], context: ['P one.', 'P two.'] });
  assert.match(u, /^PROBLEM: Who\?\n\nChoices:\nA\. Ann\nB\. Bob\n\n/);
  assert.match(u, /exact match/);
  assert.match(u, /\[1\] P one\.\n\n\[2\] P two\.$/);
  assert.doesNotMatch(userPrompt({ question: 'q' }), /exact match/);
  const m = buildMessages({ question: 'q', context: 'one paragraph' }, 'tac');
  assert.deepEqual(m.map((x) => x.role), ['system', 'user']);
  assert.match(m[1]!.content, /\[1\] one paragraph/);
});
