// Public API of the web dashboard: the server, the static export and the JSON API functions.
export { startViewServer } from './server.js';
export type { ViewServer, ViewServerOptions } from './server.js';
export { exportRunHtml } from './export.js';
export type { ExportOptions, ExportResult } from './export.js';
export { listRunsApi, getRunApi, recordsApi, seriesApi, compareApi, ApiError } from './api.js';
export { renderPage } from './page.js';
export { screenRequest } from './security.js';
