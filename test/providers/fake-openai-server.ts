// A real OpenAI-compatible HTTP server for provider tests (node:http on 127.0.0.1, port 0):
// POST /v1/chat/completions and /v1/completions answered by a scripted responder, with the
// in-flight count and every request body recorded.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeReply {
  status?: number;
  headers?: Record<string, string>;
  /** Raw body text (sent as-is: may be malformed JSON). */
  raw?: string;
  /** JSON body. */
  json?: unknown;
  /** Wait this long before answering (to trigger client timeouts). */
  delayMs?: number;
}

export interface FakeRequest {
  path: string;
  body: any;
}

export type Responder = (req: FakeRequest, n: number) => FakeReply;

export interface FakeServer {
  url: string; // http://127.0.0.1:port/v1
  requests: FakeRequest[];
  maxInFlight: number;
  setResponder(r: Responder): void;
  close(): Promise<void>;
}

/** A normal chat reply echoing the last user message. */
export function chatOk(text: string, usage = { prompt_tokens: 7, completion_tokens: 3 }): FakeReply {
  return {
    json: {
      id: 'x', object: 'chat.completion', created: 0, model: 'm',
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    },
  };
}

export function textOk(text: string, finish = 'stop'): FakeReply {
  return {
    json: {
      id: 'x', object: 'text_completion', created: 0, model: 'm',
      choices: [{ index: 0, text, finish_reason: finish }],
      usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
    },
  };
}

export async function startFakeServer(responder: Responder): Promise<FakeServer> {
  let respond = responder;
  let inFlight = 0;
  const state = { requests: [] as FakeRequest[], maxInFlight: 0 };
  const timers = new Set<NodeJS.Timeout>();

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      inFlight++;
      state.maxInFlight = Math.max(state.maxInFlight, inFlight);
      let body: any = null;
      try { body = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { body = null; }
      const fr: FakeRequest = { path: req.url ?? '', body };
      const n = state.requests.length;
      state.requests.push(fr);
      const reply = respond(fr, n);
      const send = () => {
        inFlight--;
        if (res.destroyed) return;
        const text = reply.raw ?? JSON.stringify(reply.json ?? {});
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
        res.end(text);
      };
      if (reply.delayMs) {
        const t = setTimeout(() => { timers.delete(t); send(); }, reply.delayMs);
        timers.add(t);
      } else {
        // answer on a later tick so concurrent requests overlap on the server
        const t = setTimeout(() => { timers.delete(t); send(); }, 5);
        timers.add(t);
      }
    });
  };

  const server: Server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get requests() { return state.requests; },
    get maxInFlight() { return state.maxInFlight; },
    setResponder(r: Responder) { respond = r; },
    async close() {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
