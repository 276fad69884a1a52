/**
 * GRPO throughput on an organism-sized model: samples/s (generation + scoring + loss + backward + update)
 * and optimizer steps/min at 16 prompts × 8 samples per step (issue 7's reference setting; the PyTorch
 * reference took ~1.7 s per step). With a model folder as argument it trains that model on graded addition
 * with the RLCR reward; otherwise it builds a random Llama of the tiny organism's shape (d256, 6 layers,
 * 4k vocabulary, ~5.8M parameters) and uses token-level prompts and a synthetic reward. A random model
 * writes to the length cap, the worst case for completion length. Ends with one JSON line.
 * Run: npx tsx bench/grpo.bench.ts [model-dir] [--steps N] [--max-new-tokens N]
 */
import * as os from 'node:os';
import { createModel, loadModel, type Model } from '../src/models/index.js';
import { backendName, Rng } from '../src/engine/index.js';
import { ARCH_PRESETS, llamaConfig } from '../src/organisms/arch.js';
import { arithmeticTasks } from '../src/data/index.js';
import { trainGrpo, type GrpoStepLog, type TrainGrpoOptions } from '../src/calibrate/grpo.js';
import { arithmeticGrpoItems } from '../src/calibrate/grpo-organism.js';

function flag(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const steps = flag(args, '--steps', 3);
  const maxNew = flag(args, '--max-new-tokens', 64);
  const given = args.find((a, i) => !a.startsWith('--') && (i === 0 || !args[i - 1].startsWith('--')));
  const P = 16, G = 8;
  const items = arithmeticGrpoItems(arithmeticTasks({ seed: 0, sizes: { train: 500, test: 10, 'ood-subtraction': 1, 'ood-3digit': 1, 'ood-multiplication': 1 } }).filter((i) => i.split === 'train'));
  let model: Model;
  let extra: Partial<TrainGrpoOptions>;
  if (given) {
    model = loadModel(given);
    extra = { promptStyle: 'compact', reward: 'rlcr' };
  } else {
    const vocab = 4096;
    model = createModel(llamaConfig(ARCH_PRESETS.tiny, vocab, { bos: 0, eos: 0, pad: 1 }), { seed: 0 });
    const rng = new Rng(7);
    const promptIds = new Map<string, number[]>();
    extra = {
      promptStyle: (it) => { let p = promptIds.get(it.question); if (!p) { p = Array.from({ length: 12 }, () => 2 + rng.int(vocab - 2)); promptIds.set(it.question, p); } return p; },
      reward: (text) => ({ reward: (text.length % 11) / 10, confidence: 0.5 }),
    };
  }
  const logs: GrpoStepLog[] = [];
  const t0 = performance.now();
  await trainGrpo({
    model, prompts: items, steps: steps + 1, groupSize: G, promptsPerStep: P, maxNewTokens: maxNew, lr: 1e-5, temperature: 0.7, logKl: true, seed: 0, onWarn: () => {},
    ...extra,
    onStep: (l) => { logs.push(l); console.error(`step ${l.step}: ${(l.stepMs / 1000).toFixed(2)} s, ${l.samplesPerSec.toFixed(1)} samples/s, completion length ${l.completionLength.toFixed(1)} (generate ${(l.generateMs / 1000).toFixed(1)} s, score ${(l.scoreMs / 1000).toFixed(2)} s, loss+update ${(l.trainMs / 1000).toFixed(1)} s)`); },
  });
  const wall = (performance.now() - t0) / 1000;
  const timed = logs.slice(1); // the first step includes warm-up
  const ms = timed.reduce((a, l) => a + l.stepMs, 0) / timed.length;
  const result = {
    bench: 'grpo', backend: backendName(), model: given ?? 'random llama, tiny organism shape', params: model.numParams(),
    promptsPerStep: P, groupSize: G, maxNewTokens: maxNew, meanCompletionLength: timed.reduce((a, l) => a + l.completionLength, 0) / timed.length,
    samplesPerSec: (P * G * 1000) / ms, stepsPerMin: 60000 / ms, secondsPerStep: ms / 1000,
    generateS: timed.reduce((a, l) => a + l.generateMs, 0) / timed.length / 1000, trainS: timed.reduce((a, l) => a + l.trainMs, 0) / timed.length / 1000, timedSteps: timed.length, wallS: wall, cpus: os.cpus().length,
  };
  model.dispose();
  console.log(`GRPO: ${result.samplesPerSec.toFixed(1)} samples/s, ${result.stepsPerMin.toFixed(2)} optimizer steps/min (${result.params} params, ${P}×${G} per step, ${result.backend})`);
  console.log(JSON.stringify(result));
}

main().catch((e) => { console.error(e); process.exit(1); });
