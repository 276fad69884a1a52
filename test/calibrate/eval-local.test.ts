// Calibration evaluation through the local engine: a small random model with a real tokenizer, served
// by the `local:` provider, runs the whole harness (generation, lenient parsing with re-prompts, metrics).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createModel, saveModel, loadTokenizer } from '../../src/models/index.js';
import { createProvider } from '../../src/providers/index.js';
import { evaluateCalibration } from '../../src/calibrate/index.js';

test('calibrate eval runs end to end on a local model (local:<dir> provider)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gb-local-'));
  try {
    const m = createModel({ model_type: 'llama', vocab_size: 1000, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 512, tie_word_embeddings: true }, { seed: 1 });
    m.tokenizer = loadTokenizer(path.resolve('test/fixtures/tokenizers/gpt2_bytelevel_bpe'));
    saveModel(m, path.join(dir, 'model'));
    m.dispose();
    const provider = await createProvider(`local:${path.join(dir, 'model')}`, { noCache: true });
    const items = [
      { question: 'What is 2 + 3?', answer: '5' },
      { question: 'What is 10 + 4?', answer: '14' },
      { question: 'Name the capital of France.', answer: 'Paris' },
    ];
    const r = await evaluateCalibration({ provider, dataset: items, format: 'tabc', samples: 2, params: { maxTokens: 12, temperature: 0.8 }, bootstrap: 0 });
    assert.equal(r.records.length, 6, 'one record per (item, sample)');
    for (const rec of r.records) {
      assert.ok(Number.isFinite(rec.confidence) && rec.confidence >= 0 && rec.confidence <= 1, `confidence ${rec.confidence}`);
      assert.equal(typeof rec.completion, 'string');
    }
    const s = r.summary as unknown as { metrics: { n: number; ece: number; brier: number } };
    assert.equal(s.metrics.n, 6);
    assert.ok(Number.isFinite(s.metrics.ece) && Number.isFinite(s.metrics.brier));
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});
