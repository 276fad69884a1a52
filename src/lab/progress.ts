// Progress reporting for long commands: a redrawn bar with rate and ETA on a TTY, plain progress lines
// (every 10% or every few seconds) when output is a pipe or a CI log.
import { formatDuration } from './format.js';

export interface ProgressOptions {
  /** Units of work in all; unknown totals show a count and rate without ETA. */
  total?: number;
  label?: string;
  /** Where to write (default: process.stderr). */
  write?: (chunk: string) => void;
  /** Redraw in place (default: whether stderr is a TTY). */
  isTTY?: boolean;
  /** Width of the bar in characters on a TTY. */
  width?: number;
  /** Clock in ms (tests inject one). */
  now?: () => number;
  /** Non-TTY: also print a line at least this often (ms), default 5000. */
  plainEveryMs?: number;
}

export interface ProgressState {
  label: string;
  done: number;
  total: number | null;
  elapsedS: number;
  note?: string;
}

/** Seconds left at the average rate so far; null when it cannot be known yet. */
export function estimateEta(done: number, total: number | null, elapsedS: number): number | null {
  if (total === null || done <= 0 || elapsedS <= 0) return null;
  return Math.max(0, ((total - done) * elapsedS) / done);
}

function rateText(done: number, elapsedS: number): string {
  if (elapsedS <= 0) return '-/s';
  const r = done / elapsedS;
  return r >= 10 ? `${r.toFixed(0)}/s` : r >= 1 ? `${r.toFixed(1)}/s` : `${(elapsedS / Math.max(done, 1)).toFixed(1)}s/it`;
}

/** `label [#####-----] 450/1000 45% 12/s ETA 00:45 note` (the bar only when `width` > 0). */
export function renderProgress(st: ProgressState, width = 24): string {
  const parts = [st.label];
  const eta = estimateEta(st.done, st.total, st.elapsedS);
  if (st.total !== null && st.total > 0) {
    const frac = Math.min(1, st.done / st.total);
    if (width > 0) {
      const fill = Math.round(frac * width);
      parts.push(`[${'#'.repeat(fill)}${'-'.repeat(width - fill)}]`);
    }
    parts.push(`${st.done}/${st.total}`, `${(frac * 100).toFixed(0)}%`);
  } else parts.push(String(st.done));
  parts.push(rateText(st.done, st.elapsedS));
  parts.push(eta === null ? `elapsed ${formatDuration(st.elapsedS)}` : `ETA ${formatDuration(eta)}`);
  if (st.note) parts.push(st.note);
  return parts.filter(Boolean).join(' ');
}

export class Progress {
  private doneCount = 0;
  private note: string | undefined;
  private readonly start: number;
  private lastDraw = -Infinity;
  private lastPlainDecile = 0;
  private closed = false;
  private readonly write: (chunk: string) => void;
  private readonly tty: boolean;
  private readonly now: () => number;

  constructor(private readonly opts: ProgressOptions = {}) {
    this.write = opts.write ?? ((c) => void process.stderr.write(c));
    this.tty = opts.isTTY ?? Boolean(process.stderr.isTTY);
    this.now = opts.now ?? (() => Date.now());
    this.start = this.now();
  }

  get done(): number {
    return this.doneCount;
  }

  /** Advance by `n` units. */
  tick(n = 1, note?: string): void {
    this.update(this.doneCount + n, note);
  }

  /** Set the units done so far. */
  update(done: number, note?: string): void {
    if (this.closed) return;
    this.doneCount = done;
    if (note !== undefined) this.note = note;
    const t = this.now();
    if (this.tty) {
      if (t - this.lastDraw >= 100) this.draw(t);
      return;
    }
    const total = this.opts.total ?? null;
    const decile = total ? Math.floor((10 * done) / total) : 0;
    if (decile > this.lastPlainDecile || t - this.lastDraw >= (this.opts.plainEveryMs ?? 5000)) {
      this.lastPlainDecile = decile;
      this.draw(t);
    }
  }

  /** Final line (always printed). */
  finish(note?: string): void {
    if (this.closed) return;
    if (note !== undefined) this.note = note;
    this.draw(this.now(), true);
    this.closed = true;
  }

  private state(t: number): ProgressState {
    return { label: this.opts.label ?? 'progress', done: this.doneCount, total: this.opts.total ?? null, elapsedS: (t - this.start) / 1000, note: this.note };
  }

  private draw(t: number, final = false): void {
    this.lastDraw = t;
    if (this.tty) this.write(`\r\x1b[2K${renderProgress(this.state(t), this.opts.width ?? 24)}${final ? '\n' : ''}`);
    else this.write(`${renderProgress(this.state(t), 0)}\n`);
  }
}

export function createProgress(opts: ProgressOptions = {}): Progress {
  return new Progress(opts);
}
