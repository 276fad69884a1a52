// OpenAI-compatible HTTP provider (vLLM, SGLang, llama.cpp server, Ollama, OpenAI) through the `openai`
// SDK: chat and raw completions, assistant prefill, a concurrency cap, retries with backoff + jitter
// on 429/5xx/connection errors (Retry-After respected), a per-request timeout and token accounting.
import OpenAI, { APIConnectionError, APIError } from 'openai';
import type { ChatMessage, Completion, GenerateRequest, Provider } from './types.js';
import { ProviderError } from './errors.js';
import { Semaphore } from './semaphore.js';
import { DEFAULT_RETRY, backoffDelay, isRetryableStatus, parseRetryAfter, sleep, type RetryPolicy } from './retry.js';

/**
 * How the request body is shaped for servers that differ:
 * - 'vllm' (default for `http://` providers): sends `top_k` and, for a chat prefill, appends the prefill as a
 *   final assistant message with `continue_final_message: true, add_generation_prompt: false` so the server
 *   continues that message (vLLM and SGLang understand these; llama.cpp and Ollama ignore unknown fields).
 * - 'openai' (default for `openai:` providers): only fields OpenAI accepts. A prefill is appended as a final
 *   assistant message; the hosted API answers with a new turn after it, not a continuation.
 */
export type HttpDialect = 'vllm' | 'openai';

export interface HttpProviderOptions {
  /** e.g. `http://127.0.0.1:8000/v1`. */
  baseURL: string;
  model: string;
  /** Provider string recorded in results; defaults to `${baseURL}#${model}`. */
  id?: string;
  apiKey?: string;
  dialect?: HttpDialect;
  /** Max requests in flight at once (default 8). */
  concurrency?: number;
  /** Per-attempt timeout in ms (default 120 000). */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Called before each wait between attempts. */
  onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
  /** Injected for tests: the wait between attempts and the jitter source. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface ProviderStats {
  /** Successful generate() calls. */
  completions: number;
  /** HTTP attempts made, including retried ones. */
  attempts: number;
  retries: number;
  failures: number;
  promptTokens: number;
  completionTokens: number;
  /** Highest number of requests in flight at once. */
  maxInFlight: number;
}

interface WireChoice {
  text?: unknown;
  message?: { content?: unknown };
  finish_reason?: unknown;
}
interface WireResponse {
  choices?: WireChoice[];
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown };
}

export class HttpProvider implements Provider {
  readonly id: string;
  readonly model: string;
  readonly stats: ProviderStats = {
    completions: 0, attempts: 0, retries: 0, failures: 0, promptTokens: 0, completionTokens: 0, maxInFlight: 0,
  };
  private readonly client: OpenAI;
  private readonly gate: Semaphore;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly dialect: HttpDialect;

  constructor(private readonly opts: HttpProviderOptions) {
    this.model = opts.model;
    this.id = opts.id ?? `${opts.baseURL}#${opts.model}`;
    this.dialect = opts.dialect ?? 'vllm';
    this.timeoutMs = opts.timeoutMs ?? 120_000;
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.gate = new Semaphore(opts.concurrency ?? 8);
    // Retries are ours (Retry-After, jitter, accounting), so the SDK's own are off.
    this.client = new OpenAI({
      baseURL: opts.baseURL,
      apiKey: opts.apiKey ?? 'EMPTY',
      maxRetries: 0,
      timeout: this.timeoutMs,
    });
  }

  async generate(req: GenerateRequest): Promise<Completion> {
    if ((req.messages == null) === (req.prompt == null)) {
      throw new Error(`${this.id}: a request needs exactly one of 'messages' or 'prompt'`);
    }
    return this.gate.run(() => this.withRetries(req));
  }

