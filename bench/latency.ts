/**
 * `npm run bench:latency`: the cost of small calls at batch 1, where a call's dispatch, not its
 * arithmetic, is the price. For every mode and backend: one streamed step by
 * `StreamingRNN.push` of a `[1, 1, I]` tensor and by `StreamingRNN.step` of a `Float32Array`,
 * at (1,1,16,32) and (1,1,64,128); one forward over the whole (1,1000,16,32) sequence; and
 * PyTorch's single-step call `model(x_t, h)` and whole sequence beside them (one thread).
 * Every case is measured after one untimed pass over all of them. Then a steady run on wasm
 * interleaves modes and shapes: blocks of calls of one case in turn, thousands of calls in
 * all, each call timed alone and each block reported by its median call; per case the
 * median block and the spread (slowest ÷ fastest block), and every block's median;
 * `-- --steady` runs only that.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Mode, availableBackends, createManualModel, initBackend } from '../src';
import { StreamingRNN } from '../src/streaming';
import { median } from './timing';
import { PYTHON } from './torch';

const MODES: Mode[] = ['RNN', 'LSTM', 'GRU'];
/** (batch, seq, input, hidden): two streamed steps and one whole sequence. */
const STEP_SHAPES = [[1, 1, 16, 32], [1, 1, 64, 128]] as const;
const WHOLE_SHAPE = [1, 1000, 16, 32] as const;
const ROUNDS = 7;
const STEPS_PER_ROUND = 500;
const WHOLE_CALLS_PER_ROUND = 10;

/**
 * Steady run: calls per block of `push`/`step` and of whole calls, blocks per case, and the
 * first blocks of each case that its spread is also given without (V8 optimising its code).
 */
const STEADY = { stepBlock: 100, wholeBlock: 9, blocksPerCase: 12, spreadTarget: 1.3, warmUpBlocks: 3 };

/** The issue's targets on wasm, µs (RNN; LSTM and GRU reported beside them). */
const TARGETS = { push16: 25, push64: 40, wholeMs: 1.0 };

interface LatencyRecord {
  mode: Mode;
  backend: string;
  what: 'push' | 'step' | 'whole';
  shape: readonly number[];
  /** Median over rounds of the mean time per call. */
  usPerCall: number;
}

/** Median over `ROUNDS` of the mean µs per call of `calls` calls of `call` (after one warm-up round). */
function timePerCall(call: () => void, calls: number): number {
  const means: number[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const start = performance.now();
    for (let i = 0; i < calls; i++) call();
    if (round > 0) means.push(((performance.now() - start) * 1000) / calls);
  }
  return median(means);
}

/**
 * A model of `mode` at `WHOLE_SHAPE`, its input, and one whole forward call, its outputs
 * disposed (on cpu and wasm a call has finished when it returns, as PyTorch's has); with
 * `read`, the output is read back first (`dataSync`: a new array per call, the caller's cost
 * of looking at it). The caller disposes `model` and `x`.
 */
function wholeCall(mode: Mode, read = false): { model: ReturnType<typeof createManualModel>; x: tf.Tensor; whole: () => void } {
  const [batch, seq, input, hidden] = WHOLE_SHAPE;
  const model = createManualModel({ mode, inputSize: input, hiddenSize: hidden, batchFirst: true }, { seed: 1 }).eval();
  const x = tf.randomNormal([batch, seq, input], 0, 1, 'float32', 3);
  const whole = () => {
    const { output, hN, cN } = model.forward(x);
    if (read) output.dataSync();
    tf.dispose([output, hN, ...(cN ? [cN] : [])]);
  };
  return { model, x, whole };
}

function measureBackend(backend: string): LatencyRecord[] {
  const records: LatencyRecord[] = [];
  for (const mode of MODES) {
    for (const [batch, , input, hidden] of STEP_SHAPES) {
      const model = createManualModel({ mode, inputSize: input, hiddenSize: hidden, batchFirst: true }, { seed: 1 }).eval();
      const stream = new StreamingRNN(model);
      const chunk = tf.randomNormal([batch, 1, input], 0, 1, 'float32', 2);
      const step = chunk.dataSync() as Float32Array;
      records.push({ mode, backend, what: 'push', shape: [batch, 1, input, hidden], usPerCall: timePerCall(() => stream.push(chunk).dispose(), STEPS_PER_ROUND) });
      records.push({ mode, backend, what: 'step', shape: [batch, 1, input, hidden], usPerCall: timePerCall(() => stream.step(step), STEPS_PER_ROUND) });
      tf.dispose(chunk);
      stream.dispose();
      model.dispose();
    }
    const { model, x, whole } = wholeCall(mode);
    records.push({ mode, backend, what: 'whole', shape: WHOLE_SHAPE, usPerCall: timePerCall(whole, WHOLE_CALLS_PER_ROUND) });
    x.dispose();
    model.dispose();
  }
  return records;
}

