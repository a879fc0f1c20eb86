import { Mode as Cell } from '../src/config';
import type { CliRecord } from './cliThroughput';
import { BenchRecord, Impl, Mode, TARGET_BACKEND } from './record';
import { BenchShape, CELLS, SHAPES, describeShape } from './shapes';
import { median } from './timing';

const MODES: Mode[] = ['inference', 'train'];

function sameShape(a: BenchShape, b: BenchShape): boolean {
  return (
    a.batch === b.batch &&
    a.seq === b.seq &&
    a.input === b.input &&
    a.hidden === b.hidden &&
    a.layers === b.layers &&
    a.directions === b.directions
  );
}

function isCliRecord(record: BenchRecord): record is CliRecord {
  return (record as Partial<CliRecord>).via === 'cli';
}

/** What a measurement is of: a cell, a shape, a backend, an implementation and a mode. */
interface Key {
  cell: Cell;
  shape: BenchShape;
  backend: string;
  impl: Impl;
  mode: Mode;
}

function find(records: readonly BenchRecord[], { cell, shape, backend, impl, mode }: Key): BenchRecord | undefined {
  return records.find(
    (r) => r.cell === cell && r.impl === impl && r.mode === mode && r.backend === backend && sameShape(r, shape) && !isCliRecord(r),
  );
}

/**
 * `numerator ÷ denominator`, or undefined when either is missing: for calls timed in the same
 * rounds (one backend's process, alternating) the median of the per-round ratios, steadier
 * than the ratio of the medians when the machine's load drifts; else the ratio of the medians.
 */
function ratio(numerator?: BenchRecord, denominator?: BenchRecord): number | undefined {
  if (!numerator || !denominator) return undefined;
  const [a, b] = [numerator.msSamples, denominator.msSamples];
  if (numerator.backend !== denominator.backend || a.length !== b.length) return numerator.msMedian / denominator.msMedian;
  return median(a.map((ms, round) => ms / b[round]));
}

const fixed = (value: number | undefined, digits: number) => (value === undefined ? '-' : value.toFixed(digits));
const times = (value: number | undefined) => (value === undefined ? '-' : `${value.toFixed(2)}×`);
const tensors = (r?: BenchRecord) => (r?.numTensorsBefore === undefined ? '-' : `${r.numTensorsBefore}→${r.numTensorsAfter}`);
const leak = (r?: BenchRecord) => (r?.tensorsLeakedPerCall === undefined ? '-' : String(r.tensorsLeakedPerCall));