  private async withRetries(req: GenerateRequest): Promise<Completion> {
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.gate.inFlight);
    const wait = this.opts.sleep ?? ((ms: number) => sleep(ms));
    for (let attempt = 0; ; attempt++) {
      this.stats.attempts++;
      try {
        const out = await this.once(req);
        this.stats.completions++;
        if (out.usage) {
          this.stats.promptTokens += out.usage.promptTokens;
          this.stats.completionTokens += out.usage.completionTokens;
        }
        return out;
      } catch (e) {
        const f = classify(e);
        if (!f.retryable || attempt >= this.retry.maxRetries) {
          this.stats.failures++;
          const tries = attempt + 1;
          throw new ProviderError(
            `${this.id}: ${f.reason}${f.retryable ? ` (gave up after ${tries} attempts)` : ''}`,
            { providerId: this.id, status: f.status, attempts: tries, retryable: f.retryable, cause: e },
          );
        }
        const backoff = backoffDelay(attempt, this.retry, this.opts.random);
        const delayMs = f.retryAfterMs != null ? Math.min(this.retry.maxDelayMs, f.retryAfterMs) : backoff;
        this.stats.retries++;
        this.opts.onRetry?.({ attempt: attempt + 1, delayMs, reason: f.reason });
        await wait(delayMs);
      }
    }
  }

  private async once(req: GenerateRequest): Promise<Completion> {
    const p = req.params ?? {};
    const common: Record<string, unknown> = { model: this.model };
    if (p.temperature != null) common.temperature = p.temperature;
    if (p.topP != null) common.top_p = p.topP;
    if (p.maxTokens != null) common.max_tokens = p.maxTokens;
    if (p.stop != null && p.stop.length > 0) common.stop = p.stop;
    if (p.seed != null) common.seed = p.seed;
    if (p.topK != null && this.dialect === 'vllm') common.top_k = p.topK;
    const reqOpts = { timeout: this.timeoutMs, maxRetries: 0 };

    let raw: unknown;
    let mode: 'chat' | 'text';
    if (req.prompt != null) {
      mode = 'text';
      const body = { ...common, prompt: req.prompt + (req.prefill ?? '') };
      raw = await this.client.completions.create(body as never, reqOpts);
    } else {
      mode = 'chat';
      const messages: ChatMessage[] = [...req.messages!];
      const body: Record<string, unknown> = { ...common, messages };
      if (req.prefill != null && req.prefill !== '') {
        messages.push({ role: 'assistant', content: req.prefill });
        if (this.dialect === 'vllm') {
          body.continue_final_message = true;
          body.add_generation_prompt = false;
        }
      }
      raw = await this.client.chat.completions.create(body as never, reqOpts);
    }
    return readResponse(raw, mode, this.id);
  }

  async close(): Promise<void> {}
}

/** Turns the wire response into a Completion, loudly rejecting anything malformed. */
function readResponse(raw: unknown, mode: 'chat' | 'text', id: string): Completion {
  const r = raw as WireResponse | null;
  const choice = r && typeof r === 'object' && Array.isArray(r.choices) ? r.choices[0] : undefined;
  const text = mode === 'chat' ? choice?.message?.content : choice?.text;
  if (typeof text !== 'string') {
    const shown = typeof raw === 'string' ? raw.slice(0, 80) : JSON.stringify(raw)?.slice(0, 80);
    throw new MalformedResponse(`${id}: malformed response (no choices[0].${mode === 'chat' ? 'message.content' : 'text'}): ${shown}`);
  }
  const out: Completion = { text, finishReason: choice?.finish_reason === 'length' ? 'length' : 'stop' };
  const u = r?.usage;
  if (u && typeof u.prompt_tokens === 'number' && typeof u.completion_tokens === 'number') {
    out.usage = { promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens };
  }
  return out;
}

class MalformedResponse extends Error {}

interface Failure {
  retryable: boolean;
  reason: string;
  status?: number;
  retryAfterMs?: number;
}

function classify(e: unknown): Failure {
  if (e instanceof APIConnectionError) {
    return { retryable: true, reason: `connection error: ${e.message}` };
  }
  if (e instanceof APIError) {
    const status = e.status ?? 0;
    const h = e.headers;
    const ms = h?.get('retry-after-ms');
    const retryAfterMs = ms != null && /^\d+(\.\d+)?$/.test(ms) ? Number(ms) : parseRetryAfter(h?.get('retry-after'));
    return { retryable: isRetryableStatus(status), reason: `HTTP ${status}: ${e.message}`, status, retryAfterMs };
  }
  // A 200 whose body is not the JSON we expect: a proxy or server mid-restart; worth another try.
  if (e instanceof MalformedResponse || e instanceof SyntaxError) {
    return { retryable: true, reason: e.message };
  }
  return { retryable: false, reason: e instanceof Error ? e.message : String(e) };
}
