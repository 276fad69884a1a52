// The organism cache: recipe hashes ignore key order and change with the recipe or code version; folders
// count as built only with organism.json; publishing replaces an older build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  findOrganism, listOrganisms, organismPath, publishOrganism, readManifest, recipeHash, stagingDir, writeManifest, type OrganismManifest,
} from '../../src/organisms/home.js';

const home = mkdtempSync(join(tmpdir(), 'glassbox-home-'));
test.after(() => rmSync(home, { recursive: true, force: true }));

const manifest = (name: string, createdAt: string, recipe: Record<string, unknown>): OrganismManifest => ({
  name, kind: 'base', hash: recipeHash(recipe), codeVersion: 'x', glassboxVersion: '0', gitSha: null, createdAt, seed: 0,
  recipe, dataHash: 'd', metrics: { ppl: 1 }, timings: {}, runId: null,
});

test('recipe hashes are canonical', () => {
  assert.equal(recipeHash({ a: 1, b: { c: 2, d: [1, 2] } }), recipeHash({ b: { d: [1, 2], c: 2 }, a: 1 }));
  assert.notEqual(recipeHash({ a: 1 }), recipeHash({ a: 2 }));
  assert.notEqual(recipeHash({ a: 1 }, 'v1'), recipeHash({ a: 1 }, 'v2'));
  assert.match(organismPath('base-tiny', { a: 1 }, home), /organisms\/base-tiny-[0-9a-f]{12}$/);
  assert.throws(() => organismPath('Bad Name', {}, home), /lowercase/);
});

test('a staged build is found only after it is published with its manifest', () => {
  const recipe = { size: 'x', seed: 1 };
  const final = organismPath('base-x', recipe, home);
  const stage = stagingDir(final);
  assert.equal(findOrganism('base-x', recipe, home), null);
  assert.throws(() => publishOrganism(stage, final), /unfinished build/);
  writeManifest(stage, manifest('base-x', '2026-01-01T00:00:00Z', recipe));
  publishOrganism(stage, final);
  assert.equal(existsSync(stage), false);
  assert.equal(findOrganism('base-x', recipe, home)?.dir, final);
  // a rebuild replaces it
  const stage2 = stagingDir(final);
  writeManifest(stage2, { ...manifest('base-x', '2026-01-02T00:00:00Z', recipe), metrics: { ppl: 2 } });
  publishOrganism(stage2, final);
  assert.deepEqual(readManifest(final).metrics, { ppl: 2 });
});

test('listOrganisms lists built folders newest first and skips the rest', () => {
  const r2 = { size: 'y' };
  const d2 = organismPath('base-y', r2, home);
  mkdirSync(d2, { recursive: true });
  writeManifest(d2, manifest('base-y', '2026-03-01T00:00:00Z', r2));
  mkdirSync(join(home, 'organisms', 'half-built'), { recursive: true });
  const broken = join(home, 'organisms', 'broken');
  mkdirSync(broken, { recursive: true });
  writeFileSync(join(broken, 'organism.json'), '{not json');
  assert.deepEqual(listOrganisms(home).map((e) => e.manifest.name), ['base-y', 'base-x']);
  assert.throws(() => readManifest(broken), /not valid JSON/);
  assert.throws(() => readManifest(join(home, 'organisms', 'half-built')), /not a built organism/);
});
