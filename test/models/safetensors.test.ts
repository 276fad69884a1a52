// safetensors reader/writer: half-precision codecs, round trips for every writable dtype, the golden
// HF files (sizes checked against their configs), sharded checkpoints, corrupt files and a mutation fuzz.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import {
  openSafetensors, openCheckpoint, writeSafetensors, writeShardedCheckpoint, SafetensorsError,
  bf16ToF32, f32ToBf16, f16ToF32, f32ToF16, decodeBf16, loadModelConfig, numelOf,
  type ModelConfig, type TensorToWrite,
} from '../../src/models/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const modelsDir = path.join(here, '../fixtures/models');
const CASES = ['gpt2', 'llama_gqa', 'llama3_rope_bf16', 'qwen2', 'gemma', 'gemma2', 'qwen3', 'gemma3_text'];

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'gb-st-'));
}

/** Builds a safetensors byte image by hand (for corrupt-file tests). */
function image(header: unknown, data: Uint8Array, lenOverride?: bigint): Uint8Array {
  const h = header instanceof Uint8Array ? header : Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lenOverride ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function withFile<T>(bytes: Uint8Array, fn: (file: string) => T): T {
  const dir = tmpDir();
  const file = path.join(dir, 'x.safetensors');
  fs.writeFileSync(file, bytes);
  try {
    return fn(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function openError(bytes: Uint8Array): SafetensorsError {
  return withFile(bytes, (file) => {
    try {
      const f = openSafetensors(file);
      for (const name of f.header.keys()) f.read(name);
      f.close();
    } catch (e) {
      assert.ok(e instanceof SafetensorsError, `expected SafetensorsError, got ${String(e)}`);
      assert.ok(e.message.startsWith(file), `message names the file: ${e.message}`);
      return e;
    }
    assert.fail('expected an error');
  });
}

// ---------------------------------------------------------------------------------------------

test('bf16 and f16 codecs: exact decode, round-to-nearest-even encode, every bit pattern round-trips', () => {
  assert.equal(f32ToBf16(1), 0x3f80);
  assert.equal(f32ToBf16(1 + 2 ** -8), 0x3f80); // tie -> even
  assert.equal(f32ToBf16(1 + 3 * 2 ** -8), 0x3f82); // tie -> even (up)
  assert.equal(f32ToBf16(1 + 2 ** -8 + 2 ** -20), 0x3f81); // above the tie
  assert.equal(f32ToBf16(-2), 0xc000);
  assert.equal(f32ToBf16(3.4028234663852886e38), 0x7f80); // rounds up to +inf
  assert.equal(f32ToBf16(NaN) & 0x7fc0, 0x7fc0);
  assert.equal(bf16ToF32(0x3f80), 1);
  assert.equal(bf16ToF32(0xc049), -3.140625);

  assert.equal(f32ToF16(1), 0x3c00);
  assert.equal(f32ToF16(65504), 0x7bff);
  assert.equal(f32ToF16(65520), 0x7c00); // tie at the top -> inf
  assert.equal(f32ToF16(65519), 0x7bff);
  assert.equal(f32ToF16(2 ** -24), 0x0001);
  assert.equal(f32ToF16(2 ** -25), 0x0000); // tie -> even (zero)
  assert.equal(f32ToF16(1.5 * 2 ** -25), 0x0001);
  assert.equal(f32ToF16(3 * 2 ** -25), 0x0002); // tie between 1 and 2 -> even
  assert.equal(f32ToF16(1 / 3), 0x3555);
  assert.equal(f32ToF16(-0), 0x8000);
  assert.equal(f32ToF16(-Infinity), 0xfc00);
  assert.ok(Number.isNaN(f16ToF32(f32ToF16(NaN))));
  assert.equal(f16ToF32(0x0001), 2 ** -24);
  assert.equal(f16ToF32(0x3c01), 1 + 2 ** -10);

  for (let h = 0; h < 65536; h++) {
    const x = f16ToF32(h);
    if (!Number.isNaN(x)) assert.equal(f32ToF16(x), h, `f16 ${h.toString(16)}`);
    const y = bf16ToF32(h);
    if (!Number.isNaN(y)) assert.equal(f32ToBf16(y), h, `bf16 ${h.toString(16)}`);
  }
});

test('f32 -> bf16/f16 rounding agrees with a nearest-value search on random floats', () => {
  fc.assert(fc.property(fc.float({ noNaN: true, noDefaultInfinity: true, min: -60000, max: 60000 }), (x) => {
    const xf = Math.fround(x);
    for (const [enc, dec] of [[f32ToBf16, bf16ToF32], [f32ToF16, f16ToF32]] as const) {
      const h = enc(xf);
      const err = Math.abs(dec(h) - xf);
      // neither neighbour is strictly closer
      for (const n of [h - 1, h + 1]) {
        if (n < 0 || n > 0xffff || ((n ^ h) & 0x8000)) continue;
        const v = dec(n);
        if (Number.isFinite(v)) assert.ok(Math.abs(v - xf) >= err, `${x}: ${h} vs ${n}`);
      }
    }
  }), { numRuns: 2000 });
});

test('write then read round-trips every writable dtype (atomic write, metadata, padding)', () => {
  const dir = tmpDir();
  try {
    const file = path.join(dir, 'all.safetensors');
    const f32 = Float32Array.from({ length: 24 }, (_, i) => Math.fround(Math.sin(i) * 3));
    const tensors: Record<string, TensorToWrite> = {
      'a.f32': { dtype: 'F32', shape: [2, 3, 4], data: f32 },
      'b.bf16': { dtype: 'BF16', shape: [4, 6], data: f32 },
      'c.f16': { dtype: 'F16', shape: [24], data: Array.from(f32) },
      'd.i32': { dtype: 'I32', shape: [3], data: [-7, 0, 2147483647] },
      'e.i64': { dtype: 'I64', shape: [2], data: BigInt64Array.from([-(2n ** 62n), 5n]) },
      'f.i64n': { dtype: 'I64', shape: [2], data: [9007199254740991, -3] },
      'g.u8': { dtype: 'U8', shape: [2, 2], data: [0, 1, 128, 255] },
      'h.bool': { dtype: 'BOOL', shape: [3], data: [1, 0, 1] },
      'i.scalar': { dtype: 'F32', shape: [], data: [2.5] },
      'j.empty': { dtype: 'F32', shape: [0, 4], data: [] },
      'k.bf16raw': { dtype: 'BF16', shape: [2], data: Uint16Array.from([0x3f80, 0xc000]) },
    };
    writeSafetensors(file, tensors, { format: 'pt', note: 'hi' });
    assert.deepEqual(fs.readdirSync(dir), ['all.safetensors'], 'no temporary file left behind');
    const raw = fs.readFileSync(file);
    const hlen = Number(raw.readBigUInt64LE(0));
    assert.equal((8 + hlen) % 8, 0, 'data section is 8-byte aligned');

    const st = openSafetensors(file);
    assert.deepEqual(st.metadata, { format: 'pt', note: 'hi' });
    assert.deepEqual([...st.header.keys()].sort(), Object.keys(tensors).sort());
    const a = st.read('a.f32');
    assert.deepEqual(a.shape, [2, 3, 4]);
    assert.deepEqual(Array.from(a.data as Float32Array), Array.from(f32));
    const b = st.read('b.bf16');
    assert.equal(b.dtype, 'BF16');
    assert.deepEqual(Array.from(b.data as Float32Array), Array.from(f32, (x) => bf16ToF32(f32ToBf16(x))));
    assert.deepEqual(Array.from(st.read('c.f16').data as Float32Array), Array.from(f32, (x) => f16ToF32(f32ToF16(x))));
    assert.deepEqual(Array.from(st.read('d.i32').data as Int32Array), [-7, 0, 2147483647]);
    assert.deepEqual(Array.from(st.read('e.i64').data as BigInt64Array), [-(2n ** 62n), 5n]);
    assert.deepEqual(Array.from(st.read('f.i64n').data as BigInt64Array), [9007199254740991n, -3n]);
    assert.deepEqual(Array.from(st.read('g.u8').data as Uint8Array), [0, 1, 128, 255]);
    assert.deepEqual(Array.from(st.read('h.bool').data as Uint8Array), [1, 0, 1]);
    assert.deepEqual(st.read('i.scalar'), { dtype: 'F32', shape: [], data: Float32Array.of(2.5) });
    assert.equal(st.read('j.empty').data.length, 0);
    assert.deepEqual(Array.from(st.read('k.bf16raw').data as Float32Array), [1, -2]);

    // readInto decodes to f32 at an offset, for every dtype
    const dst = new Float32Array(30).fill(99);
    assert.equal(st.readInto('d.i32', dst, 5), 3);
    assert.deepEqual(Array.from(dst.subarray(4, 9)), [99, -7, 0, 2147483648, 99]);
    assert.equal(st.readInto('g.u8', dst, 0), 4);
    assert.deepEqual(Array.from(dst.subarray(0, 4)), [0, 1, 128, 255]);
    st.readInto('b.bf16', dst, 6);
    assert.equal(dst[6], bf16ToF32(f32ToBf16(f32[0]!)));
    assert.throws(() => st.readInto('a.f32', new Float32Array(23)), /tensor "a.f32": destination of length 23 at offset 0 cannot hold 24/);
    assert.throws(() => st.readInto('a.f32', new Float32Array(30), 7), /cannot hold 24/);
    assert.throws(() => st.read('nope'), /all\.safetensors: tensor "nope": no such tensor/);
    st.close();
    assert.throws(() => st.read('a.f32'), /file is closed/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('writer rejects bad input naming the tensor and leaves no file behind', () => {
  const dir = tmpDir();
  try {
    const file = path.join(dir, 'bad.safetensors');
    assert.throws(() => writeSafetensors(file, { w: { dtype: 'F32', shape: [2, 2], data: [1, 2, 3] } }),
      /bad\.safetensors: tensor "w": shape \[2,2\] has 4 elements but data has 3/);
    assert.throws(() => writeSafetensors(file, { w: { dtype: 'I32', shape: [1], data: [1.5] } }), /tensor "w": value 1.5 at index 0 is not an int32/);
    assert.throws(() => writeSafetensors(file, { w: { dtype: 'Q4' as 'F32', shape: [1], data: [1] } }), /tensor "w": cannot write dtype "Q4"/);
    assert.throws(() => writeSafetensors(file, { w: { dtype: 'F32', shape: [-1], data: [] } }), /invalid dimension/);
    assert.deepEqual(fs.readdirSync(dir), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------------
// golden HF files

/** HF parameter names and shapes each golden family must hold, derived from its config. */
function expectedShapes(cfg: ModelConfig): Map<string, number[]> {
  const m = new Map<string, number[]>();
  const { dModel: D, dMlp: F, nHeads: H, nKvHeads: K, dHead: Dh, vocabSize: V } = cfg;
  if (cfg.family === 'gpt2') {
    m.set('transformer.wte.weight', [V, D]);
    m.set('transformer.wpe.weight', [cfg.maxPositions, D]);
    for (let l = 0; l < cfg.nLayers; l++) {
      const p = `transformer.h.${l}.`;
      m.set(p + 'ln_1.weight', [D]); m.set(p + 'ln_1.bias', [D]);
      m.set(p + 'ln_2.weight', [D]); m.set(p + 'ln_2.bias', [D]);
      m.set(p + 'attn.c_attn.weight', [D, 3 * D]); m.set(p + 'attn.c_attn.bias', [3 * D]);
      m.set(p + 'attn.c_proj.weight', [D, D]); m.set(p + 'attn.c_proj.bias', [D]);
      m.set(p + 'mlp.c_fc.weight', [D, F]); m.set(p + 'mlp.c_fc.bias', [F]);
      m.set(p + 'mlp.c_proj.weight', [F, D]); m.set(p + 'mlp.c_proj.bias', [D]);
    }
    m.set('transformer.ln_f.weight', [D]); m.set('transformer.ln_f.bias', [D]);
    return m;
  }
  m.set('model.embed_tokens.weight', [V, D]);
  for (let l = 0; l < cfg.nLayers; l++) {
    const p = `model.layers.${l}.`;
    m.set(p + 'input_layernorm.weight', [D]);
    m.set(p + 'post_attention_layernorm.weight', [D]);
    if (cfg.postNorms) { m.set(p + 'pre_feedforward_layernorm.weight', [D]); m.set(p + 'post_feedforward_layernorm.weight', [D]); }
    m.set(p + 'self_attn.q_proj.weight', [H * Dh, D]);
    m.set(p + 'self_attn.k_proj.weight', [K * Dh, D]);
    m.set(p + 'self_attn.v_proj.weight', [K * Dh, D]);
    m.set(p + 'self_attn.o_proj.weight', [D, H * Dh]);
    if (cfg.qkvBias) {
      m.set(p + 'self_attn.q_proj.bias', [H * Dh]); m.set(p + 'self_attn.k_proj.bias', [K * Dh]); m.set(p + 'self_attn.v_proj.bias', [K * Dh]);
    }
    if (cfg.qkNorm) { m.set(p + 'self_attn.q_norm.weight', [Dh]); m.set(p + 'self_attn.k_norm.weight', [Dh]); }
    m.set(p + 'mlp.gate_proj.weight', [F, D]);
    m.set(p + 'mlp.up_proj.weight', [F, D]);
    m.set(p + 'mlp.down_proj.weight', [D, F]);
  }
  m.set('model.norm.weight', [D]);
  if (!cfg.tieWordEmbeddings) m.set('lm_head.weight', [V, D]);
  return m;
}

for (const c of CASES) {
  test(`golden ${c}: every tensor reads, and names/shapes/dtype agree with config.json`, () => {
    const dir = path.join(modelsDir, c);
    const cfg = loadModelConfig(dir);
    const ck = openCheckpoint(dir);
    try {
      assert.deepEqual(ck.metadata, { format: 'pt' });
      const want = expectedShapes(cfg);
      assert.deepEqual([...ck.tensors.keys()].sort(), [...want.keys()].sort());
      const wantDtype = cfg.dtype === 'bfloat16' ? 'BF16' : 'F32';
      let total = 0;
      for (const [name, info] of ck.tensors) {
        assert.deepEqual(info.shape, want.get(name), name);
        assert.equal(info.dtype, wantDtype, name);
        const t = ck.read(name);
        assert.equal(t.data.length, numelOf(info.shape));
        const arr = t.data as Float32Array;
        for (const v of arr) assert.ok(Number.isFinite(v), `${name} has a non-finite value`);
        total += info.dataOffsets[1] - info.dataOffsets[0];
      }
      const size = fs.statSync(path.join(dir, 'model.safetensors')).size;
      assert.ok(total < size && size - total < 64 * 1024, 'data section plus header is the whole file');
      // norm weights were drawn as 1 + N(0, .15^2) (Gemma: w ~ N(0, .15^2), final norm + 2): a sanity check on decoding
      const normName = c === 'gpt2' ? 'transformer.h.0.ln_1.weight' : 'model.layers.0.input_layernorm.weight';
      const norm = ck.read(normName).data as Float32Array;
      const mean = norm.reduce((s, x) => s + x, 0) / norm.length;
      assert.ok(Math.abs(mean - (cfg.normOffset ? 0 : 1)) < 0.1, `${normName} mean ${mean}`);
    } finally {
      ck.close();
    }
  });
}

test('golden files re-written by our writer are byte-identical per tensor (F32 and raw BF16)', () => {
  const dir = tmpDir();
  try {
    for (const c of ['llama_gqa', 'llama3_rope_bf16']) {
      const src = openSafetensors(path.join(modelsDir, c, 'model.safetensors'));
      const tensors: Record<string, TensorToWrite> = {};
      for (const [name, info] of src.header) {
        const raw = src.readRaw(name);
        tensors[name] = info.dtype === 'BF16'
          ? { dtype: 'BF16', shape: info.shape, data: new Uint16Array(raw.buffer) }
          : { dtype: 'F32', shape: info.shape, data: new Float32Array(raw.buffer) };
      }
      const out = path.join(dir, `${c}.safetensors`);
      writeSafetensors(out, tensors, src.metadata);
      const back = openSafetensors(out);
      assert.deepEqual(back.metadata, src.metadata);
      for (const name of src.header.keys()) {
        assert.deepEqual(back.readRaw(name), src.readRaw(name), `${c} ${name}`);
        assert.deepEqual(back.read(name), src.read(name), `${c} ${name}`);
      }
      // BF16 readInto equals decodeBf16 of the raw bytes
      if (c === 'llama3_rope_bf16') {
        const name = 'model.embed_tokens.weight';
        const a = new Float32Array(numelOf(src.header.get(name)!.shape));
        src.readInto(name, a);
        const b = new Float32Array(a.length);
        decodeBf16(src.readRaw(name), b);
        assert.deepEqual(a, b);
        assert.ok(a.some((x) => x !== 0));
      }
      back.close();
      src.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------------
// sharded checkpoints

test('writeShardedCheckpoint splits like HF, openCheckpoint reads shards and single files uniformly', () => {
  const dir = tmpDir();
  try {
    const tensors: Record<string, TensorToWrite> = {};
    for (let i = 0; i < 7; i++) {
      tensors[`layers.${i}.w`] = { dtype: 'F32', shape: [10, 10], data: Float32Array.from({ length: 100 }, (_, j) => i * 1000 + j) };
    }
    tensors['big'] = { dtype: 'F32', shape: [1000], data: new Float32Array(1000).fill(3) };
    tensors['ids'] = { dtype: 'I64', shape: [3], data: [1, 2, 3] };
    const r = writeShardedCheckpoint(dir, tensors, { maxShardBytes: 1000 });
    // 400-byte tensors: two per shard; "big" (4000 B) alone; ids (24 B) after it starts a new shard
    assert.deepEqual(r.files, ['model-00001-of-00006.safetensors', 'model-00002-of-00006.safetensors',
      'model-00003-of-00006.safetensors', 'model-00004-of-00006.safetensors', 'model-00005-of-00006.safetensors',
      'model-00006-of-00006.safetensors']);
    assert.equal(r.index!.metadata.total_size, 7 * 400 + 4000 + 24);
    assert.equal(r.index!.weight_map['big'], 'model-00005-of-00006.safetensors');
    assert.equal(r.index!.weight_map['ids'], 'model-00006-of-00006.safetensors');
    const idx = JSON.parse(fs.readFileSync(path.join(dir, 'model.safetensors.index.json'), 'utf8'));
    assert.deepEqual(idx, r.index);

    const ck = openCheckpoint(dir);
    assert.equal(ck.files.length, 6);
    assert.equal(ck.tensors.size, 9);
    assert.deepEqual(Array.from(ck.read('layers.6.w').data as Float32Array).slice(0, 3), [6000, 6001, 6002]);
    const dst = new Float32Array(1000);
    ck.readInto('big', dst);
    assert.ok(dst.every((x) => x === 3));
    assert.equal(ck.info('ids').file, path.join(dir, 'model-00006-of-00006.safetensors'));
    assert.throws(() => ck.read('missing'), /tensor "missing" is not in the checkpoint/);
    assert.throws(() => ck.readF32('missing', [1]), /tensor "missing" is not in the checkpoint/);
    assert.deepEqual(Array.from(ck.readF32('ids', [3]).data), [1, 2, 3]);
    assert.throws(() => ck.readF32('layers.2.w', [10, 11]),
      /model-00002-of-00006\.safetensors: tensor "layers\.2\.w": shape \[10,10\] but the config expects \[10,11\]/);
    ck.close();

    // re-saving into one file removes the stale shards and index
    const r2 = writeShardedCheckpoint(dir, tensors, { maxShardBytes: 1 << 20 });
    assert.deepEqual(r2.files, ['model.safetensors']);
    assert.equal(r2.index, null);
    assert.deepEqual(fs.readdirSync(dir), ['model.safetensors']);
    const ck2 = openCheckpoint(dir);
    assert.equal(ck2.tensors.size, 9);
    assert.deepEqual(Array.from(ck2.read('ids').data as BigInt64Array), [1n, 2n, 3n]);
    ck2.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('openCheckpoint: pickle-only folder, empty folder, broken index all give clear errors', () => {
  const dir = tmpDir();
  try {
    assert.throws(() => openCheckpoint(dir), /neither model\.safetensors nor model\.safetensors\.index\.json exists/);
    fs.writeFileSync(path.join(dir, 'pytorch_model.bin'), 'PK');
    assert.throws(() => openCheckpoint(dir), /pytorch_model\.bin found; glassbox never loads pickle; convert to safetensors/);
    assert.throws(() => openCheckpoint(path.join(dir, 'nope')), /not a directory/);

    writeShardedCheckpoint(dir, {
      a: { dtype: 'F32', shape: [4], data: [1, 2, 3, 4] }, b: { dtype: 'F32', shape: [4], data: [5, 6, 7, 8] },
    }, { maxShardBytes: 16 });
    const idxPath = path.join(dir, 'model.safetensors.index.json');
    const idx = JSON.parse(fs.readFileSync(idxPath, 'utf8'));
    fs.writeFileSync(idxPath, JSON.stringify({ ...idx, weight_map: { ...idx.weight_map, c: 'model-00002-of-00002.safetensors' } }));
    assert.throws(() => openCheckpoint(dir), /model-00002-of-00002\.safetensors: tensor "c" listed in model\.safetensors\.index\.json is missing/);
    fs.writeFileSync(idxPath, JSON.stringify({ weight_map: { a: 'model-00009-of-00009.safetensors' } }));
    assert.throws(() => openCheckpoint(dir), /shard "model-00009-of-00009\.safetensors" listed in weight_map does not exist/);
    fs.writeFileSync(idxPath, JSON.stringify({ weight_map: { a: '../etc/passwd' } }));
    assert.throws(() => openCheckpoint(dir), /is not a file name in this folder/);
    fs.writeFileSync(idxPath, JSON.stringify({ weight_map: { a: 'model-00002-of-00002.safetensors', b: 'model-00001-of-00002.safetensors' } }));
    assert.throws(() => openCheckpoint(dir), /model-00001-of-00002\.safetensors: tensor "a" is here but model\.safetensors\.index\.json maps it to model-00002/);
    fs.writeFileSync(idxPath, '{not json');
    assert.throws(() => openCheckpoint(dir), /index\.json: not valid JSON/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------------
// corrupt files

const GOOD_HEADER = {
  __metadata__: { format: 'pt' },
  a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
  b: { dtype: 'BF16', shape: [3], data_offsets: [16, 22] },
};
const GOOD_DATA = new Uint8Array(22).map((_, i) => i * 7);

test('corrupt files each give a clear error naming the file (and the tensor)', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty file', new Uint8Array(0), /file is 0 bytes, shorter than the 8-byte header length/],
    ['7 bytes', new Uint8Array(7), /file is 7 bytes/],
    ['header length beyond file', image(GOOD_HEADER, GOOD_DATA, 5000n), /header length 5000 runs past the end of the \d+-byte file/],
    ['giant header length', image(GOOD_HEADER, GOOD_DATA, 2n ** 63n), /header length 9223372036854775808 exceeds the 100000000-byte limit/],
    ['truncated data', image(GOOD_HEADER, GOOD_DATA).subarray(0, 8 + JSON.stringify(GOOD_HEADER).length + 10),
      /tensor "a": data_offsets \[0, 16\] run past the data section \(10 bytes\)/],
    ['trailing bytes', image(GOOD_HEADER, new Uint8Array(30)), /tensors cover 22 bytes but the data section holds 30 bytes/],
    ['not JSON', image('{"a": [1,', GOOD_DATA), /header is not valid JSON/],
    ['not an object', image('[1,2]', new Uint8Array(0)), /header does not start with "\{"/],
    ['invalid UTF-8', image(Uint8Array.of(0x7b, 0x22, 0xff, 0x22, 0x7d), new Uint8Array(0)), /header is not valid UTF-8/],
    ['unknown dtype', image({ a: { dtype: 'F4', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), /tensor "a": unknown dtype "F4"/],
    ['shape/byte mismatch', image({ a: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 16] } }, new Uint8Array(16)),
      /tensor "a": shape \[2,3\] x F32 needs 24 bytes but data_offsets \[0, 16\] hold 16/],
    ['overlapping offsets', image({
      a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] },
    }, new Uint8Array(16)), /tensor "b": data_offsets \[8, 16\] overlap tensor "a"/],
    ['gap between tensors', image({
      a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
    }, new Uint8Array(12)), /tensor "b": data_offsets \[8, 12\] leave a gap after byte 4/],
    ['first tensor not at 0', image({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)), /tensor "a": .*leave a gap after byte 0/],
    ['offsets out of range', image({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4000000000] } }, new Uint8Array(4)), /run past the data section/],
    ['end before begin', image({ a: { dtype: 'U8', shape: [0], data_offsets: [4, 0] } }, new Uint8Array(4)), /end before begin/],
    ['negative dim', image({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)), /tensor "a": shape \[-1\] has a dimension that is not a non-negative integer/],
    ['fractional dim', image({ a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 6] } }, new Uint8Array(6)), /not a non-negative integer/],
    ['string dim', image({ a: { dtype: 'F32', shape: ['2'], data_offsets: [0, 8] } }, new Uint8Array(8)), /not a non-negative integer/],
    ['missing offsets', image({ a: { dtype: 'F32', shape: [1] } }, new Uint8Array(4)), /tensor "a": data_offsets undefined is not a pair/],
    ['entry not object', image({ a: 5 }, new Uint8Array(0)), /tensor "a": entry is not an object/],
    ['bad metadata', image({ __metadata__: { n: 1 } }, new Uint8Array(0)), /"__metadata__.n" is not a string/],
    ['absurd shape', image({ a: { dtype: 'F32', shape: [1e6, 1e6, 1e6], data_offsets: [0, 4] } }, new Uint8Array(4)),
      /tensor "a": shape \[1000000,1000000,1000000\] is too large/],
    ['big shape, small data', image({ a: { dtype: 'F64', shape: [100000, 100000], data_offsets: [0, 8] } }, new Uint8Array(8)),
      /needs 80000000000 bytes but data_offsets \[0, 8\] hold 8/],
  ];
  const before = process.memoryUsage().arrayBuffers;
  for (const [what, bytes, re] of cases) {
    const e = openError(bytes);
    assert.match(e.message, re, what);
  }
  assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024, 'no large allocation while rejecting files');
});

test('the valid base image used by the fuzz reads correctly', () => {
  withFile(image(GOOD_HEADER, GOOD_DATA), (file) => {
    const st = openSafetensors(file);
    const a = st.read('a').data as Float32Array;
    assert.equal(a[0], new DataView(GOOD_DATA.buffer).getFloat32(0, true));
    assert.equal((st.read('b').data as Float32Array)[2], bf16ToF32(GOOD_DATA[20]! | (GOOD_DATA[21]! << 8)));
    st.close();
  });
});

test('fuzz: random byte mutations of a valid file either read correctly or throw a SafetensorsError', () => {
  const base = image(GOOD_HEADER, GOOD_DATA);
  const dir = tmpDir();
  const file = path.join(dir, 'fuzz.safetensors');
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(base.length - 1), byte: fc.nat(255) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat(base.length) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(base.length), byte: fc.nat(255) }),
    fc.record({ kind: fc.constant('len' as const), value: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
  );
  let ok = 0;
  let rejected = 0;
  try {
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (muts) => {
      let bytes = Uint8Array.from(base);
      for (const m of muts) {
        if (m.kind === 'set') { if (m.at < bytes.length) bytes[m.at] = m.byte; }
        else if (m.kind === 'cut') bytes = bytes.slice(0, Math.min(m.at, bytes.length));
        else if (m.kind === 'insert') {
          const at = Math.min(m.at, bytes.length);
          bytes = Uint8Array.from([...bytes.subarray(0, at), m.byte, ...bytes.subarray(at)]);
        } else if (bytes.length >= 8) new DataView(bytes.buffer).setBigUint64(0, m.value, true);
      }
      fs.writeFileSync(file, bytes);
      let st;
      try {
        st = openSafetensors(file);
      } catch (e) {
        assert.ok(e instanceof SafetensorsError, `not a SafetensorsError: ${String(e)}`);
        rejected++;
        return;
      }
      try {
        for (const [name, info] of st.header) {
          const t = st.read(name);
          assert.equal(t.data.length, numelOf(info.shape));
          if (['F32', 'F16', 'BF16'].includes(info.dtype) || ['I32', 'U8', 'I8', 'I16', 'U16', 'BOOL'].includes(info.dtype)) {
            const dst = new Float32Array(t.data.length);
            st.readInto(name, dst);
          }
        }
        ok++;
      } finally {
        st.close();
      }
    }), { numRuns: 400, seed: 1234 });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(rejected > 0, 'some mutations were rejected');
  assert.ok(ok > 0, 'some mutations (e.g. in the data) still read');
});

test('half-precision tensors larger than one decode chunk read exactly (chunk boundaries)', () => {
  const dir = tmpDir();
  try {
    const n = 700_001; // > 1 MiB of bf16/f16: several chunks, a ragged last one
    const vals = Float32Array.from({ length: n }, (_, i) => Math.fround(((i * 2654435761) % 1000003) / 1000003 - 0.5));
    const file = path.join(dir, 'big.safetensors');
    writeSafetensors(file, {
      bf: { dtype: 'BF16', shape: [n], data: vals }, h: { dtype: 'F16', shape: [n], data: vals }, f: { dtype: 'F32', shape: [n], data: vals },
    });
    const st = openSafetensors(file);
    const dst = new Float32Array(n + 3);
    st.readInto('bf', dst, 3);
    for (let i = 0; i < n; i += 9973) assert.equal(dst[3 + i], bf16ToF32(f32ToBf16(vals[i]!)), `bf16 ${i}`);
    assert.equal(dst[3 + n - 1], bf16ToF32(f32ToBf16(vals[n - 1]!)));
    st.readInto('h', dst, 0);
    for (let i = 0; i < n; i += 9973) assert.equal(dst[i], f16ToF32(f32ToF16(vals[i]!)), `f16 ${i}`);
    assert.equal(dst[n - 1], f16ToF32(f32ToF16(vals[n - 1]!)));
    st.readInto('f', dst, 1);
    assert.deepEqual(dst.subarray(1, n + 1), vals);
    st.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('openCheckpoint prefers model.safetensors over an index, as transformers does', () => {
  const dir = tmpDir();
  try {
    writeShardedCheckpoint(dir, { a: { dtype: 'F32', shape: [4], data: [1, 2, 3, 4] }, b: { dtype: 'F32', shape: [4], data: [5, 6, 7, 8] } }, { maxShardBytes: 16 });
    writeSafetensors(path.join(dir, 'model.safetensors'), { only: { dtype: 'F32', shape: [1], data: [9] } });
    const ck = openCheckpoint(dir);
    assert.deepEqual([...ck.tensors.keys()], ['only']);
    assert.deepEqual(ck.metadata, { format: 'pt' }, 'default metadata');
    ck.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('metadata {} writes no __metadata__ entry', () => {
  const dir = tmpDir();
  try {
    const file = path.join(dir, 'm.safetensors');
    writeSafetensors(file, { x: { dtype: 'F32', shape: [1], data: [1] } }, {});
    const raw = fs.readFileSync(file);
    const header = JSON.parse(raw.subarray(8, 8 + Number(raw.readBigUInt64LE(0))).toString('utf8'));
    assert.deepEqual(header, { x: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
