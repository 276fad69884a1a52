// The dashboard's one HTML page: inline CSS and client script, and for a static export the run's data
// embedded as JSON (escaped so no string inside it can close the <script> element).
import { APP_SCRIPT } from './app-script.js';
import { APP_STYLES } from './styles.js';

export interface PageOptions {
  mode: 'live' | 'static';
  title?: string;
  /** Data for a static page (see export.ts); absent in live mode. */
  data?: unknown;
}

/** JSON safe to place inside <script type="application/json">. */
export function embedJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function renderPage(opts: PageOptions): string {
  const data = opts.mode === 'static' ? `<script type="application/json" id="glassbox-data">${embedJson(opts.data ?? null)}</script>\n` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(opts.title ?? 'glassbox')}</title>
<style>${APP_STYLES}</style>
</head>
<body>
<div id="app"></div>
${data}<script>${APP_SCRIPT}</script>
</body>
</html>
`;
}
