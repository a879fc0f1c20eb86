/**
 * Progress of a run on stderr: a bar redrawn in place when stderr is a terminal (sequences
 * done, rate, ETA), nothing otherwise; and one summary line at the end in every case.
 */

/** Where progress and errors go: process.stderr, or a stand-in in tests. */
export interface TextSink {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface Progress {
  /** Adds `sequences` to the count done. */
  advance(sequences: number): void;
  /** Clears the bar; returns the seconds since the start. */
  finish(): number;
}

const REDRAW_MS = 100;
const BAR_WIDTH = 24;

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  return `${minutes}:${String(whole % 60).padStart(2, '0')}`;
}

/** `[#######.........]  1200/4096 seq  523 seq/s  ETA 0:06` */
export function formatProgressLine(done: number, total: number, seconds: number): string {
  const filled = total === 0 ? BAR_WIDTH : Math.round((BAR_WIDTH * done) / total);
  const rate = seconds > 0 ? done / seconds : 0;
  const eta = rate > 0 ? (total - done) / rate : Infinity;
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${done}/${total} seq  ${rate.toFixed(0)} seq/s  ETA ${formatDuration(eta)}`;
}

/** A progress bar for `total` sequences on `stderr`, drawn only when `enabled` (a TTY, not --quiet). */
export function createProgress(stderr: TextSink, total: number, enabled: boolean): Progress {
  const started = performance.now();
  let done = 0;
  let drawnAt = -Infinity;
  const draw = (): void => {
    const now = performance.now();
    if (now - drawnAt < REDRAW_MS && done < total) return;
    drawnAt = now;
    stderr.write(`\r${formatProgressLine(done, total, (now - started) / 1000)}\x1b[K`);
  };
  if (enabled) draw();
  return {
    advance(sequences) {
      done += sequences;
      if (enabled) draw();
    },
    finish() {
      if (enabled) stderr.write('\r\x1b[K');
      return (performance.now() - started) / 1000;
    },
  };
}

/** `4096 sequences in 7.81 s (524 seq/s), backend wasm, 2 workers` */
export function formatSummary(sequences: number, seconds: number, backend: string, workers: number): string {
  const rate = seconds > 0 ? sequences / seconds : 0;
  return `${sequences} sequences in ${seconds.toFixed(2)} s (${rate.toFixed(1)} seq/s), backend ${backend}, ${workers} worker${workers === 1 ? '' : 's'}`;
}
