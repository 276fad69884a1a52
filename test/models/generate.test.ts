// Generation against transformers' greedy continuations (KV cache), for every golden architecture, one
// prompt at a time and as a left-padded batch; plus sampling determinism by seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel, generate } from '../../src/models/index.js';

const FIX = path.resolve('test/fixtures/models');
const CASES = fs.readdirSync(FIX).filter((d) => fs.existsSync(path.join(FIX, d, 'golden.json'))).sort();

for (const c of CASES) {
  test(`golden ${c}: greedy generation with the KV cache equals transformers, alone and batched with left padding`, () => {
    const g = JSON.parse(fs.readFileSync(path.join(FIX, c, 'golden.json'), 'utf8'));
    const m = loadModel(path.join(FIX, c));
    try {
      const prompts = g.generate.map((x: { prompt: number[] }) => x.prompt);
      const want = g.generate.map((x: { generate_new_tokens: number[] }) => x.generate_new_tokens);
      for (let i = 0; i < prompts.length; i++) {
        const r = generate(m, [prompts[i]], { maxNewTokens: want[i].length, eosTokenIds: [] });
        assert.deepEqual(r.tokens[0], want[i], `prompt ${i}`);
      }
      const rb = generate(m, prompts, { maxNewTokens: 8, eosTokenIds: [] });
      assert.deepEqual(rb.tokens, want, 'batched (left-padded) generation');
    } finally { m.dispose(); }
  });
}

test('sampling is reproducible by seed and differs across seeds', () => {
  const m = loadModel(path.join(FIX, 'llama_gqa'));
  try {
    const p = [[1, 2, 3, 4]];
    const a = generate(m, p, { maxNewTokens: 12, temperature: 1, topP: 0.95, seed: 5, eosTokenIds: [] });
    const b = generate(m, p, { maxNewTokens: 12, temperature: 1, topP: 0.95, seed: 5, eosTokenIds: [] });
    const c = generate(m, p, { maxNewTokens: 12, temperature: 1, topP: 0.95, seed: 6, eosTokenIds: [] });
    assert.deepEqual(a.tokens, b.tokens);
    assert.notDeepEqual(a.tokens, c.tokens);
    const streamed: number[] = [];
    generate(m, p, { maxNewTokens: 5, onToken: (_r, t) => streamed.push(t), eosTokenIds: [] });
    assert.equal(streamed.length, 5);
  } finally { m.dispose(); }
});
