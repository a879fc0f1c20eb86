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

function cliTable(records: readonly CliRecord[]): string {
  const single = records.find((r) => r.workers === 1);
  const rows = records.map((r) => [
    String(r.workers), describeShape(r), r.backend,
    (r.msMedian / 1000).toFixed(2), r.sequencesPerSecond.toFixed(0),
    single ? times(single.msMedian / r.msMedian) : '-', String(r.msSamples.length),
  ]);
  return formatTable(['workers', 'file (N,T,I,H,L,D)', 'backend', 'wall s', 'sequences/s', 'vs 1 worker', 'runs'], rows);
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

/** The issue's targets on wasm, and the leak check on every backend, one line each. */
export function formatTargets(records: readonly BenchRecord[]): string {
  const leaking = records.filter((r) => (r.tensorsLeakedPerCall ?? 0) !== 0);
  const leakLine =
    leaking.length === 0
      ? '[met] zero tensors leaked per call (every tfjs measurement)'
      : `[NOT met] zero tensors leaked per call: ${leaking
          .map((r) => `${r.impl} ${r.mode} ${describeShape(r)} ${r.backend}: ${r.tensorsLeakedPerCall}`)
          .join('; ')}`;
  return [`Targets (${TARGET_BACKEND}, ratios from this run)`, ...TARGETS.map((t) => checkTarget(records, t)), leakLine].join('\n');
}
