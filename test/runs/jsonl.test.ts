// JSONL primitives: records serialise as one line with `type` first; the chunked scanner returns every
// complete line with exact byte offsets, even when lines (and multi-byte characters) straddle chunks,
// and never a trailing partial line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lineType, scanLines, serializeRecord } from '../../src/runs/index.js';

test('serializeRecord puts type first, ends with one newline, refuses a missing type', () => {
  assert.equal(serializeRecord({ index: 3, type: 'sample', text: 'a\nb' }), '{"type":"sample","index":3,"text":"a\\nb"}\n');
  assert.equal(serializeRecord({ type: 'step', big: 10n as unknown as number }), '{"type":"step","big":"10"}\n');
  assert.throws(() => serializeRecord({ type: '' }), /non-empty string "type"/);
  assert.throws(() => serializeRecord({ step: 1 } as unknown as { type: string }), /"type"/);
  assert.equal(lineType('{"type":"sample","x":1}'), 'sample');
  assert.equal(lineType('{"x":1,"type":"step"}'), 'step');
  assert.equal(lineType('not json'), '');
});

test('scanLines: exact offsets across 64 KiB chunks and split UTF-8 characters; no partial tail', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gbx-jsonl-'));
  try {
    const file = join(dir, 'log.jsonl');
    const lines: string[] = [];
    for (let i = 0; i < 300; i++) {
      // lengths from tiny to > 3 chunks, with 2-, 3- and 4-byte characters at every alignment
      const len = i % 50 === 0 ? 200_000 + i : (i * 997) % 5000;
      lines.push(JSON.stringify({ type: 'sample', i, s: 'é中🙂x'.repeat(Math.ceil(len / 5)).slice(0, len) }));
    }
    const body = lines.join('\n') + '\n';
    writeFileSync(file, body + '{"type":"sample","i":300,"s":"torn');
    const seen = [...scanLines(file)];
    assert.equal(seen.length, 300);
    const buf = Buffer.from(body, 'utf8');
    let offset = 0;
    seen.forEach((l, k) => {
      assert.equal(l.text, lines[k]);
      assert.equal(l.start, offset);
      offset += Buffer.byteLength(lines[k]!) + 1;
      assert.equal(l.end, offset);
      assert.equal(buf.toString('utf8', l.start, l.end - 1), lines[k]);
    });
    // resuming from any line start yields the rest
    const from = seen[123]!.start;
    assert.deepEqual([...scanLines(file, from)].map((l) => l.text), lines.slice(123));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
