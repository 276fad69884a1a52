// Request screening for the dashboard server: only well-formed paths without traversal (raw, encoded
// or double-encoded), only GET/HEAD, and on a loopback bind only loopback Host headers (so a web page
// elsewhere cannot reach the store through DNS rebinding).

export type Verdict = { ok: true; path: string; query: URLSearchParams } | { ok: false; status: number; reason: string };

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopback(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Host header without its port: 'localhost:8321' -> 'localhost', '[::1]:80' -> '[::1]'. */
function hostName(header: string): string {
  if (header.startsWith('[')) return header.slice(0, header.indexOf(']') + 1);
  const colon = header.lastIndexOf(':');
  return colon >= 0 ? header.slice(0, colon) : header;
}

/** Screen a request's method, raw URL and Host header before any routing. */
export function screenRequest(method: string | undefined, rawUrl: string | undefined, hostHeader: string | undefined, boundToLoopback: boolean): Verdict {
  if (method !== 'GET' && method !== 'HEAD') return { ok: false, status: 405, reason: 'only GET and HEAD are served' };
  if (boundToLoopback && (!hostHeader || !isLoopback(hostName(hostHeader).toLowerCase()))) {
    return { ok: false, status: 403, reason: 'this dashboard only answers requests addressed to localhost' };
  }
  const url = rawUrl ?? '';
  if (!url.startsWith('/') || url.startsWith('//')) return { ok: false, status: 400, reason: 'bad request path' };
  const q = url.indexOf('?');
  const rawPath = q >= 0 ? url.slice(0, q) : url;
  // Encoded dots, slashes, backslashes and NULs have no place in our routes: refuse before decoding.
  if (/%(2e|2f|5c|00|25)/i.test(rawPath) || rawPath.includes('\\') || rawPath.includes('\0')) {
    return { ok: false, status: 400, reason: 'encoded path separators are not allowed' };
  }
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return { ok: false, status: 400, reason: 'malformed percent-encoding in path' };
  }
  const segments = path.split('/');
  if (segments.some((s) => s === '..' || s === '.') || path.includes('//')) {
    return { ok: false, status: 400, reason: 'path traversal is not allowed' };
  }
  let query: URLSearchParams;
  try {
    query = new URLSearchParams(q >= 0 ? url.slice(q + 1) : '');
  } catch {
    return { ok: false, status: 400, reason: 'malformed query string' };
  }
  return { ok: true, path, query };
}

/** Run ids in API paths: the store's id alphabet only. */
export const RUN_ID_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Content-Security-Policy':
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};
