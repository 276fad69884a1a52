// Whole-model checks against goldens computed by Hugging Face transformers (test/fixtures/models/*):
// logits within 1e-4 absolute, hidden states within 1e-4 relative, full and right-padded batches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel, type Model } from '../../src/models/index.js';
import { capture } from '../../src/models/hooks.js';
import { noGrad, scope, Tensor } from '../../src/engine/index.js';

const FIX = path.resolve('test/fixtures/models');
const CASES = fs.readdirSync(FIX).filter((d) => fs.existsSync(path.join(FIX, d, 'golden.json'))).sort();

interface Golden {
  full: { input_ids: number[][]; logits: number[][][]; hidden_states: number[][][][] };
  padded: { input_ids: number[][]; attention_mask: number[][]; logits: number[][][]; hidden_states: number[][][][] };
}

/** Hidden states in HF's convention: [embeddings, resid_post of blocks 0..L-2, final normed]. */
function hiddenNames(m: Model): string[] {
  const L = m.config.nLayers;
  const names = ['blocks.0.hook_resid_pre'];
  for (let l = 0; l < L - 1; l++) names.push(`blocks.${l}.hook_resid_post`);
  names.push('ln_final.hook_normalized');
  return names;
}

function compare(m: Model, ids: number[][], mask: number[][] | null, want: Golden['full'], label: string): void {
  noGrad(() => scope(() => {
    const store = new Map<string, Tensor>();
    const names = hiddenNames(m);
    const logits = m.forward(ids, { attentionMask: mask, hooks: names.map((n) => capture(n, store)) });
    const L = logits.toArray() as number[][][];
    let maxLogit = 0;
    for (let b = 0; b < ids.length; b++) for (let t = 0; t < ids[0].length; t++) {
      if (mask && !mask[b][t]) continue;
      for (let v = 0; v < L[b][t].length; v++) maxLogit = Math.max(maxLogit, Math.abs(L[b][t][v] - want.logits[b][t][v]));
    }
    assert.ok(maxLogit <= 1e-4, `${label}: logits differ by ${maxLogit}`);
    names.forEach((n, i) => {
      const h = store.get(n)!.toArray() as number[][][];
      const g = want.hidden_states[i];
      let num = 0, den = 0;
      for (let b = 0; b < ids.length; b++) for (let t = 0; t < ids[0].length; t++) {
        if (mask && !mask[b][t]) continue;
        for (let d = 0; d < g[b][t].length; d++) { num = Math.max(num, Math.abs(h[b][t][d] - g[b][t][d])); den = Math.max(den, Math.abs(g[b][t][d])); }
      }
      assert.ok(num / den <= 1e-4, `${label}: hidden_states[${i}] (${n}) relative diff ${num / den}`);
      store.get(n)!.dispose();
    });
  }));
}

for (const c of CASES) {
  test(`golden ${c}: logits and hidden states match transformers (full and padded batch)`, () => {
    const g = JSON.parse(fs.readFileSync(path.join(FIX, c, 'golden.json'), 'utf8')) as Golden;
    const m = loadModel(path.join(FIX, c));
    try {
      compare(m, g.full.input_ids, null, g.full, `${c} full`);
      compare(m, g.padded.input_ids, g.padded.attention_mask, g.padded as unknown as Golden['full'], `${c} padded`);
    } finally { m.dispose(); }
  });
}
