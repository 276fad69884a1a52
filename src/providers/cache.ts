// Disk cache for completions: one JSON file per key under GLASSBOX_HOME/cache (or a given folder).
// The key is sha256 over model + messages/prompt + prefill + params + sampleIndex. Errors are never
// cached; writes are atomic (temp file + rename) so concurrent writers never leave half a file.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync, unlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Completion, GenerateRequest, Provider } from './types.js';

/** GLASSBOX_HOME, defaulting to ~/.glassbox. */
export function glassboxHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.GLASSBOX_HOME ?? join(homedir(), '.glassbox');
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(glassboxHome(env), 'cache');
}

/** Serialises with object keys sorted, so equal requests give equal keys whatever the key order. */
function canonical(v: unknown): string {
  if (v === undefined) return 'null';
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
}

/** The cache key of a request to a given model (hex sha256). */
export function cacheKey(model: string, req: GenerateRequest): string {
  const material = canonical({
    v: 1,
    model,
    messages: req.messages ?? null,
    prompt: req.prompt ?? null,
    prefill: req.prefill ?? null,
    params: req.params ?? {},
    sampleIndex: req.sampleIndex ?? 0,
  });
  return createHash('sha256').update(material).digest('hex');
}

export interface CacheStats {
  hits: number;
  misses: number;
  writes: number;
}

export class DiskCache {
  readonly stats: CacheStats = { hits: 0, misses: 0, writes: 0 };
  constructor(readonly dir: string = defaultCacheDir()) {}

  pathOf(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  get(key: string): Completion | undefined {
    let text: string;
    try {
      text = readFileSync(this.pathOf(key), 'utf8');
    } catch {
      this.stats.misses++;
      return undefined;
    }
    try {
      const entry = JSON.parse(text) as { completion?: Completion };
      if (entry.completion && typeof entry.completion.text === 'string') {
        this.stats.hits++;
        return entry.completion;
      }
    } catch {
      // a damaged file counts as a miss and is overwritten by the next put
    }
    this.stats.misses++;
    return undefined;
  }

  put(key: string, completion: Completion, meta: Record<string, unknown> = {}): void {
    const file = this.pathOf(key);
    mkdirSync(join(this.dir, key.slice(0, 2)), { recursive: true });
    const { cached: _drop, ...stored } = completion;
    const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    writeFileSync(tmp, JSON.stringify({ key, ...meta, completion: stored }));
    try {
      renameSync(tmp, file);
    } catch (e) {
      try { unlinkSync(tmp); } catch { /* already gone */ }
      throw e;
    }
    this.stats.writes++;
  }
}

export interface CachedProviderOptions {
  /** Folder for cache files (default GLASSBOX_HOME/cache). */
  dir?: string;
  /** Authoritative: when true the cache is neither read nor written. */
  noCache?: boolean;
}

/** A provider that answers from the disk cache when it can and stores every successful completion. */
export class CachedProvider implements Provider {
  readonly id: string;
  readonly model: string;
  readonly cache: DiskCache;
  readonly noCache: boolean;

  constructor(readonly inner: Provider, opts: CachedProviderOptions = {}) {
    this.id = inner.id;
    this.model = inner.model;
    this.cache = new DiskCache(opts.dir ?? defaultCacheDir());
    this.noCache = opts.noCache ?? false;
  }

  async generate(req: GenerateRequest): Promise<Completion> {
    if (this.noCache) return this.inner.generate(req);
    const key = cacheKey(this.model, req);
    const hit = this.cache.get(key);
    if (hit) return { ...hit, cached: true };
    const out = await this.inner.generate(req); // a throw here stores nothing
    this.cache.put(key, out, { model: this.model, providerId: this.id });
    return { ...out, cached: false };
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }
}
