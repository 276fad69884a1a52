// The reward server for external RL trainers: OpenRLHF's `POST /get_reward`, a verl-style
// `POST /compute_score`, and `GET /health`, over node:http. Stateless (scale it horizontally);
// bad input gets a 4xx naming the field, oversize bodies a 413, and no request can crash it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { Checker } from './check.js';
import type { OutputFormat } from './parse.js';
import { assertRewardFormat, scoreCompletion, type RewardKind, type ScoredCompletion } from './rewards.js';

export interface RewardServerOptions {
  /** 0 picks a free port (default). */
  port?: number;
  /** Default 127.0.0.1: loopback only unless told otherwise. */
  host?: string;
  format?: OutputFormat;
  reward?: RewardKind;
  /** Correctness checker (default SQuAD exact match inside scoreCompletion). */
  checker?: Checker;
  /** Name shown by /health, e.g. 'exact' or 'numeric'. */
  checkerName?: string;
  /** Largest request body in bytes (default 16 MiB); bigger gets 413. */
  bodyLimit?: number;
  /** Whole-request receive timeout in ms (default 60 000); a slow client gets 408. */
  requestTimeoutMs?: number;
  /**
   * Trailing special tokens removed from each completion before parsing (trainers decode with special tokens
   * kept, so EOS/pad tokens follow the last tag). Default: common EOS/pad tokens of Qwen, Llama, Mistral, Gemma.
   */
  stripTokens?: string[];
}

export const DEFAULT_STRIP_TOKENS = [
  '<|im_end|>', '<|endoftext|>', '<|eot_id|>', '<|end_of_text|>', '</s>', '<eos>', '<end_of_turn>', '<|end|>', '<pad>',
];

export interface RewardServer {
  /** e.g. http://127.0.0.1:5000 */
  url: string;
  host: string;
  port: number;
  server: Server;
  stats: { requests: number; scored: number; clientErrors: number; serverErrors: number };
  close(): Promise<void>;
}

// ---- request schemas ----

const label = z.union([z.string(), z.array(z.string()).min(1)]);

export const GetRewardBody = z.object({
  query: z.array(z.string()).min(1),
  prompts: z.array(z.string()).optional(),
  labels: z.array(label),
});
export type GetRewardBody = z.infer<typeof GetRewardBody>;

export const ComputeScoreItem = z.object({
  data_source: z.string().optional(),
  solution_str: z.string(),
  ground_truth: label,
  extra_info: z.record(z.string(), z.unknown()).nullish(),
});
export type ComputeScoreItem = z.infer<typeof ComputeScoreItem>;

export const ComputeScoreBody = z.union([ComputeScoreItem, z.array(ComputeScoreItem).min(1)]);

export interface GetRewardResponse {
  rewards: number[];
  /** Correctness (0/1) per completion: what OpenRLHF's dynamic filtering reads. */
  scores: number[];
  extra_logs: { format: number[]; correct: number[]; brier?: number[]; confidence?: number[] };
}

