// Calibration harness end to end with scripted providers and a real local OpenAI-compatible server:
// records and summary in a run, the authors' re-prompts through prefill, voting curves, errors recorded,
// re-scoring with another checker, thresholds, dataset validation and report data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/runs/index.js';
import { ScriptedProvider, createProvider } from '../../src/providers/index.js';
import type { GenerateRequest } from '../../src/providers/types.js';
import {
  evaluateCalibration, rescoreRun, checkThresholds, normalizeItems, loadCalibrationDataset, calibrationReportData,
  type CalibrationItem,
} from '../../src/calibrate/eval.js';
import { numericChecker } from '../../src/calibrate/check.js';
import { brierScore } from '../../src/calibrate/metrics.js';
import { renderCalibrationReport } from '../../src/calibrate/report.js';
import { ANSWER_REPROMPT_SUFFIX, CONFIDENCE_REPROMPT_SUFFIX } from '../../src/calibrate/parse.js';
import { startFakeServer, chatOk } from '../providers/fake-openai-server.js';

const tabc = (a: string, q: string) => `<think>work</think><answer>${a}</answer> <analysis>ok</analysis> <confidence>${q}</confidence>`;
const items: CalibrationItem[] = Array.from({ length: 10 }, (_, i) => ({
  id: `q${i}`, question: `What is ${i} + ${i}?`, gold: [String(2 * i)], dataset: 'arith',
}));
const itemOf = (req: GenerateRequest) => Number(/What is (\d+)/.exec(req.messages!.at(-1)!.content)![1]);

function tmpHome(): string {
  return mkdtempSync(join(tmpdir(), 'gb-eval-'));
}

