// The organism cache: GLASSBOX_HOME/organisms/<name>-<hash>/, one Hugging Face model folder per recipe
// (hash of the recipe and the factory's code version) plus organism.json. A folder counts as built only once
// organism.json is in it; builds happen in a staging folder renamed into place, so a crash leaves no half model.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultHome } from '../runs/index.js';

/** Bumped whenever a change to the factory's code changes what a recipe builds (invalidates the cache). */
export const ORGANISM_CODE_VERSION = 'organisms-3'; // bump when the corpus, templates or recipe code change

export const MANIFEST_FILE = 'organism.json';

/** What organism.json holds (the fields every organism has; recipes add their own). */
export interface OrganismManifest {
  name: string;
  kind: string;
  hash: string;
  codeVersion: string;
  glassboxVersion: string;
  gitSha: string | null;
  createdAt: string;
  seed: number;
  recipe: Record<string, unknown>;
  /** SHA-256 of the training data (corpus texts or examples). */
  dataHash: string;
  metrics: Record<string, unknown>;
  /** Seconds per phase and in total. */
  timings: Record<string, number>;
  /** The run in the run store that recorded the build, if any. */
  runId: string | null;
  [field: string]: unknown;
}

export interface OrganismEntry {
  dir: string;
  manifest: OrganismManifest;
}

/** GLASSBOX_HOME/organisms (GLASSBOX_HOME defaults to ~/.glassbox). */
export function organismsDir(home: string = defaultHome()): string {
  return join(home, 'organisms');
}

/** JSON with object keys sorted at every level, so equal recipes hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, (v as Record<string, unknown>)[k]]));
    }
    return v;
  });
}

/** 12 hex digits of SHA-256 over the recipe and the code version. */
export function recipeHash(recipe: unknown, codeVersion: string = ORGANISM_CODE_VERSION): string {
  return createHash('sha256').update(canonicalJson({ recipe, codeVersion })).digest('hex').slice(0, 12);
}

/** The cache folder of an organism name and recipe. */
export function organismPath(name: string, recipe: unknown, home?: string): string {
  if (!/^[a-z0-9][a-z0-9_.-]*$/.test(name)) throw new Error(`organism name ${JSON.stringify(name)} must be lowercase letters, digits, '.', '_' or '-'`);
  return join(organismsDir(home), `${name}-${recipeHash(recipe)}`);
}

/** Reads organism.json of a folder; throws naming the file when it is missing or not a manifest. */
export function readManifest(dir: string): OrganismManifest {
  const file = join(dir, MANIFEST_FILE);
  if (!existsSync(file)) throw new Error(`${file} does not exist: ${dir} is not a built organism`);
  let m: OrganismManifest;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as OrganismManifest;
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  for (const field of ['name', 'kind', 'hash', 'recipe', 'metrics'] as const) {
    if (m[field] === undefined) throw new Error(`${file}: field '${field}' is missing`);
  }
  return m;
}

/** The built organism for (name, recipe), or null when it is not in the cache. */
export function findOrganism(name: string, recipe: unknown, home?: string): OrganismEntry | null {
  const dir = organismPath(name, recipe, home);
  if (!existsSync(join(dir, MANIFEST_FILE))) return null;
  return { dir, manifest: readManifest(dir) };
}

/** Every built organism under GLASSBOX_HOME/organisms, newest first (folders without organism.json are skipped). */
export function listOrganisms(home?: string): OrganismEntry[] {
  const root = organismsDir(home);
  if (!existsSync(root)) return [];
  const out: OrganismEntry[] = [];
  for (const name of readdirSync(root)) {
    const dir = join(root, name);
    if (!existsSync(join(dir, MANIFEST_FILE))) continue;
    try {
      out.push({ dir, manifest: readManifest(dir) });
    } catch {
      // an unreadable manifest is not a built organism
    }
  }
  return out.sort((a, b) => (a.manifest.createdAt < b.manifest.createdAt ? 1 : a.manifest.createdAt > b.manifest.createdAt ? -1 : 0));
}

/** A fresh staging folder beside the final one (same filesystem, so the final rename is atomic). */
export function stagingDir(finalDir: string): string {
  const dir = `${finalDir}.staging-${process.pid}-${Date.now()}`;
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Writes organism.json into `dir` (write then rename). */
export function writeManifest(dir: string, manifest: OrganismManifest): void {
  const file = join(dir, MANIFEST_FILE);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(tmp, file);
}

/** Moves a finished model folder into its cache place, replacing an older build there. */
export function publishOrganism(builtDir: string, finalDir: string): void {
  if (!existsSync(join(builtDir, MANIFEST_FILE))) throw new Error(`publishOrganism: ${builtDir} has no ${MANIFEST_FILE}; refusing to publish an unfinished build`);
  mkdirSync(join(finalDir, '..'), { recursive: true });
  if (existsSync(finalDir)) {
    const old = `${finalDir}.old-${process.pid}-${Date.now()}`;
    renameSync(finalDir, old);
    renameSync(builtDir, finalDir);
    rmSync(old, { recursive: true, force: true });
  } else renameSync(builtDir, finalDir);
}
