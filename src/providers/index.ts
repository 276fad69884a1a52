// Providers layer: build a Provider from its string (`local:<dir>`, `openai:<model>`,
// `http://host:port/v1#<model>`, `scripted:<name>`), wrapped in the disk cache unless told not to.
import type { Provider } from './types.js';
import { HttpProvider, type HttpProviderOptions } from './http.js';
import { CachedProvider, defaultCacheDir } from './cache.js';
import { ScriptedProvider, type ScriptFn } from './scripted.js';
import { localProvider } from './local.js';

export * from './types.js';
export { HttpProvider, type HttpProviderOptions, type HttpDialect, type ProviderStats } from './http.js';
export { CachedProvider, DiskCache, cacheKey, defaultCacheDir, glassboxHome, type CacheStats, type CachedProviderOptions } from './cache.js';
export { ScriptedProvider, replayProvider, type ScriptFn } from './scripted.js';
export { ProviderError } from './errors.js';
export { LocalProvider, localProvider } from './local.js';
export { Semaphore } from './semaphore.js';
export { DEFAULT_RETRY, backoffDelay, parseRetryAfter, isRetryableStatus, type RetryPolicy } from './retry.js';

export interface CreateProviderOptions {
  /** Max requests in flight (HTTP providers; default 8). */
  concurrency?: number;
  /** Per-request timeout, ms (HTTP providers; default 120 000). */
  timeoutMs?: number;
  /** Retries after the first attempt (HTTP providers; default 5). */
  maxRetries?: number;
  /** Cache folder (default GLASSBOX_HOME/cache). */
  cacheDir?: string;
  /** Authoritative: no cache read or write at all. */
  noCache?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Passed through to HttpProvider (onRetry, sleep, random, retry policy...). */
  http?: Partial<HttpProviderOptions>;
}

export type LocalProviderFactory = (modelDir: string, opts: CreateProviderOptions) => Provider | Promise<Provider>;

let localFactory: LocalProviderFactory | undefined = (dir) => localProvider(dir);
const scripts = new Map<string, ScriptFn>();

/** The models layer registers how to run `local:<dir>` providers on the glassbox engine. */
export function registerLocalProviderFactory(fn: LocalProviderFactory): void {
  localFactory = fn;
}

/** Makes `scripted:<name>` resolve to a ScriptedProvider running `fn` (tests, demos). */
export function registerScriptedProvider(name: string, fn: ScriptFn): void {
  scripts.set(name, fn);
}

export interface ParsedProviderSpec {
  kind: 'local' | 'openai' | 'http' | 'scripted';
  /** local: model folder; openai/http/scripted: model name. */
  model: string;
  baseURL?: string;
}

/** Parses a provider string; throws naming the accepted forms when it matches none. */
export function parseProviderSpec(spec: string): ParsedProviderSpec {
  const s = spec.trim();
  if (s.startsWith('local:')) {
    const dir = s.slice('local:'.length);
    if (!dir) throw new Error(`provider '${spec}': local provider needs a model folder, e.g. local:./models/qwen`);
    return { kind: 'local', model: dir };
  }
  if (s.startsWith('openai:')) {
    const model = s.slice('openai:'.length);
    if (!model) throw new Error(`provider '${spec}': openai provider needs a model, e.g. openai:gpt-4o-mini`);
    return { kind: 'openai', model };
  }
  if (s.startsWith('scripted:')) {
    return { kind: 'scripted', model: s.slice('scripted:'.length) };
  }
  if (/^https?:\/\//.test(s)) {
    const hash = s.indexOf('#');
    const model = hash >= 0 ? s.slice(hash + 1) : '';
    if (!model) {
      throw new Error(`provider '${spec}': name the model after '#', e.g. http://127.0.0.1:8000/v1#Qwen/Qwen2.5-7B-Instruct`);
    }
    const baseURL = s.slice(0, hash).replace(/\/+$/, '');
    return { kind: 'http', model, baseURL };
  }
  throw new Error(
    `provider '${spec}' not understood: use local:<model-dir>, openai:<model> or http://host:port/v1#<model>`,
  );
}

/** Builds the provider a string names, cached on disk unless `noCache`. */
export async function createProvider(spec: string, opts: CreateProviderOptions = {}): Promise<Provider> {
  const p = parseProviderSpec(spec);
  const env = opts.env ?? process.env;
  let inner: Provider;
  switch (p.kind) {
    case 'local':
      if (!localFactory) {
        throw new Error(`provider '${spec}': local provider not available yet (the models layer has not registered one)`);
      }
      inner = await localFactory(p.model, opts);
      break;
    case 'scripted': {
      const fn = scripts.get(p.model);
      if (!fn) throw new Error(`provider '${spec}': no scripted provider registered under '${p.model}'`);
      // scripted answers are cheap and often stateful: never cached
      return new ScriptedProvider(fn, { id: spec, model: p.model });
    }
    case 'openai': {
      const apiKey = env.OPENAI_API_KEY;
      if (!apiKey) throw new Error(`provider '${spec}': set OPENAI_API_KEY to use the OpenAI API`);
      inner = new HttpProvider({
        baseURL: env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1',
        model: p.model, id: spec, apiKey, dialect: 'openai',
        concurrency: opts.concurrency, timeoutMs: opts.timeoutMs,
        ...opts.http,
        retry: { ...(opts.maxRetries != null ? { maxRetries: opts.maxRetries } : {}), ...opts.http?.retry },
      });
      break;
    }
    case 'http':
      inner = new HttpProvider({
        baseURL: p.baseURL!, model: p.model, id: spec, apiKey: env.GLASSBOX_API_KEY,
        dialect: 'vllm', concurrency: opts.concurrency, timeoutMs: opts.timeoutMs,
        ...opts.http,
        retry: { ...(opts.maxRetries != null ? { maxRetries: opts.maxRetries } : {}), ...opts.http?.retry },
      });
      break;
  }
  return opts.noCache ? inner : new CachedProvider(inner, { dir: opts.cacheDir ?? defaultCacheDir(env) });
}