test('evaluateCalibration writes one record per sample and a summary whose metrics match the records', async () => {
  const home = tmpHome();
  const store = openStore(home);
  try {
    // items 0..6 right with q = 0.8, 7..9 wrong with q = 0.3
    const provider = new ScriptedProvider((req) => {
      const i = itemOf(req);
      return i < 7 ? tabc(String(2 * i), '0.8') : tabc('nope', '0.3');
    });
    const seen: number[] = [];
    const res = await evaluateCalibration({
      provider, dataset: items, format: 'tabc', store, runName: 'arith', bootstrap: 200, seed: 1,
      onProgress: (p) => seen.push(p.done),
    });
    assert.equal(res.records.length, 10);
    assert.deepEqual(res.records.map((r) => r.correct), [true, true, true, true, true, true, true, false, false, false]);
    assert.ok(res.records.every((r) => r.strictFormat && !r.repromptedAnswer && !r.repromptedConfidence));
    const acc = res.summary.metrics.accuracy as { value: number; lo: number; hi: number };
    assert.equal(acc.value, 0.7);
    assert.ok(acc.lo <= 0.7 && acc.hi >= 0.7);
    const q = res.records.map((r) => r.confidence);
    const c = res.records.map((r) => (r.correct ? 1 : 0));
    assert.equal((res.summary.metrics.brier as { value: number }).value, brierScore(q, c));
    assert.equal(res.summary.metrics.auroc && (res.summary.metrics.auroc as { value: number }).value, 1);
    assert.equal(res.summary.reliability.reduce((s, b) => s + b.n, 0), 10);
    assert.equal(res.summary.scaling, undefined);
    assert.deepEqual(seen.sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // the run in the store
    const run = store.requireRun(res.runId!);
    assert.equal(run.kind, 'calibrate-eval');
    assert.equal(run.status, 'completed');
    assert.equal(run.records, 10);
    assert.equal((run.config as { format: string }).format, 'tabc');
    assert.equal((run.summary as { metrics: { n: number } }).metrics.n, 10);
    const page = store.readRecords(res.runId!, { type: 'sample', limit: 100 });
    assert.equal(page.total, 10);
    // the user turn and system prompt
    const first = provider.requests[0]!;
    assert.equal(first.messages![0]!.role, 'system');
    assert.match(first.messages![0]!.content, /<confidence>/);
    assert.match(first.messages![1]!.content, /^PROBLEM: What is/);
  } finally { store.close(); rmSync(home, { recursive: true, force: true }); }
});

test('missing tags are completed with the authors\' re-prompts through assistant prefill', async () => {
  const provider = new ScriptedProvider((req) => {
    if (req.prefill?.endsWith(ANSWER_REPROMPT_SUFFIX)) return '4';
    if (req.prefill?.endsWith(CONFIDENCE_REPROMPT_SUFFIX)) return '90';
    return '<think>2+2 is four</think> so it is four';
  });
  const res = await evaluateCalibration({ provider, dataset: [items[2]!], format: 'tabc' });
  const r = res.records[0]!;
  assert.equal(r.repromptedAnswer, true);
  assert.equal(r.repromptedConfidence, true);
  assert.equal(r.strictFormat, false);
  assert.equal(r.answer, ' 4 ');
  assert.equal(r.correct, true);
  assert.equal(r.confidence, 0.9);
  assert.equal(provider.requests.length, 3);
  assert.deepEqual(provider.requests[1]!.params, { temperature: 0, maxTokens: 50 });
  assert.deepEqual(provider.requests[2]!.params, { temperature: 0, maxTokens: 20 });
  assert.ok(provider.requests[2]!.prefill!.includes('<answer> 4 </answer>'));
});

test('several samples per item: sample index and seed per sample, voting curves in the summary', async () => {
  const provider = new ScriptedProvider((req) => {
    const i = itemOf(req);
    const s = req.sampleIndex!;
    // sample 0 is wrong but confident-ish; samples 1..3 right with lower q for odd items
    if (s === 0) return tabc('wrong', '0.6');
    return tabc(String(2 * i), i % 2 ? '0.5' : '0.9');
  });
  const res = await evaluateCalibration({ provider, dataset: items, format: 'tabc', samples: 4, seed: 10, bootstrap: 0, concurrency: 3 });
  assert.equal(res.records.length, 40);
  assert.deepEqual(new Set(provider.requests.map((r) => r.params!.seed)), new Set([10, 11, 12, 13]));
  assert.equal(provider.requests[0]!.params!.temperature, 0.7);
  const s = res.summary.scaling!;
  assert.deepEqual(s.N, [1, 2, 4]);
  assert.equal(s.majority.at(-1), 1);
  assert.equal(s.weighted.at(-1), 1);
  assert.ok(Math.abs(s.majority[0]! - 0.75) < 0.2);
});

test('a failing provider call becomes an error record; the run still completes with the rest', async () => {
  const home = tmpHome();
  const store = openStore(home);
  try {
    const provider = new ScriptedProvider((req) => {
      if (itemOf(req) === 3) throw new Error('server exploded');
      return tabc('0', '0.5');
    });
    const res = await evaluateCalibration({ provider, dataset: items, format: 'tabc', store, bootstrap: 0 });
    assert.equal(res.errors.length, 1);
    assert.match(res.errors[0]!.message, /server exploded/);
    assert.equal(res.records.length, 9);
    assert.equal(res.summary.errors, 1);
    assert.equal(store.countRecords(res.runId!, 'error'), 1);
    const allFail = new ScriptedProvider(() => { throw new Error('down'); });
    await assert.rejects(evaluateCalibration({ provider: allFail, dataset: items, format: 'tabc', store }), /every sample failed.*down/);
    assert.equal(store.listRuns({ status: 'failed' }).length, 1);
  } finally { store.close(); rmSync(home, { recursive: true, force: true }); }
});

test('rescoreRun re-checks without regenerating and writes a new run; thresholds', async () => {
  const home = tmpHome();
  const store = openStore(home);
  try {
    const data = normalizeItems([
      { question: 'half?', answer: '0.5' }, { question: 'quarter?', answer: '1/4' }, { question: 'one?', answer: 1 },
    ], 'fractions');
    const provider = new ScriptedProvider((req) => {
      const u = req.messages!.at(-1)!.content;
      return u.includes('half') ? tabc('\\frac{1}{2}', '0.9') : u.includes('quarter') ? tabc('0.25', '0.7') : tabc('1', '0.6');
    });
    const res = await evaluateCalibration({ provider, dataset: data, format: 'tabc', store, bootstrap: 0, checkerName: 'exact' });
    assert.deepEqual(res.records.map((r) => r.correct), [false, false, true]);
    const calls = provider.requests.length;
    const re = await rescoreRun(store, res.runId!, numericChecker(), { checkerName: 'numeric', bootstrap: 0 });
    assert.equal(provider.requests.length, calls);
    assert.equal(re.changed, 2);
    assert.deepEqual(re.flips, { toCorrect: 2, toWrong: 0 });
    assert.equal(re.summary.metrics.accuracy, 1);
    const run = store.requireRun(re.runId);
    assert.notEqual(re.runId, res.runId);
    assert.equal((run.config as { rescoredFrom: string }).rescoredFrom, res.runId);
    assert.equal((run.config as { checker: string }).checker, 'numeric');
    assert.equal(run.records, 3);
    assert.deepEqual(checkThresholds(re.summary, { failUnderAcc: 0.9, failOverEce: 0.5 }), []);
    const fails = checkThresholds(res.summary, { failUnderAcc: 0.5, failOverEce: 0.01, failUnderAuroc: 0.9 });
    assert.equal(fails.length, 3);
    assert.match(fails[0]!, /^accuracy 0.3333 is under 0.5/);
    // report data and HTML from the run
    const rd = calibrationReportData(store, re.runId);
    assert.equal(rd.sections[0]!.metrics.n, 3);
    const html = renderCalibrationReport(rd);
    assert.match(html, /data-dataset="fractions"/);
  } finally { store.close(); rmSync(home, { recursive: true, force: true }); }
});

test('dataset validation names the item and field', () => {
  assert.throws(() => normalizeItems([{ question: 'x', answer: 'y' }, { question: 3, answer: 'y' }], 'd'), /d item 2: question: /);
  assert.throws(() => normalizeItems([{ question: 'x' }], 'd'), /d item 1: answer: missing/);
  const [it] = normalizeItems([{ problem: 'p', answers: ['a', 2], paragraphs: ['c1', 'c2'], choices: ['a', 'b'], id: 7 }], 'd');
  assert.deepEqual(it, { id: '7', question: 'p', gold: ['a', '2'], context: ['c1', 'c2'], choices: ['a', 'b'], dataset: 'd' });
  const dir = tmpHome();
  try {
    const f = join(dir, 'set.jsonl');
    writeFileSync(f, '{"question":"a","answer":"b"}\n\n{"question": oops}\n');
    assert.throws(() => loadCalibrationDataset(f), /set.jsonl: line 3 is not valid JSON/);
    writeFileSync(f, '{"question":"a","answer":"b"}\n');
    assert.equal(loadCalibrationDataset(f)[0]!.dataset, 'set');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('through a real OpenAI-compatible server: chat prefill re-prompts and a cached second run', async () => {
  const srv = await startFakeServer((r) => {
    const last = r.body.messages.at(-1);
    if (last.role === 'assistant') return chatOk('85'); // confidence re-prompt continues the assistant turn
    const i = Number(/What is (\d+)/.exec(last.content)![1]);
    return chatOk(`<think>t</think><answer>${2 * i}</answer>`); // no confidence tag
  });
  const dir = tmpHome();
  try {
    const p = await createProvider(`${srv.url}#tiny`, { cacheDir: join(dir, 'cache') });
    const a = await evaluateCalibration({ provider: p, dataset: items.slice(0, 4), format: 'tac', bootstrap: 0 });
    assert.deepEqual(a.records.map((r) => r.confidence), [0.85, 0.85, 0.85, 0.85]);
    assert.ok(a.records.every((r) => r.correct && r.repromptedConfidence && !r.repromptedAnswer));
    assert.equal(srv.requests.length, 8);
    const re = srv.requests.find((r) => r.body.messages.at(-1).role === 'assistant')!;
    assert.equal(re.body.continue_final_message, true);
    assert.equal(re.body.add_generation_prompt, false);
    const b = await evaluateCalibration({ provider: p, dataset: items.slice(0, 4), format: 'tac', bootstrap: 0 });
    assert.equal(srv.requests.length, 8);
    assert.ok(b.records.every((r) => r.cached));
    assert.deepEqual(b.records.map((r) => r.confidence), a.records.map((r) => r.confidence));
  } finally { await srv.close(); rmSync(dir, { recursive: true, force: true }); }
});
