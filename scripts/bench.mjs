// Bench runner: runs every bench/*.bench.ts in its own process (node --import tsx), streaming output.
// Usage: npm run bench [-- substring ...]   (only benches whose file name contains one of the substrings)
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';

const filters = process.argv.slice(2);
const files = readdirSync('bench').filter((f) => f.endsWith('.bench.ts')).sort()
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (files.length === 0) { console.error(`no bench matched ${filters.join(', ')} (have: ${readdirSync('bench').filter((f) => f.endsWith('.bench.ts')).join(', ')})`); process.exit(1); }

let failed = 0;
for (const f of files) {
  console.log(`\n=== ${f} ===`);
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join('bench', f)], { stdio: 'inherit' });
    child.on('exit', (c, sig) => resolve(sig ? 128 : c ?? 1));
    child.on('error', () => resolve(1));
  });
  if (code !== 0) { failed++; console.log(`=== ${f} exited with code ${code} ===`); }
}
process.exit(failed ? 1 : 0);