/** Pads columns: the first four left-aligned, the rest right-aligned. */
function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) =>
    cells.map((cell, column) => (column < 4 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

const HEADER = [
  '#', 'cell', 'shape (B,T,I,H,L,D)', 'backend',
  'manual ms', 'GF/s', 'layers ms', 'GF/s', 'layers÷manual',
  'torch ms', 'GF/s', 'manual÷torch',
  'tensors manual', 'tensors layers', 'leak/call m/l', 'peak RSS MB', 'runs',
];

/** Inference's extra columns: the manual call's matMuls alone (wasm). */
const MATMUL_HEADER = ['matMuls ms', 'manual÷matMuls'];

function modeTable(records: readonly BenchRecord[], mode: Mode): string {
  const rows: string[][] = [];
  const backends = [...new Set(records.filter((r) => r.impl !== 'torch').map((r) => r.backend))];
  for (const cell of CELLS) {
    SHAPES.forEach((shape, index) => {
      for (const backend of backends) {
        const key = { cell, shape, backend, mode };
        const manual = find(records, { ...key, impl: 'manual' });
        const layers = find(records, { ...key, impl: 'layers' });
        if (!manual && !layers) continue;
        const torch = find(records, { ...key, backend: 'torch', impl: 'torch' });
        const matMuls = find(records, { ...key, impl: 'matmuls' });
        rows.push([
          String(index + 1), cell, describeShape(shape), backend,
          fixed(manual?.msMedian, 1), fixed(manual?.gflops, 2),
          fixed(layers?.msMedian, 1), fixed(layers?.gflops, 2), times(ratio(layers, manual)),
          fixed(torch?.msMedian, 1), fixed(torch?.gflops, 2), times(ratio(manual, torch)),
          tensors(manual), tensors(layers), `${leak(manual)}/${leak(layers)}`,
          fixed(Math.max(manual?.peakRssMB ?? 0, layers?.peakRssMB ?? 0), 0),
          String(manual?.msSamples.length ?? layers?.msSamples.length ?? 0),
          ...(mode === 'inference' ? [fixed(matMuls?.msMedian, 1), times(ratio(manual, matMuls))] : []),
        ]);
      }
    });
  }
  return formatTable(mode === 'inference' ? [...HEADER, ...MATMUL_HEADER] : HEADER, rows);
}

const NOTES = `manual = ManualRNN / ManualLSTM / ManualGRU (hand-written recurrence), layers = its tf.layers twin (same
weights), torch = PyTorch nn.RNN / nn.LSTM / nn.GRU on 1 thread; all batchFirst, zero initial states. Times are
medians of 'runs' timed calls after warm-up (at least 3 on wasm); the tfjs calls compared alternate, so their
ratios are measured under the same load: the median of the per-round ratios. Inference is eval-mode forward plus reading the output back; train is forward + gradients of
sum(output²) w.r.t. every weight. GF/s counts the matrix products, 2·B·T·(I·G·H + H·G·H) per layer and direction
(G gates: RNN 1, LSTM 4, GRU 3; I = D·H above layer 0), ×3 for a training step. matMuls = the same products as the
manual call, alone (per layer and direction the input projection and T per-step [B,H]·[H,G·H], on wasm's kernel):
manual÷matMuls is how far the rest of the call is from free.
tensors = tf.memory().numTensors before the first call → after the last; leak/call from the count around each call.
peak RSS = the measuring process's high-water mark (one process per cell, backend and shape).`;

/** The CLI record of `workers` on the file measured with 2 workers. */
function cliRun(records: readonly CliRecord[], workers: number): CliRecord | undefined {
  const scaling = records.find((r) => r.workers === 2)?.batch;
  return records.find((r) => r.workers === workers && r.batch === scaling);
}

/** Throughput of `run` over `single`'s: the runs alternate (1 worker, 2 workers, …), so the median of each repeat's ratio, measured under one load. */
function speedup(single: CliRecord, run: CliRecord): number {
  return median(single.msSamples.map((ms, repeat) => ms / run.msSamples[repeat]));
}

function cliTable(records: readonly CliRecord[]): string {
  const rows = records.map((r) => {
    const single = records.find((other) => other.workers === 1 && other.batch === r.batch);
    return [
      String(r.workers), describeShape(r), r.backend, r.inputMB.toFixed(0),
      (r.msMedian / 1000).toFixed(2), r.sequencesPerSecond.toFixed(0),
      single ? times(speedup(single, r)) : '-', fixed(r.peakRssMB, 0), String(r.msSamples.length),
    ];
  });
  const header = ['workers', 'file (N,T,I,H,L,D)', 'backend', 'input MB', 'wall s', 'sequences/s', 'vs 1 worker', 'peak RSS MB', 'runs'];
  const ceiling = records[0] ? `\ntwo compute-bound threads on this machine: ${times(records[0].twoThreadCeiling)} one thread's throughput (the ceiling of 'vs 1 worker')` : '';
  return formatTable(header, rows) + ceiling;
}

/** The human report: one table per mode, the CLI's throughput when measured, then the notes. */
export function formatReport(records: readonly BenchRecord[]): string {
  const tables = MODES.map((mode) => `${mode === 'inference' ? 'Inference' : 'Training step'}\n${modeTable(records, mode)}`);
  const cli = records.filter(isCliRecord);
  const cliSection =
    cli.length === 0
      ? []
      : [`tfjs-rnn run throughput (eval-mode forward of every sequence in an .npy file, wall time including start-up)\n${cliTable(cli)}`];
  return [...tables, ...cliSection, NOTES].join('\n\n');
}

/** One performance target of the issue, checked on wasm from this run. */
interface Target {
  cell: Cell;
  shapeIndex: number;
  mode: Mode;
  /**
   * The ratio compared: the twin's time over the hand-written's (at least `bound`), the
   * hand-written's over PyTorch's or over its matMuls alone (at most `bound`).
   */
  against: 'layers' | 'torch' | 'matmuls';
  bound: number;
}

const LABELS: Record<Target['against'], string> = { layers: 'layers÷manual ≥', torch: 'manual÷torch ≤', matmuls: 'manual÷matMuls ≤' };

/** The shapes where the LSTM's and GRU's call must come close to their matMuls alone: #3 and #4. */
const MATMUL_BOUND_SHAPES = [2, 3];

const TARGETS: Target[] = [
  ...[4, 4, 3, 3].map((bound, shapeIndex): Target => ({ cell: 'RNN', shapeIndex, mode: 'inference', against: 'layers', bound })),
  { cell: 'RNN', shapeIndex: 0, mode: 'inference', against: 'torch', bound: 3 },
  { cell: 'RNN', shapeIndex: 2, mode: 'inference', against: 'torch', bound: 5 },
  ...SHAPES.map((_, shapeIndex): Target => ({ cell: 'RNN', shapeIndex, mode: 'train', against: 'layers', bound: 2 })),
  ...(['LSTM', 'GRU'] as const).flatMap((cell): Target[] => [
    ...SHAPES.map((_, shapeIndex): Target => ({ cell, shapeIndex, mode: 'inference', against: 'layers', bound: 3 })),
    ...SHAPES.map((_, shapeIndex): Target => ({ cell, shapeIndex, mode: 'train', against: 'layers', bound: 2 })),
    ...MATMUL_BOUND_SHAPES.map((shapeIndex): Target => ({ cell, shapeIndex, mode: 'inference', against: 'matmuls', bound: 1.3 })),
  ]),
];

function checkTarget(records: readonly BenchRecord[], { cell, shapeIndex, mode, against, bound }: Target): string {
  const shape = SHAPES[shapeIndex];
  const key = { cell, shape, backend: TARGET_BACKEND, mode };
  const manual = find(records, { ...key, impl: 'manual' });
  const value =
    against === 'layers'
      ? ratio(find(records, { ...key, impl: 'layers' }), manual)
      : ratio(manual, find(records, { ...key, backend: against === 'torch' ? 'torch' : TARGET_BACKEND, impl: against }));
  const label = `${cell} ${mode} ${LABELS[against]} ${bound}× on #${shapeIndex + 1} ${describeShape(shape)}`;
  if (value === undefined) return `[not measured] ${label}`;
  const met = against === 'layers' ? value >= bound : value <= bound;
  return `[${met ? 'met' : 'NOT met'}] ${label}: ${times(value)}`;
}

const CLI_SCALING_BOUND = 1.7;
/** Peak RSS may grow by this fraction of the input's growth and still count as flat (chunks are read, not the file). */
const FLAT_MEMORY_SHARE = 0.1;

function cliScalingTarget(cli: readonly CliRecord[]): string {
  const [one, two] = [cliRun(cli, 1), cliRun(cli, 2)];
  const label = `CLI --workers 2 ≥ ${CLI_SCALING_BOUND}× the throughput of --workers 1`;
  if (!one || !two) return `[not measured] ${label}`;
  const value = speedup(one, two);
  const ceiling = `two compute-bound threads reach ${times(two.twoThreadCeiling)} here`;
  return `[${value >= CLI_SCALING_BOUND ? 'met' : 'NOT met'}] ${label}: ${times(value)} (${ceiling})`;
}

function cliMemoryTarget(cli: readonly CliRecord[]): string {
  const singles = cli.filter((r) => r.workers === 1).sort((a, b) => a.batch - b.batch);
  const [small, large] = [singles[0], singles[singles.length - 1]];
  const label = 'memory of a long CLI run flat';
  if (!small || !large || small === large || small.peakRssMB === undefined || large.peakRssMB === undefined) return `[not measured] ${label}`;
  const flat = large.peakRssMB - small.peakRssMB <= FLAT_MEMORY_SHARE * (large.inputMB - small.inputMB);
  return `[${flat ? 'met' : 'NOT met'}] ${label}: peak RSS ${small.peakRssMB.toFixed(0)} MB for ${small.inputMB.toFixed(0)} MB of input, ${large.peakRssMB.toFixed(0)} MB for ${large.inputMB.toFixed(0)} MB (1 worker)`;
}

/** The issue's targets on wasm for the cells measured, and the leak check on every backend, one line each. */
export function formatTargets(records: readonly BenchRecord[]): string {
  const leaking = records.filter((r) => (r.tensorsLeakedPerCall ?? 0) !== 0);
  const leakLine =
    leaking.length === 0
      ? '[met] zero tensors leaked per call (every tfjs measurement)'
      : `[NOT met] zero tensors leaked per call: ${leaking
          .map((r) => `${r.cell} ${r.impl} ${r.mode} ${describeShape(r)} ${r.backend}: ${r.tensorsLeakedPerCall}`)
          .join('; ')}`;
  const cli = records.filter(isCliRecord);
  const cliLines = cli.length === 0 ? [] : [cliScalingTarget(cli), cliMemoryTarget(cli)];
  const cells = new Set(records.map((r) => r.cell));
  const targets = TARGETS.filter((t) => cells.has(t.cell)).map((t) => checkTarget(records, t));
  return [`Targets (${TARGET_BACKEND}, ratios from this run)`, ...targets, ...cliLines, leakLine].join('\n');
}
