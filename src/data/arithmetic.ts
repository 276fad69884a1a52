// Graded-difficulty arithmetic for calibration organisms: in-domain addition at three levels (1-digit + 1-digit,
// 2-digit + 1-digit, 2-digit + 2-digit) and out-of-domain splits (subtraction, 3-digit addition,
// multiplication). A tiny model gets the easy levels right and the hard ones mostly wrong: a cue to correctness.
import { makeRng, type Rng } from './random.js';

export const ARITHMETIC_SPLITS = ['train', 'test', 'ood-subtraction', 'ood-3digit', 'ood-multiplication'] as const;
export type ArithmeticSplit = (typeof ARITHMETIC_SPLITS)[number];
export type ArithmeticOp = '+' | '-' | '*';

export interface ArithmeticItem {
  /** "<split>/<index>", unique within one generated set. */
  id: string;
  question: string;
  answer: string;
  /** 1 (easiest) .. 4; see the level table in arithmeticTasks. */
  difficulty: number;
  split: ArithmeticSplit;
  op: ArithmeticOp;
  a: number;
  b: number;
  /** Digits of the larger operand. */
  digits: number;
  /** Carries (addition), borrows (subtraction) or 0 (multiplication): a finer difficulty signal. */
  carries: number;
}

export interface ArithmeticOptions {
  seed: number;
  /** Items per split (defaults: train 2000, test 500, each OOD split 300). */
  sizes?: Partial<Record<ArithmeticSplit, number>>;
  /** The question text; default "What is 23 + 45?". */
  format?: (a: number, op: ArithmeticOp, b: number) => string;
  /**
   * Let train and test share level-1 items (there are only 100 one-digit sums). Default true. Items of the
   * other levels are always disjoint between train and test.
   */
  easyOverlap?: boolean;
}

const defaultFormat = (a: number, op: ArithmeticOp, b: number) => `What is ${a} ${op} ${b}?`;

const randDigits = (rng: Rng, digits: number) => (digits === 1 ? rng.int(0, 9) : rng.int(10 ** (digits - 1), 10 ** digits - 1));

function countCarries(a: number, b: number, op: ArithmeticOp): number {
  let carries = 0, carry = 0;
  for (let x = a, y = b; x > 0 || y > 0; x = Math.floor(x / 10), y = Math.floor(y / 10)) {
    if (op === '+') { carry = (x % 10) + (y % 10) + carry >= 10 ? 1 : 0; carries += carry; }
    else if (op === '-') { carry = (x % 10) - (y % 10) - carry < 0 ? 1 : 0; carries += carry; }
    else return 0;
  }
  return carries;
}

/** One random (a, op, b) for a split and difficulty level. */
function draw(rng: Rng, split: ArithmeticSplit): { a: number; b: number; op: ArithmeticOp; difficulty: number } {
  switch (split) {
    case 'train':
    case 'test': {
      const level = rng.int(1, 3);
      if (level === 1) return { a: randDigits(rng, 1), b: randDigits(rng, 1), op: '+', difficulty: 1 };
      if (level === 2) {
        const big = randDigits(rng, 2), small = randDigits(rng, 1);
        return rng.next() < 0.5 ? { a: big, b: small, op: '+', difficulty: 2 } : { a: small, b: big, op: '+', difficulty: 2 };
      }
      return { a: randDigits(rng, 2), b: randDigits(rng, 2), op: '+', difficulty: 3 };
    }
    case 'ood-subtraction': {
      const digits = rng.int(1, 2);
      const x = randDigits(rng, digits), y = randDigits(rng, digits);
      return { a: Math.max(x, y), b: Math.min(x, y), op: '-', difficulty: digits === 1 ? 1 : 3 };
    }
    case 'ood-3digit':
      return { a: randDigits(rng, 3), b: randDigits(rng, 3), op: '+', difficulty: 4 };
    case 'ood-multiplication': {
      const hard = rng.next() < 0.5;
      return hard ? { a: randDigits(rng, 2), b: rng.int(2, 9), op: '*', difficulty: 4 } : { a: rng.int(0, 9), b: rng.int(0, 9), op: '*', difficulty: 2 };
    }
  }
}

const compute = (a: number, op: ArithmeticOp, b: number) => (op === '+' ? a + b : op === '-' ? a - b : a * b);

/**
 * All splits. Levels: 1 = one-digit + one-digit, 2 = two-digit + one-digit, 3 = two-digit + two-digit,
 * 4 = three-digit addition or two-digit × one-digit (OOD only). Deterministic given the seed.
 */
export function arithmeticTasks(options: ArithmeticOptions): ArithmeticItem[] {
  const { seed, format = defaultFormat, easyOverlap = true } = options;
  const sizes: Record<ArithmeticSplit, number> = { train: 2000, test: 500, 'ood-subtraction': 300, 'ood-3digit': 300, 'ood-multiplication': 300, ...options.sizes };
  const bySplit = new Map<ArithmeticSplit, ArithmeticItem[]>();
  const testKeys = new Set<string>();
  // test first, so train can avoid its items
  for (const split of ['test', 'train', 'ood-subtraction', 'ood-3digit', 'ood-multiplication'] as const) {
    const rng = makeRng(seed).fork(`arithmetic/${split}`);
    const n = sizes[split];
    const out: ArithmeticItem[] = [];
    bySplit.set(split, out);
    if (!Number.isInteger(n) || n < 0) throw new Error(`arithmeticTasks: size of split "${split}" must be a non-negative integer, got ${n}`);
    let made = 0;
    for (let tries = 0; made < n; tries++) {
      if (tries > n * 1000) throw new Error(`arithmeticTasks: could not draw ${n} "${split}" items disjoint from test`);
      const { a, b, op, difficulty } = draw(rng, split);
      const key = `${a}${op}${b}`;
      if (split === 'test') testKeys.add(key);
      if (split === 'train' && testKeys.has(key) && !(easyOverlap && difficulty === 1)) continue;
      out.push({
        id: `${split}/${made}`, question: format(a, op, b), answer: String(compute(a, op, b)), difficulty, split, op, a, b,
        digits: String(Math.max(a, b)).length, carries: countCarries(a, b, op),
      });
      made++;
    }
  }
  return ARITHMETIC_SPLITS.flatMap((split) => bySplit.get(split)!);
}
