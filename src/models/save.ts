/**
 * Writing a model folder back: config.json, safetensors (sharded above a size, with the HF index),
 * generation_config.json and the tokenizer files, so any HF tool (or glassbox) loads it like a checkpoint.
 * Written into a temporary folder and renamed into place, so a failure never leaves half a model.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Model } from './model.js';
import { writeShardedCheckpoint, type TensorToWrite } from './safetensors.js';

export interface SaveOptions {
  /** Stored dtype (computation stays f32). Default F32. */
  dtype?: 'F32' | 'BF16' | 'F16';
  /** Shard above this many bytes (default 2 GiB). */
  maxShardBytes?: number;
  /** Replace an existing folder (default false: refuse). */
  overwrite?: boolean;
}

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'chat_template.jinja'];

export function saveModel(model: Model, dir: string, opts: SaveOptions = {}): void {
  const dtype = opts.dtype ?? 'F32';
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0 && !opts.overwrite) throw new Error(`saveModel: ${dir} exists and is not empty (pass overwrite: true)`);
  const tmp = `${dir.replace(/\/+$/, '')}.tmp-${process.pid}-${Date.now()}`;
  fs.mkdirSync(tmp, { recursive: true });
  try {
    const tensors: Record<string, TensorToWrite> = {};
    for (const [name, t] of model.params) {
      if (model.config.tieWordEmbeddings && name === model.family.lmHead) continue;
      tensors[name] = { dtype, shape: t.shape, data: t.contiguous().toFlat() as Float32Array };
    }
    writeShardedCheckpoint(tmp, tensors, { maxShardBytes: opts.maxShardBytes ?? 2 * 1024 ** 3 });
    const raw = { ...model.config.raw, dtype: dtype === 'F32' ? 'float32' : dtype === 'BF16' ? 'bfloat16' : 'float16' };
    delete (raw as Record<string, unknown>).torch_dtype;
    fs.writeFileSync(path.join(tmp, 'config.json'), `${JSON.stringify(raw, null, 2)}\n`);
    const gen = model.generationConfig;
    const genJson = gen ? { bos_token_id: gen.bosTokenId, eos_token_id: gen.eosTokenIds.length === 1 ? gen.eosTokenIds[0] : gen.eosTokenIds, pad_token_id: gen.padTokenId } : {
      bos_token_id: model.config.bosTokenId, eos_token_id: model.config.eosTokenIds.length === 1 ? model.config.eosTokenIds[0] : model.config.eosTokenIds,
    };
    fs.writeFileSync(path.join(tmp, 'generation_config.json'), `${JSON.stringify(genJson, null, 2)}\n`);
    const tokDir = model.tokenizer?.dir ?? model.dir;
    if (tokDir) for (const f of TOKENIZER_FILES) if (fs.existsSync(path.join(tokDir, f))) fs.copyFileSync(path.join(tokDir, f), path.join(tmp, f));
    if (fs.existsSync(dir)) fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
