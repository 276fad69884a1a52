// `glassbox doctor`: reports the engine backend (and why), the BLAS build and threads, the machine, and
// runs the engine's numerical self-check. Exit code 1 when the self-check fails. `--json` for scripts.
import type { CommandSpec } from '../command.js';
import { engineDiagnostics, type EngineDiagnostics } from '../../engine/selfcheck.js';

const gib = (n: number) => `${(n / 2 ** 30).toFixed(1)} GiB`;

/** The human-readable report, one line per entry. */
export function formatDoctor(d: EngineDiagnostics): string[] {
  const info = d.native.info ?? {};
  const lines = [
    `backend     ${d.backend}: ${d.backendReason}`,
    `blas        ${typeof info.blas === 'string' ? info.blas : d.native.loaded ? 'unknown (addon has no info())' : 'none (reference kernels: plain TypeScript loops)'}`,
    `threads     ${d.threads ?? 1}${typeof info.blasThreads === 'number' ? ` (OpenBLAS ${info.blasThreads})` : ''}${typeof info.simd === 'string' ? `, SIMD ${info.simd}` : ''}`,
    `cpu         ${d.cpu.model} (${d.cpu.cores} cores, ${d.cpu.arch})`,
    `memory      ${gib(d.memory.totalBytes)} total, ${gib(d.memory.freeBytes)} free`,
    `node        ${d.node} on ${d.platform}`,
    `self-check  ${d.selfCheck.ok ? 'ok' : 'FAILED'}: ${d.selfCheck.checks.filter((c) => c.ok).length}/${d.selfCheck.checks.length} checks on ${d.selfCheck.backends.join(' + ')} in ${d.selfCheck.ms.toFixed(0)} ms`,
  ];
  for (const c of d.selfCheck.checks) {
    if (!c.ok) lines.push(`  FAIL ${c.name}: max rel. diff ${c.maxDiff.toExponential(2)} > ${c.tol.toExponential(0)}`);
  }
  const worst = d.selfCheck.checks.reduce((m, c) => (Number.isFinite(c.maxDiff) ? Math.max(m, c.maxDiff) : m), 0);
  if (d.selfCheck.ok) lines.push(`  worst max rel. diff ${worst.toExponential(2)}`);
  return lines;
}

export const doctorCommand: CommandSpec = {
  name: 'doctor',
  summary: 'Check the engine: backend, BLAS, threads, machine, and a quick numerical self-check',
  examples: ['glassbox doctor', 'glassbox doctor --json', 'GLASSBOX_BACKEND=reference glassbox doctor'],
  options: {
    verbose: { type: 'boolean', short: 'v', default: false, description: 'list every self-check, not only failures' },
  },
  async run(opts, _pos, ctx) {
    const d = engineDiagnostics();
    if (opts.json) {
      ctx.out(JSON.stringify(d));
    } else {
      for (const line of formatDoctor(d)) ctx.out(line);
      if (opts.verbose) for (const c of d.selfCheck.checks) ctx.out(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.maxDiff.toExponential(2)} (tol ${c.tol.toExponential(0)})`);
    }
    return d.selfCheck.ok ? 0 : 1;
  },
};
