// Config files: YAML, JSON and TypeScript (defineConfig) load and validate; mistakes name the field;
// the published JSON schema is the one generated from the zod schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { configJsonSchema, defineConfig, findConfigFile, loadConfig, validateConfig } from '../../src/lab/config.js';

const ROOT = resolve(import.meta.dirname, '../..');

test('YAML, JSON and .ts configs load to the same value', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gbx-config-'));
  try {
    const expected = { provider: 'openai:gpt-4o-mini', seed: 3, calibrate: { format: 'tabc', samples: 8, thresholds: { max: { ece: 0.1 } } } };
    writeFileSync(join(dir, 'a.yaml'), 'provider: openai:gpt-4o-mini\nseed: 3\ncalibrate:\n  format: tabc\n  samples: 8\n  thresholds:\n    max: {ece: 0.1}\n');
    writeFileSync(join(dir, 'a.json'), JSON.stringify(expected));
    const lib = join(ROOT, 'src/lab/config.ts');
    writeFileSync(join(dir, 'glassbox.config.ts'), `import { defineConfig } from ${JSON.stringify(lib)};\nconst samples: number = 8;\nexport default defineConfig({ provider: 'openai:gpt-4o-mini', seed: 3, calibrate: { format: 'tabc', samples, thresholds: { max: { ece: 0.1 } } } });\n`);
    assert.deepEqual(await loadConfig(join(dir, 'a.yaml')), expected);
    assert.deepEqual(await loadConfig(join(dir, 'a.json')), expected);
    assert.equal(findConfigFile(dir), join(dir, 'glassbox.config.ts'));
    assert.deepEqual(await loadConfig(join(dir, 'glassbox.config.ts')), expected);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('invalid configs are rejected with the field path', async () => {
  assert.throws(() => validateConfig({ calibrate: { samples: 'eight' } }, 'x.yaml'), /x\.yaml is not a valid glassbox config:\n\s+calibrate\.samples: .*number/);
  assert.throws(() => validateConfig({ provder: 'typo' }), /provder/);
  assert.throws(() => validateConfig({ calibrate: { format: 'tabcd' } }), /calibrate\.format/);
  assert.throws(() => validateConfig({ view: { port: 70000 } }), /view\.port/);
  // pillar sections accept fields this schema does not know yet
  assert.deepEqual(validateConfig({ train: { steps: 10, newKnob: true } }), { train: { steps: 10, newKnob: true } });
  const dir = mkdtempSync(join(tmpdir(), 'gbx-config-'));
  try {
    writeFileSync(join(dir, 'bad.yaml'), 'seed: [1,\n');
    await assert.rejects(loadConfig(join(dir, 'bad.yaml')), /does not parse as YAML/);
    await assert.rejects(loadConfig(join(dir, 'missing.json')), /does not exist/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(defineConfig({ seed: 1 }), { seed: 1 });
});

test('schema/glassbox.schema.json is generated from the zod schema', () => {
  const text = readFileSync(join(ROOT, 'schema/glassbox.schema.json'), 'utf8');
  const published = JSON.parse(text) as { additionalProperties: unknown; properties: { calibrate: { properties: { format: { enum: string[] } } } } };
  assert.equal(published.additionalProperties, false);
  assert.deepEqual(published.properties.calibrate.properties.format.enum, ['tabc', 'tac', 'ta']);
  assert.deepEqual(JSON.parse(text), configJsonSchema(), 'regenerate with writeConfigSchema("schema/glassbox.schema.json")');
});