export interface ComputeScoreResult {
  score: number;
  format: number;
  correct: number;
  brier: number | null;
  confidence: number | null;
  answer: string | null;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

/** "field.path: what is wrong" for the first zod issue (the path names the failing field). */
function describeIssue(err: z.ZodError, root: string): string {
  const issue = err.issues[0]!;
  const path = issue.path.length ? issue.path.map(String).join('.') : root;
  return `${path}: ${issue.message}`;
}

/** The completion the policy wrote: the query after its prompt (searched, as trainers may left-pad). */
export function completionOf(query: string, prompt: string | undefined, stripTokens: string[]): string {
  let text = query;
  if (prompt) {
    const at = query.startsWith(prompt) ? 0 : query.indexOf(prompt);
    if (at >= 0) text = query.slice(at + prompt.length);
  }
  return stripTrailing(text, stripTokens);
}

function stripTrailing(text: string, tokens: string[]): string {
  if (tokens.length === 0) return text;
  let t = text;
  for (let changed = true; changed; ) {
    changed = false;
    const trimmed = t.trimEnd();
    for (const tok of tokens) {
      if (tok && trimmed.endsWith(tok)) {
        t = trimmed.slice(0, trimmed.length - tok.length);
        changed = true;
      }
    }
  }
  return t;
}

export interface ScorerConfig {
  format: OutputFormat;
  reward: RewardKind;
  checker?: Checker;
  stripTokens: string[];
}

async function scoreOne(completion: string, gold: string | string[], cfg: ScorerConfig, question?: string): Promise<ScoredCompletion> {
  return scoreCompletion(completion, gold, {
    format: cfg.format, reward: cfg.reward, checker: cfg.checker, ctx: question ? { question } : undefined,
  });
}

/** OpenRLHF `/get_reward`: validated body in, reward lists out. Throws HttpError(400) on inconsistent lengths. */
export async function handleGetReward(body: GetRewardBody, cfg: ScorerConfig): Promise<GetRewardResponse> {
  const n = body.query.length;
  if (body.labels.length !== n) {
    throw new HttpError(400, `labels: has ${body.labels.length} entries but query has ${n}`);
  }
  if (body.prompts && body.prompts.length !== n) {
    throw new HttpError(400, `prompts: has ${body.prompts.length} entries but query has ${n}`);
  }
  const scored = await Promise.all(body.query.map((q, i) => {
    const prompt = body.prompts?.[i];
    return scoreOne(completionOf(q, prompt, cfg.stripTokens), body.labels[i]!, cfg, prompt);
  }));
  const withConfidence = cfg.format !== 'ta';
  const out: GetRewardResponse = {
    rewards: scored.map((s) => s.reward),
    scores: scored.map((s) => s.correct),
    extra_logs: { format: scored.map((s) => s.format), correct: scored.map((s) => s.correct) },
  };
  if (withConfidence) {
    // malformed rows have no q: logged as confidence 0 and Brier 1 (the worst), so means stay finite
    out.extra_logs.confidence = scored.map((s) => s.confidence ?? 0);
    out.extra_logs.brier = scored.map((s) => s.brier ?? 1);
  }
  return out;
}

/** verl-style `/compute_score` for one item. */
export async function handleComputeScore(item: ComputeScoreItem, cfg: ScorerConfig): Promise<ComputeScoreResult> {
  const q = item.extra_info?.question;
  const s = await scoreOne(stripTrailing(item.solution_str, cfg.stripTokens), item.ground_truth, cfg, typeof q === 'string' ? q : undefined);
  return { score: s.reward, format: s.format, correct: s.correct, brier: s.brier, confidence: s.confidence, answer: s.answer };
}

// ---- transport ----

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new HttpError(413, `body of ${declared} bytes is over the limit of ${limit} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > limit) {
        done = true;
        chunks.length = 0; // stop holding what came so far
        reject(new HttpError(413, `body is over the limit of ${limit} bytes`));
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => { if (!done) { done = true; resolve(Buffer.concat(chunks)); } });
    req.on('error', (e) => { if (!done) { done = true; reject(e); } });
    req.on('aborted', () => { if (!done) { done = true; reject(new HttpError(400, 'request aborted')); } });
  });
}

function sendJson(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

const ROUTES: Record<string, string> = { '/get_reward': 'POST', '/compute_score': 'POST', '/health': 'GET' };

/** Starts the reward server; resolves once it listens. */
export async function startRewardServer(opts: RewardServerOptions = {}): Promise<RewardServer> {
  const cfg: ScorerConfig = {
    format: opts.format ?? 'tabc',
    reward: opts.reward ?? 'rlcr',
    checker: opts.checker,
    stripTokens: opts.stripTokens ?? DEFAULT_STRIP_TOKENS,
  };
  assertRewardFormat(cfg.reward, cfg.format); // e.g. rlcr with 'ta' is refused before listening
  const bodyLimit = opts.bodyLimit ?? 16 * 1024 * 1024;
  const host = opts.host ?? '127.0.0.1';
  const stats = { requests: 0, scored: 0, clientErrors: 0, serverErrors: 0 };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const method = ROUTES[path];
    if (!method) throw new HttpError(404, `no route ${path}: use POST /get_reward, POST /compute_score or GET /health`);
    if (req.method !== method) throw new HttpError(405, `${path} takes ${method}, not ${req.method}`, { allow: method });
    if (path === '/health') {
      sendJson(res, 200, { status: 'ok', format: cfg.format, reward: cfg.reward, checker: opts.checkerName ?? 'exact' });
      return;
    }
    const raw = await readBody(req, bodyLimit);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (e) {
      throw new HttpError(400, `body is not valid JSON: ${(e as Error).message}`);
    }
    if (path === '/get_reward') {
      const parsed = GetRewardBody.safeParse(body);
      if (!parsed.success) throw new HttpError(400, describeIssue(parsed.error, 'body'));
      const out = await handleGetReward(parsed.data, cfg);
      stats.scored += out.rewards.length;
      sendJson(res, 200, out);
    } else {
      const parsed = ComputeScoreBody.safeParse(body);
      if (!parsed.success) {
        // report against the shape the client evidently meant
        const alt = Array.isArray(body) ? z.array(ComputeScoreItem).min(1).safeParse(body) : ComputeScoreItem.safeParse(body);
        throw new HttpError(400, describeIssue(alt.success ? parsed.error : alt.error, 'body'));
      }
      if (Array.isArray(parsed.data)) {
        const out = await Promise.all(parsed.data.map((it) => handleComputeScore(it, cfg)));
        stats.scored += out.length;
        sendJson(res, 200, out);
      } else {
        const out = await handleComputeScore(parsed.data, cfg);
        stats.scored += 1;
        sendJson(res, 200, out);
      }
    }
  }

  const requestTimeout = opts.requestTimeoutMs ?? 60_000;
  const server = createServer({
    requestTimeout,
    headersTimeout: Math.min(requestTimeout, 60_000),
    connectionsCheckingInterval: Math.max(10, Math.min(30_000, Math.floor(requestTimeout / 4))),
  }, (req, res) => {
    stats.requests++;
    route(req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      if (status >= 500) stats.serverErrors++;
      else stats.clientErrors++;
      const message = e instanceof Error ? e.message : String(e);
      if (status === 413) {
        // answer, then stop reading: drop the rest of the upload and close the connection shortly after
        req.removeAllListeners('data');
        req.on('data', () => {});
        sendJson(res, 413, { error: message }, { connection: 'close' });
        res.on('finish', () => setTimeout(() => req.destroy(), 500).unref());
        return;
      }
      sendJson(res, status, { error: status >= 500 ? `internal error: ${message}` : message },
        e instanceof HttpError ? e.headers : {});
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    stats.clientErrors++;
    const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout'
      : err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    host,
    port,
    server,
    stats,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
