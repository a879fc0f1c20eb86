/**
 * Progress of a run on stderr (`--progress`): a bar redrawn in place (`bar`, on a terminal), or
 * a plain line every few seconds that logs keep (`lines`: what CI, Slurm and `kubectl logs`
 * show), or nothing (`none`, `--quiet`); `auto` is a bar on a terminal and lines otherwise. One
 * summary line at the end in every case.
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

/** The `--progress` styles; `auto` is `bar` on a terminal, `lines` otherwise. */
export const PROGRESS_STYLES = ['auto', 'bar', 'lines', 'none'] as const;
export type ProgressStyle = (typeof PROGRESS_STYLES)[number];

/** `style` for `stderr`: `auto` resolved by whether it is a terminal. */
export function resolveProgressStyle(style: ProgressStyle, stderr: TextSink): Exclude<ProgressStyle, 'auto'> {
  if (style !== 'auto') return style;
  return stderr.isTTY === true ? 'bar' : 'lines';
}

const REDRAW_MS = 100;
/** Seconds between two plain progress lines. */
export const LINE_INTERVAL_S = 5;
const BAR_WIDTH = 24;

/** `0:06`, `12:34`, `3:02:05`; `--:--` when unknown. */
function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const whole = Math.round(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor(whole / 60) % 60;
  const mmss = `${minutes}:${String(whole % 60).padStart(2, '0')}`;
  return hours > 0 ? `${hours}:${mmss.padStart(5, '0')}` : mmss;
}

function rateAndEta(done: number, total: number, seconds: number): { rate: number; eta: number } {
  const rate = seconds > 0 ? done / seconds : 0;
  return { rate, eta: rate > 0 ? (total - done) / rate : Infinity };
}

/** `[#######.........]  1200/4096 seq  523 seq/s  ETA 0:06` */
export function formatProgressLine(done: number, total: number, seconds: number): string {
  const filled = total === 0 ? BAR_WIDTH : Math.round((BAR_WIDTH * done) / total);
  const { rate, eta } = rateAndEta(done, total, seconds);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${done}/${total} seq  ${rate.toFixed(0)} seq/s  ETA ${formatDuration(eta)}`;
}

/** `progress: 1200/4096 sequences (29%), 523 seq/s, 0:02 elapsed, ETA 0:06`: one line of a log. */
export function formatProgressReport(done: number, total: number, seconds: number): string {
  const { rate, eta } = rateAndEta(done, total, seconds);
  const percent = total === 0 ? 100 : Math.floor((100 * done) / total);
  return `progress: ${done}/${total} sequences (${percent}%), ${rate.toFixed(0)} seq/s, ${formatDuration(seconds)} elapsed, ETA ${formatDuration(eta)}`;
}

/** The clock of a progress display, in milliseconds: `performance.now`, or a stand-in in tests. */
export type Clock = () => number;

/**
 * Progress of `total` sequences on `stderr` in `style` (resolved, see `resolveProgressStyle`):
 * `bar` redraws at most every 100 ms; `lines` writes a line every `LINE_INTERVAL_S` seconds,
 * on a timer as well, so that a long chunk still shows the run is alive.
 */
export function createProgress(stderr: TextSink, total: number, style: Exclude<ProgressStyle, 'auto'>, now: Clock = () => performance.now()): Progress {
  const started = now();
  let done = 0;
  let drawnAt = -Infinity;
  const elapsed = (at: number): number => (at - started) / 1000;
  const drawBar = (): void => {
    const at = now();
    if (at - drawnAt < REDRAW_MS && done < total) return;
    drawnAt = at;
    stderr.write(`\r${formatProgressLine(done, total, elapsed(at))}\x1b[K`);
  };
  let lineAt = started;
  const writeLine = (): void => {
    const at = now();
    if (at - lineAt < LINE_INTERVAL_S * 1000) return;
    lineAt = at;
    stderr.write(`${formatProgressReport(done, total, elapsed(at))}\n`);
  };
  const timer = style === 'lines' ? setInterval(writeLine, LINE_INTERVAL_S * 1000) : undefined;
  timer?.unref();
  if (style === 'bar') drawBar();
  return {
    advance(sequences) {
      done += sequences;
      if (style === 'bar') drawBar();
      if (style === 'lines') writeLine();
    },
    finish() {
      clearInterval(timer);
      if (style === 'bar') stderr.write('\r\x1b[K');
      return elapsed(now());
    },
  };
}

/** `4096 sequences in 7.81 s (524 seq/s), backend wasm, 2 workers` */
export function formatSummary(sequences: number, seconds: number, backend: string, workers: number): string {
  const rate = seconds > 0 ? sequences / seconds : 0;
  return `${sequences} sequences in ${seconds.toFixed(2)} s (${rate.toFixed(1)} seq/s), backend ${backend}, ${workers} worker${workers === 1 ? '' : 's'}`;
}
