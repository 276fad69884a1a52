// End-to-end: headless Chromium (playwright-core, Debian's /usr/bin/chromium) drives the dashboard over
// a store with real-shaped calibration and training runs: the reliability diagram's bins and counts
// equal the run's summary, samples page, two runs compare, and a static export works from file://.
// Screenshots go to artifacts/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { openStore, type RunStore } from '../../src/runs/index.js';
import { exportRunHtml, startViewServer, type ViewServer } from '../../src/lab/view/index.js';
import { writeCalibrationRun, writeTrainingRun, type SyntheticCalibration } from './helpers/synthetic-runs.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = join(ROOT, 'artifacts', 'screenshots');
const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : 'chromium not installed at /usr/bin/chromium';

let home: string;
let store: RunStore;
let server: ViewServer;
let browser: Browser;
let cal: SyntheticCalibration;
let cal2: SyntheticCalibration;
let trainId: string;

before(async () => {
  if (skip) return;
  mkdirSync(SHOTS, { recursive: true });
  home = mkdtempSync(join(tmpdir(), 'gbx-e2e-'));
  store = openStore(home);
  cal = writeCalibrationRun(store, { name: 'rlcr-qwen-7b', items: 60, samplesPerItem: 4, seed: 21, overconfidence: 0.05, hostileText: true });
  cal2 = writeCalibrationRun(store, { name: 'rlvr-qwen-7b', items: 60, samplesPerItem: 4, seed: 22, overconfidence: 0.35 });
  trainId = writeTrainingRun(store, { steps: 400, name: 'grpo-rlcr' });
  server = await startViewServer({ store, port: 0 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  if (skip) return;
  await browser?.close();
  await server?.close();
  store?.close();
  rmSync(home, { recursive: true, force: true });
});

async function newPage(): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  return { page, errors };
}

async function sampleIndices(page: Page): Promise<number[]> {
  return page.$$eval('#samples-list .sample', (els) => els.map((e) => Number(e.getAttribute('data-index'))));
}

async function checkReliability(page: Page, sel: string, run: SyntheticCalibration) {
  const bars = await page.$$eval(`${sel} rect.bar`, (els) => els.map((e) => ({
    bin: Number(e.getAttribute('data-bin')), n: Number(e.getAttribute('data-n')), acc: e.getAttribute('data-acc'), conf: e.getAttribute('data-conf'),
  })));
  const bins = run.summary.reliability;
  assert.equal(bars.length, bins.length);
  bars.forEach((bar, i) => {
    assert.equal(bar.bin, bins[i]!.bin);
    assert.equal(bar.n, bins[i]!.n, `bin ${i} count`);
    if (bins[i]!.n > 0) {
      assert.ok(Math.abs(Number(bar.acc) - bins[i]!.acc!) < 1e-12, `bin ${i} accuracy`);
      assert.ok(Math.abs(Number(bar.conf) - bins[i]!.conf!) < 1e-12, `bin ${i} confidence`);
    } else assert.equal(bar.acc, '');
  });
  assert.equal(bars.reduce((s, b) => s + b.n, 0), run.records.length);
  // the n labels drawn above non-empty bars
  const labels = await page.$$eval(`${sel} text.bin-n`, (els) => els.map((e) => [Number(e.getAttribute('data-bin')), Number(e.textContent)]));
  assert.deepEqual(labels, bins.filter((b) => b.n > 0).map((b) => [b.bin, b.n]));
}

test('runs table: filter, sort, open a calibration run; the diagram matches the summary', { skip }, async () => {
  const { page, errors } = await newPage();
  await page.goto(server.url);
  await page.waitForSelector('#runs-table tbody tr[data-run-id]');
  assert.equal(await page.locator('#runs-table tbody tr[data-run-id]').count(), 3);
  await page.selectOption('#filter-kind', 'calibrate-eval');
  await page.waitForFunction(() => document.querySelectorAll('#runs-table tbody tr[data-run-id]').length === 2);
  await page.click('th[data-sort="name"]');
  await page.waitForFunction(() => document.querySelector('th[data-sort="name"]')?.textContent?.includes('\u25b2'));
  assert.deepEqual(await page.$$eval('#runs-table tbody tr[data-run-id]', (rows) => rows.map((r) => r.children[2]!.textContent)), ['rlcr-qwen-7b', 'rlvr-qwen-7b']);
  await page.fill('#filter-text', 'rlvr');
  await page.waitForFunction(() => document.querySelectorAll('#runs-table tbody tr[data-run-id]').length === 1);
  await page.fill('#filter-text', '');
  await page.selectOption('#filter-kind', '');
  await page.waitForFunction(() => document.querySelectorAll('#runs-table tbody tr[data-run-id]').length === 3);
  await page.screenshot({ path: join(SHOTS, 'runs-table.png') });

  await page.click(`tr[data-run-id="${cal.id}"] a`);
  await page.waitForSelector('#reliability rect.bar', { state: 'attached' });
  await checkReliability(page, '#reliability', cal);

  // histogram counts are the summary's
  const hist = await page.$$eval('#histogram rect.hbar', (els) => els.map((e) => Number(e.getAttribute('data-n'))));
  assert.deepEqual(hist, cal.summary.histogram.counts);
  // metrics with CIs
  const acc = cal.summary.metrics.accuracy as { value: number; lo: number; hi: number };
  const row = page.locator('#metrics-table tr[data-metric="accuracy"]');
  assert.equal(await row.locator('td').nth(1).textContent(), acc.value.toFixed(4));
  assert.equal(await row.locator('td').nth(2).textContent(), `[${acc.lo.toFixed(4)}, ${acc.hi.toFixed(4)}]`);
  // scaling curves: one path per voting rule, one point per N
  const series = await page.$$eval('#scaling path.series', (els) => els.map((e) => [e.getAttribute('data-series'), Number(e.getAttribute('data-points'))]));
  assert.deepEqual(series, [['majority', 3], ['weighted', 3]]);

  // samples: question, answer, q, verdict, highlighted tags
  await page.waitForSelector('#samples-list .sample');
  assert.deepEqual(await sampleIndices(page), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const first = page.locator('#samples-list .sample').first();
  const rec0 = cal.records[0]!;
  assert.equal(await first.locator('.question').textContent(), rec0.question);
  assert.equal(await first.locator('.answer code').textContent(), rec0.answer);
  assert.equal(await first.locator('.conf').textContent(), `q = ${rec0.confidence.toFixed(3)}`);
  assert.equal(await first.locator('.verdict').textContent(), rec0.correct ? 'correct' : 'incorrect');
  for (const tag of ['think', 'answer', 'analysis', 'confidence']) {
    assert.equal(await first.locator(`.completion .tag-${tag}`).count(), 2, `<${tag}> and </${tag}> marked`);
  }
  assert.equal((await first.locator('.seg-confidence').textContent())!.trim(), String(rec0.confidence));
  // model text is shown as text, never run
  const hostile = page.locator('#samples-list .sample[data-index="1"] .completion');
  assert.match((await hostile.textContent())!, /<script>window.__xss = 1<\/script><img src=x onerror=/);
  assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
  await page.screenshot({ path: join(SHOTS, 'calibration-run.png'), fullPage: true });

  // paging
  await page.click('#samples-next');
  await page.waitForFunction(() => document.querySelector('#samples-list')?.getAttribute('data-offset') === '10');
  assert.deepEqual(await sampleIndices(page), [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  assert.match((await page.textContent('#samples-page'))!, /page 2 of 24 · 11–20 of 240/);
  await page.selectOption('#samples-size', '50');
  await page.waitForFunction(() => document.querySelectorAll('#samples-list .sample').length === 50);
  await page.fill('#samples-jump', '5');
  await page.click('#samples-go');
  await page.waitForFunction(() => document.querySelector('#samples-list')?.getAttribute('data-offset') === '200');
  assert.deepEqual(await sampleIndices(page), Array.from({ length: 40 }, (_, i) => 200 + i));
  assert.ok(await page.isDisabled('#samples-next'));
  await page.click('#samples-prev');
  await page.waitForFunction(() => document.querySelector('#samples-list')?.getAttribute('data-offset') === '150');
  assert.deepEqual(errors, []);
  await page.close();
});

test('compare two runs from the runs table', { skip }, async () => {
  const { page, errors } = await newPage();
  await page.goto(server.url);
  await page.waitForSelector('#runs-table tbody tr[data-run-id]');
  assert.ok(await page.isDisabled('#compare-btn'));
  await page.check(`input.select-run[data-run-id="${cal.id}"]`);
  await page.check(`input.select-run[data-run-id="${cal2.id}"]`);
  assert.ok(await page.isEnabled('#compare-btn'));
  await page.click('#compare-btn');
  await page.waitForSelector('#compare-table tr[data-metric="accuracy"]');
  const row = async (name: string) => page.$$eval(`#compare-table tr[data-metric="${name}"] td`, (tds) => tds.map((t) => t.textContent));
  for (const name of ['accuracy', 'ece', 'brier', 'auroc']) {
    const a = (cal.summary.metrics[name] as { value: number }).value;
    const b = (cal2.summary.metrics[name] as { value: number }).value;
    const d = b - a;
    assert.deepEqual(await row(name), [name, a.toFixed(4), b.toFixed(4), `${d > 0 ? '+' : ''}${d.toFixed(4)}`]);
  }
  assert.ok(new URL(page.url()).hash.startsWith(`#/compare/${cal.id}/${cal2.id}`) || new URL(page.url()).hash.startsWith(`#/compare/${cal2.id}/${cal.id}`));
  await page.waitForSelector('#reliability-b rect.bar', { state: 'attached' });
  await checkReliability(page, '#reliability-a', page.url().includes(`compare/${cal.id}`) ? cal : cal2);
  await page.screenshot({ path: join(SHOTS, 'compare.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a training run shows loss and reward curves', { skip }, async () => {
  const { page, errors } = await newPage();
  await page.goto(`${server.url}#/run/${trainId}`);
  await page.waitForSelector('#loss-chart path.series');
  await page.waitForSelector('#reward-chart path.series');
  assert.equal(await page.getAttribute('#loss-chart path.series', 'data-points'), '400');
  assert.equal(await page.getAttribute('#reward-chart path.series', 'data-points'), '400');
  await page.screenshot({ path: join(SHOTS, 'training-run.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a static export opens from file:// with its data embedded and no network', { skip }, async () => {
  const out = join(home, 'export', 'run.html');
  const res = exportRunHtml(store, cal.id, out, { maxRecords: 100 });
  assert.equal(res.embeddedRecords, 100);
  assert.equal(res.totalRecords, 240);
  const { page, errors } = await newPage();
  const requests: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) requests.push(r.url());
  });
  await page.goto(pathToFileURL(out).href);
  await page.waitForSelector('#reliability rect.bar', { state: 'attached' });
  await checkReliability(page, '#reliability', cal);
  await page.waitForSelector('#samples-list .sample');
  assert.deepEqual(await sampleIndices(page), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  await page.click('#samples-next');
  await page.waitForFunction(() => document.querySelector('#samples-list')?.getAttribute('data-offset') === '10');
  assert.match((await page.textContent('#samples-page'))!, /of 100 \(first 100 of 240 embedded\)/);
  assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
  await page.screenshot({ path: join(SHOTS, 'export.png'), fullPage: true });

  // a training run exports its (downsampled) curves
  const trainOut = join(home, 'export', 'train.html');
  exportRunHtml(store, trainId, trainOut, { maxPoints: 100 });
  await page.goto(pathToFileURL(trainOut).href);
  await page.waitForSelector('#loss-chart path.series');
  assert.equal(await page.getAttribute('#loss-chart path.series', 'data-points'), '101');
  assert.deepEqual(requests, []);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a run being written shows as running, and the table updates itself when it finishes', { skip }, async () => {
  const w = store.createRun({ kind: 'calibrate-eval', name: 'live-run', config: {} });
  w.log({ type: 'sample', index: 0, question: 'q', completion: '<answer>1</answer>', answer: '1', confidence: 0.5, correct: true });
  w.flush();
  const { page, errors } = await newPage();
  await page.goto(server.url);
  await page.waitForSelector(`tr[data-run-id="${w.id}"][data-status="running"]`);
  await page.click(`tr[data-run-id="${w.id}"] a`);
  await page.waitForSelector('#run-refresh');
  await page.goto(server.url);
  await page.waitForSelector(`tr[data-run-id="${w.id}"][data-status="running"]`);
  for (let i = 1; i < 5; i++) w.log({ type: 'sample', index: i, question: 'q', completion: 'c', answer: '1', confidence: 0.5, correct: false });
  w.finish('completed');
  await page.waitForSelector(`tr[data-run-id="${w.id}"][data-status="completed"]`);
  assert.equal(await page.textContent(`tr[data-run-id="${w.id}"] td.num`), '5');
  assert.deepEqual(errors, []);
  await page.close();
  store.deleteRun(w.id);
});
