// Provenance stamped on every run: the git commit of the working directory, the versions of glassbox,
// Node and SQLite, and the identity of the writing process (pid + start time) used to detect crashes.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedSha: string | null | undefined;

/** `git rev-parse HEAD` in the current directory, or null outside a repository / without git. */
export function gitSha(): string | null {
  if (cachedSha !== undefined) return cachedSha;
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 });
    cachedSha = out.toString().trim() || null;
  } catch {
    cachedSha = null;
  }
  return cachedSha;
}

let cachedVersion: string | undefined;

/** glassbox's own version, from the nearest package.json above this module. */
export function glassboxVersion(): string {
  if (cachedVersion) return cachedVersion;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'glassbox' && pkg.version) return (cachedVersion = pkg.version);
    }
    dir = dirname(dir);
  }
  return (cachedVersion = 'unknown');
}

export function runtimeVersions(sqliteVersion: string): Record<string, string> {
  return {
    glassbox: glassboxVersion(),
    node: process.versions.node,
    sqlite: sqliteVersion,
    v8: process.versions.v8,
    platform: `${process.platform}-${process.arch}`,
  };
}

export const thisHost = hostname();

/** A process's start time in clock ticks since boot (Linux /proc), or null where unavailable. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may contain spaces and parentheses; fields after the last ')' are plain.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null; // field 22 overall = index 19 after "pid (comm) "
  } catch {
    return null;
  }
}

/** Process state letter from /proc (R, S, D, Z, ...), or null. */
function processState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null;
  } catch {
    return null;
  }
}

/** Whether the process that wrote a run is still the same live process (zombies count as dead). */
export function writerAlive(pid: number, startTime: string | null): boolean {
  if (processState(pid) === 'Z') return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (startTime !== null) {
    const now = processStartTime(pid);
    if (now !== null && now !== startTime) return false; // pid reused by another process
  }
  return true;
}
