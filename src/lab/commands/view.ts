// `glassbox view`: serve the web dashboard over the run store (loopback unless --host), or write one
// run's view to a self-contained HTML file with --export.
import { UserError, type CommandSpec } from '../command.js';
import { openLabStore } from '../home.js';
import { exportRunHtml, startViewServer } from '../view/index.js';

export const viewCommand: CommandSpec = {
  name: 'view',
  summary: 'Open the web dashboard over the run store, or export one run as an HTML file',
  examples: ['glassbox view', 'glassbox view --port 8321', 'glassbox view --export 3fa9c2 --out report.html'],
  options: {
    port: { type: 'number', short: 'p', default: 8321, description: 'port to listen on (0 picks a free one)' },
    host: { type: 'string', default: '127.0.0.1', description: 'interface to bind; anything but loopback exposes your runs to the network' },
    export: { type: 'string', description: 'write this run (id, prefix or name) to a self-contained HTML file instead of serving' },
    out: { type: 'string', short: 'o', description: 'output file for --export (default glassbox-<run>.html)' },
    'max-records': { type: 'number', default: 2000, description: 'records embedded by --export' },
  },
  async run(opts, pos, ctx) {
    if (pos.length > 0) throw new UserError(`\`glassbox view\` takes no positional arguments (got "${pos.join(' ')}"); to export a run use --export <run>`);
    const store = openLabStore(ctx);
    if (opts.export !== undefined) {
      try {
        const run = store.requireRun(opts.export as string);
        const res = exportRunHtml(store, run.id, (opts.out as string | undefined) ?? `glassbox-${run.id}.html`, { maxRecords: opts['max-records'] as number });
        if (opts.json) ctx.out(JSON.stringify(res));
        else ctx.out(`wrote ${res.file} (${(res.bytes / 1024).toFixed(0)} KiB, ${res.embeddedRecords} of ${res.totalRecords} records)`);
        return 0;
      } finally {
        store.close();
      }
    }
    const port = opts.port as number;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port must be an integer 0-65535, got ${port}`);
    let server;
    try {
      server = await startViewServer({ store, port, host: opts.host as string });
    } catch (e) {
      store.close();
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new UserError(`port ${port} is in use; pick another with --port, or --port 0 for any free port`);
      if (code === 'EADDRNOTAVAIL') throw new UserError(`cannot bind ${String(opts.host)}: no such local address; use --host 127.0.0.1`);
      throw e;
    }
    if (opts.json) ctx.out(JSON.stringify({ url: server.url, host: server.host, port: server.port, home: store.home }));
    else {
      ctx.out(`glassbox view: ${server.url}  (store ${store.home}; Ctrl-C to stop)`);
      if (server.host !== '127.0.0.1' && server.host !== 'localhost' && server.host !== '::1') {
        ctx.err(`warning: listening on ${server.host}: anyone who can reach this address can read your runs`);
      }
    }
    await new Promise<void>((resolveStop) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void server.close().then(() => resolveStop());
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    store.close();
    return 0;
  },
};
