// `glassbox view`'s HTTP server (node:http): serves the single-page dashboard and its JSON API over the
// run store, nothing else. Binds 127.0.0.1 unless a host is given; every request is screened first.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RunStoreError, type RunStore } from '../../runs/index.js';
import { ApiError, compareApi, getRunApi, listRunsApi, recordsApi, seriesApi } from './api.js';
import { renderPage } from './page.js';
import { isLoopback, RUN_ID_SEGMENT, screenRequest, SECURITY_HEADERS } from './security.js';

export interface ViewServerOptions {
  store: RunStore;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Interface to bind; loopback unless told otherwise. */
  host?: string;
}

export interface ViewServer {
  server: Server;
  host: string;
  port: number;
  /** e.g. http://127.0.0.1:8321/ */
  url: string;
  close(): Promise<void>;
}

function send(res: ServerResponse, req: IncomingMessage, status: number, type: string, body: string | Buffer): void {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': buf.length, 'Cache-Control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : buf);
}

function sendJson(res: ServerResponse, req: IncomingMessage, status: number, value: unknown): void {
  send(res, req, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

/** Route one screened request; throws ApiError for 4xx. */
function route(store: RunStore, path: string, query: URLSearchParams, page: () => string): { type: 'html' | 'json' | 'empty'; body?: unknown } {
  if (path === '/' || path === '/index.html') return { type: 'html', body: page() };
  if (path === '/favicon.ico') return { type: 'empty' };
  if (path === '/api/runs') return { type: 'json', body: listRunsApi(store, query) };
  if (path === '/api/compare') return { type: 'json', body: compareApi(store, query) };
  const m = /^\/api\/runs\/([^/]+)(?:\/(records|series))?$/.exec(path);
  if (m) {
    const id = m[1]!;
    if (!RUN_ID_SEGMENT.test(id)) throw new ApiError(400, 'bad run id');
    if (m[2] === 'records') return { type: 'json', body: recordsApi(store, id, query) };
    if (m[2] === 'series') return { type: 'json', body: seriesApi(store, id, query) };
    return { type: 'json', body: getRunApi(store, id) };
  }
  throw new ApiError(404, 'not found');
}

/** Start the dashboard server; resolves once it is listening. */
export async function startViewServer(opts: ViewServerOptions): Promise<ViewServer> {
  const host = opts.host ?? '127.0.0.1';
  const loopback = isLoopback(host);
  const { store } = opts;
  let html: string | null = null;
  const page = () => (html ??= renderPage({ mode: 'live' }));
  const server = createServer((req, res) => {
    const verdict = screenRequest(req.method, req.url, req.headers.host, loopback);
    if (!verdict.ok) {
      sendJson(res, req, verdict.status, { error: verdict.reason });
      return;
    }
    try {
      const out = route(store, verdict.path, verdict.query, page);
      if (out.type === 'html') send(res, req, 200, 'text/html; charset=utf-8', out.body as string);
      else if (out.type === 'empty') {
        res.writeHead(204, SECURITY_HEADERS);
        res.end();
      } else sendJson(res, req, 200, out.body);
    } catch (e) {
      if (e instanceof ApiError) sendJson(res, req, e.status, { error: e.message });
      else if (e instanceof RunStoreError) sendJson(res, req, 400, { error: e.message });
      else {
        process.stderr.write(`glassbox view: ${req.url}: ${(e as Error).stack ?? String(e)}\n`);
        sendJson(res, req, 500, { error: (e as Error).message });
      }
    }
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    server,
    host,
    port,
    url: `http://${urlHost}:${port}/`,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
