import type { CliRecord } from './cliThroughput';
import { BenchRecord, Impl, Mode } from './record';
import { BenchShape, SHAPES, describeShape } from './shapes';

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

function find(records: readonly BenchRecord[], shape: BenchShape, backend: string, impl: Impl, mode: Mode): BenchRecord | undefined {
  return records.find(
    (r) => r.impl === impl && r.mode === mode && r.backend === backend && sameShape(r, shape) && !isCliRecord(r),
  );
}

/** `slower ÷ faster` style ratio of two medians, or undefined when either is missing. */
function ratio(numerator?: BenchRecord, denominator?: BenchRecord): number | undefined {
  return numerator && denominator ? numerator.msMedian / denominator.msMedian : undefined;
}

const fixed = (value: number | undefined, digits: number) => (value === undefined ? '-' : value.toFixed(digits));
const times = (value: number | undefined) => (value === undefined ? '-' : `${value.toFixed(2)}×`);
const tensors = (r?: BenchRecord) => (r?.numTensorsBefore === undefined ? '-' : `${r.numTensorsBefore}→${r.numTensorsAfter}`);
const leak = (r?: BenchRecord) => (r?.tensorsLeakedPerCall === undefined ? '-' : String(r.tensorsLeakedPerCall));

/** Pads columns: the first three left-aligned, the rest right-aligned. */
function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) =>
    cells.map((cell, column) => (column < 3 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

const HEADER = [
  '#', 'shape (B,T,I,H,L,D)', 'backend',
  'manual ms', 'GF/s', 'layers ms', 'GF/s', 'layers÷manual',
  'torch ms', 'GF/s', 'manual÷torch',
  'tensors manual', 'tensors layers', 'leak/call m/l', 'peak RSS MB', 'runs',
];

function modeTable(records: readonly BenchRecord[], mode: Mode): string {
  const rows: string[][] = [];
  const backends = [...new Set(records.filter((r) => r.impl !== 'torch').map((r) => r.backend))];
  SHAPES.forEach((shape, index) => {
    for (const backend of backends) {
      const manual = find(records, shape, backend, 'manual', mode);
      const layers = find(records, shape, backend, 'layers', mode);
      if (!manual && !layers) continue;
      const torch = find(records, shape, 'torch', 'torch', mode);
      rows.push([
        String(index + 1), describeShape(shape), backend,
        fixed(manual?.msMedian, 1), fixed(manual?.gflops, 2),
        fixed(layers?.msMedian, 1), fixed(layers?.gflops, 2), times(ratio(layers, manual)),
        fixed(torch?.msMedian, 1), fixed(torch?.gflops, 2), times(ratio(manual, torch)),
        tensors(manual), tensors(layers), `${leak(manual)}/${leak(layers)}`,
        fixed(Math.max(manual?.peakRssMB ?? 0, layers?.peakRssMB ?? 0), 0),
        String(manual?.msSamples.length ?? layers?.msSamples.length ?? 0),
      ]);
    }
  });
  return formatTable(HEADER, rows);
}

const NOTES = `manual = ManualRNN (hand-written recurrence), layers = LayersRNN (tf.layers twin, same weights),
torch = PyTorch nn.RNN on 1 thread; all batchFirst, h0 = zeros. Times are medians of 'runs' timed calls after
warm-up; manual and layers calls alternate, so their ratio is measured under the same load. Inference is
eval-mode forward plus reading the output back; train is forward + gradients of sum(output²) w.r.t. every weight.
GF/s counts 2·B·T·(I·H + H·H) per layer and direction (I = D·H above layer 0), ×3 for a training step.
tensors = tf.memory().numTensors before the first call → after the last; leak/call from the count around each call.
peak RSS = the measuring process's high-water mark (one process per backend and shape).`;

/** The CLI record of `workers` on the file measured with 2 workers. */
function cliRun(records: readonly CliRecord[], workers: number): CliRecord | undefined {
  const scaling = records.find((r) => r.workers === 2)?.batch;
  return records.find((r) => r.workers === workers && r.batch === scaling);
}

function cliTable(records: readonly CliRecord[]): string {
  const rows = records.map((r) => {
    const single = records.find((other) => other.workers === 1 && other.batch === r.batch);
    return [
      String(r.workers), describeShape(r), r.backend, r.inputMB.toFixed(0),
      (r.msMedian / 1000).toFixed(2), r.sequencesPerSecond.toFixed(0),
      single ? times(single.msMedian / r.msMedian) : '-', fixed(r.peakRssMB, 0), String(r.msSamples.length),
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
  label: string;
  shapeIndex: number;
  mode: Mode;
  /** The ratio compared: the twin's time over the hand-written's, or the hand-written's over PyTorch's. */
  against: 'layers' | 'torch';
  bound: number;
}

const TARGETS: Target[] = [
  ...[4, 4, 3, 3].map((bound, shapeIndex): Target => ({
    label: `inference layers÷manual ≥ ${bound}×`, shapeIndex, mode: 'inference', against: 'layers', bound,
  })),
  { label: 'inference manual÷torch ≤ 3×', shapeIndex: 0, mode: 'inference', against: 'torch', bound: 3 },
  { label: 'inference manual÷torch ≤ 5×', shapeIndex: 2, mode: 'inference', against: 'torch', bound: 5 },
  ...SHAPES.map((_, shapeIndex): Target => ({
    label: 'train layers÷manual ≥ 2×', shapeIndex, mode: 'train', against: 'layers', bound: 2,
  })),
];

const TARGET_BACKEND = 'wasm';

function checkTarget(records: readonly BenchRecord[], target: Target): string {
  const shape = SHAPES[target.shapeIndex];
  const manual = find(records, shape, TARGET_BACKEND, 'manual', target.mode);
  const value =
    target.against === 'layers'
      ? ratio(find(records, shape, TARGET_BACKEND, 'layers', target.mode), manual)
      : ratio(manual, find(records, shape, 'torch', 'torch', target.mode));
  const where = `#${target.shapeIndex + 1} ${describeShape(shape)}`;
  if (value === undefined) return `[not measured] ${target.label} on ${where}`;
  const met = target.against === 'layers' ? value >= target.bound : value <= target.bound;
  return `[${met ? 'met' : 'NOT met'}] ${target.label} on ${where}: ${times(value)}`;
}

const CLI_SCALING_BOUND = 1.7;
/** Peak RSS may grow by this fraction of the input's growth and still count as flat (chunks are read, not the file). */
const FLAT_MEMORY_SHARE = 0.1;

function cliScalingTarget(cli: readonly CliRecord[]): string {
  const [one, two] = [cliRun(cli, 1), cliRun(cli, 2)];
  const label = `CLI --workers 2 ≥ ${CLI_SCALING_BOUND}× the throughput of --workers 1`;
  if (!one || !two) return `[not measured] ${label}`;
  const value = one.msMedian / two.msMedian;
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

/** The issue's targets on wasm, and the leak check on every backend, one line each. */
export function formatTargets(records: readonly BenchRecord[]): string {
  const leaking = records.filter((r) => (r.tensorsLeakedPerCall ?? 0) !== 0);
  const leakLine =
    leaking.length === 0
      ? '[met] zero tensors leaked per call (every tfjs measurement)'
      : `[NOT met] zero tensors leaked per call: ${leaking
          .map((r) => `${r.impl} ${r.mode} ${describeShape(r)} ${r.backend}: ${r.tensorsLeakedPerCall}`)
          .join('; ')}`;
  const cli = records.filter(isCliRecord);
  const cliLines = cli.length === 0 ? [] : [cliScalingTarget(cli), cliMemoryTarget(cli)];
  return [`Targets (${TARGET_BACKEND}, ratios from this run)`, ...TARGETS.map((t) => checkTarget(records, t)), ...cliLines, leakLine].join('\n');
}
