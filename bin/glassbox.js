#!/usr/bin/env node
// Launcher for the `glassbox` CLI: runs the compiled dist/ build when present, else the TypeScript
// sources through tsx (so a checkout works without a build step).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const built = fileURLToPath(new URL('../dist/src/lab/cli.js', import.meta.url));
let cli;
if (existsSync(built)) {
  cli = await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(new URL('../src/lab/cli.ts', import.meta.url).href);
}
process.exitCode = await cli.main(process.argv.slice(2));