/** PyTorch's single-step and whole-sequence calls, or why there are none. */
function torchLatency(): { records: LatencyRecord[]; note?: string } {
  const request = { modes: MODES, stepShapes: STEP_SHAPES, wholeShape: WHOLE_SHAPE, rounds: ROUNDS, steps: STEPS_PER_ROUND, wholeCalls: WHOLE_CALLS_PER_ROUND };
  const result = spawnSync(PYTHON, [path.join(__dirname, 'torch_latency.py'), JSON.stringify(request)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (result.status !== 0 || result.error) return { records: [], note: `PyTorch column skipped: ${PYTHON} torch_latency.py failed` };
  const answer = JSON.parse(result.stdout) as { available: boolean; reason?: string; records?: LatencyRecord[] };
  return answer.available ? { records: answer.records ?? [] } : { records: [], note: `PyTorch column skipped: ${answer.reason}` };
}

function format(records: LatencyRecord[]): string {
  const find = (mode: Mode, backend: string, what: string, shape: readonly number[]) =>
    records.find((record) => record.mode === mode && record.backend === backend && record.what === what && record.shape.join() === shape.join());
  const backends = [...new Set(records.map((record) => record.backend).filter((backend) => backend !== 'torch'))];
  const rows: string[][] = [['mode', 'call', 'shape (B,T,I,H)', ...backends.map((backend) => `${backend} µs`), 'torch µs', ...backends.map((backend) => `${backend}÷torch`)]];
  for (const mode of MODES) {
    const calls: Array<[string, string, readonly number[]]> = [
      ...STEP_SHAPES.flatMap((shape): Array<[string, string, readonly number[]]> => [
        ['push', 'push', shape],
        ['step', 'step', shape],
      ]),
      ['whole', 'whole', WHOLE_SHAPE],
    ];
    for (const [what, torchWhat, shape] of calls) {
      const torch = find(mode, 'torch', torchWhat === 'whole' ? 'whole' : 'step', shape);
      const ours = backends.map((backend) => find(mode, backend, what, shape));
      rows.push([
        mode,
        what,
        `(${shape.join(',')})`,
        ...ours.map((record) => (record ? record.usPerCall.toFixed(1) : '-')),
        torch ? torch.usPerCall.toFixed(1) : '-',
        ...ours.map((record) => (record && torch ? `${(record.usPerCall / torch.usPerCall).toFixed(2)}×` : '-')),
      ]);
    }
  }
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const line = (row: string[]) => row.map((cell, column) => (column < 3 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  const table = [line(rows[0]), line(widths.map((width) => '-'.repeat(width))), ...rows.slice(1).map(line)];
  const target = (label: string, value: number | undefined, limit: number, unit: string) =>
    `[${value !== undefined && value <= limit ? 'met' : 'NOT met'}] ${label} ≤ ${limit} ${unit}: ${value === undefined ? 'not measured' : value.toFixed(unit === 'ms' ? 2 : 1)} ${unit}`;
  const targets = MODES.flatMap((mode) => [
    target(`wasm ${mode} push (1,1,16,32)`, find(mode, 'wasm', 'push', STEP_SHAPES[0])?.usPerCall, TARGETS.push16, 'µs'),
    target(`wasm ${mode} push (1,1,64,128)`, find(mode, 'wasm', 'push', STEP_SHAPES[1])?.usPerCall, TARGETS.push64, 'µs'),
    target(`wasm ${mode} whole (1,1000,16,32)`, (find(mode, 'wasm', 'whole', WHOLE_SHAPE)?.usPerCall ?? NaN) / 1000, TARGETS.wholeMs, 'ms'),
  ]);
  return `Latency at batch 1 (median over ${ROUNDS} rounds of the mean per call)\n${table.join('\n')}\n\nTargets (the RNN's; LSTM and GRU against the same figures)\n${targets.join('\n')}`;
}

/** One case of the steady run: a call, and the median µs per call of each of its blocks. */
interface SteadyCase {
  label: string;
  call: () => void;
  blockCalls: number;
  blocks: number[];
}

/**
 * The median µs of `calls` calls of `call`, each timed alone: a block's typical call, which
 * one preemption by another process on a shared machine does not move (a block's mean it
 * does, by its whole length).
 */
function blockMedian(call: () => void, calls: number, durations: Float64Array): number {
  for (let i = 0; i < calls; i++) {
    const start = performance.now();
    call();
    durations[i] = (performance.now() - start) * 1000;
  }
  return median(Array.from(durations.subarray(0, calls)));
}

/**
 * The steady run: every mode at both step shapes (`push`, `step` returning a new array,
 * `step→out` writing into one array) and the whole shape (`whole`, and `whole+read` with the
 * output read back), their blocks interleaved round-robin so that each case's calls run
 * between other modes' and shapes' (as in a process serving several models); each block's
 * median µs per call.
 * @returns a table of each case's median block, fastest and slowest block, and their ratio.
 */
function steadyRun(): string {
  const cases: SteadyCase[] = [];
  const owned: Array<{ dispose(): void }> = [];
  for (const mode of MODES) {
    for (const [batch, , input, hidden] of STEP_SHAPES) {
      const model = createManualModel({ mode, inputSize: input, hiddenSize: hidden, batchFirst: true }, { seed: 1 }).eval();
      const [pushStream, stepStream] = [new StreamingRNN(model), new StreamingRNN(model)];
      const chunk = tf.randomNormal([batch, 1, input], 0, 1, 'float32', 2);
      const step = Float32Array.from(chunk.dataSync());
      const shape = `(${batch},1,${input},${hidden})`;
      cases.push({ label: `${mode} push ${shape}`, call: () => pushStream.push(chunk).dispose(), blockCalls: STEADY.stepBlock, blocks: [] });
      const intoStream = new StreamingRNN(model);
      const out = new Float32Array(batch * hidden);
      cases.push({ label: `${mode} step ${shape}`, call: () => stepStream.step(step), blockCalls: STEADY.stepBlock, blocks: [] });
      cases.push({ label: `${mode} step→out ${shape}`, call: () => intoStream.step(step, out), blockCalls: STEADY.stepBlock, blocks: [] });
      owned.push(chunk, pushStream, stepStream, intoStream, model);
    }
    for (const read of [false, true]) {
      const { model, x, whole } = wholeCall(mode, read);
      cases.push({ label: `${mode} whole${read ? '+read' : ''} (${WHOLE_SHAPE.join(',')})`, call: whole, blockCalls: STEADY.wholeBlock, blocks: [] });
      owned.push(x, model);
    }
  }
  const durations = new Float64Array(Math.max(STEADY.stepBlock, STEADY.wholeBlock));
  for (let block = 0; block < STEADY.blocksPerCase; block++) {
    for (const steady of cases) steady.blocks.push(blockMedian(steady.call, steady.blockCalls, durations));
  }
  owned.forEach((item) => item.dispose());
  const rows = cases.map(({ label, blocks, blockCalls }) => {
    const [fastest, slowest] = [Math.min(...blocks), Math.max(...blocks)];
    const spread = slowest / fastest;
    const warm = blocks.slice(STEADY.warmUpBlocks);
    const warmSpread = Math.max(...warm) / Math.min(...warm);
    return `${label.padEnd(32)} ${median(blocks).toFixed(1).padStart(9)} ${fastest.toFixed(1).padStart(9)} ${slowest.toFixed(1).padStart(9)} ${spread.toFixed(2).padStart(6)}×${spread <= STEADY.spreadTarget ? '' : ' (spread NOT met)'}  after warm-up ${warmSpread.toFixed(2)}×  ${blocks.length}×${blockCalls} calls`;
  });
  const calls = cases.reduce((total, { blocks, blockCalls }) => total + blocks.length * blockCalls, 0);
  const header = `${'case'.padEnd(32)} ${'median µs'.padStart(9)} ${'fastest'.padStart(9)} ${'slowest'.padStart(9)} ${'spread'.padStart(7)}`;
  const everyBlock = cases.map(({ label, blocks }) => `${label.padEnd(32)} ${blocks.map((value) => value.toFixed(1)).join(' ')}`);
  return (
    `Steady run on wasm: ${calls} calls, modes and shapes interleaved in blocks (each block's median µs per call; median, fastest and slowest block; spread target ≤ ${STEADY.spreadTarget}×)\n` +
    `${header}\n${rows.join('\n')}\n\nEvery block's median µs per call, in order\n${everyBlock.join('\n')}`
  );
}

async function main(): Promise<void> {
  if (process.argv.includes('--steady')) {
    // Only the steady run (npm run bench:latency -- --steady).
    await initBackend('wasm');
    process.stdout.write(`${steadyRun()}\n`);
    return;
  }
  const records: LatencyRecord[] = [];
  for (const backend of availableBackends()) {
    await initBackend(backend);
    process.stderr.write(`bench: latency on ${backend}\n`);
    // One pass untimed: V8 and the wasm engine compile the hot paths over the first thousands
    // of calls, which the first case measured would otherwise pay alone.
    measureBackend(backend);
    records.push(...measureBackend(backend));
  }
  const torch = torchLatency();
  records.push(...torch.records);
  process.stdout.write(`${format(records)}\n${torch.note ? `${torch.note}\n` : ''}`);
  if (availableBackends().includes('wasm')) {
    await initBackend('wasm');
    process.stderr.write('bench: steady run on wasm\n');
    process.stdout.write(`\n${steadyRun()}\n`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `bench: ${error.message}` : error);
  process.exit(1);
});
