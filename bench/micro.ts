/**
 * Micro-benchmarks behind the recurrence's design choices, per backend:
 * transposed matMul operands, slicing one step vs `splitSteps`, the cost of `tanh` next to
 * a matMul, fused matMul + bias, each op of one recurrence step at the bench shapes, and a
 * kernel profile of whole ManualRNN calls (profile.ts).
 * Run with `npm run bench -- --micro [--backend wasm] [--json]`.
 */
import * as tf from '@tensorflow/tfjs';
import { availableBackends, initBackend } from '../src/backend';
import { splitSteps } from '../src/manual/tensorSteps';
import { BenchArgs } from './args';
import { ProfileRecord, formatProfiles, profileManual } from './profile';
import { SHAPES, describeShape } from './shapes';
import { median } from './timing';

export interface MicroRecord {
  backend: string;
  group: string;
  name: string;
  /** Median time of one call, in microseconds. */
  usMedian: number;
}

/** A batch of calls lasts at least this long, so the clock's resolution does not matter. */
const BATCH_MS = 25;
const BATCHES = 7;

/** Median µs per call of `op` (its tensors disposed after each call), over several batches. */
function timeOp(op: () => tf.TensorContainer): number {
  const once = () => tf.dispose(tf.tidy(op));
  once();
  let calls = 1;
  for (;;) {
    const start = performance.now();
    for (let i = 0; i < calls; i++) once();
    if (performance.now() - start >= BATCH_MS || calls >= 1 << 16) break;
    calls *= 2;
  }
  const perCall = Array.from({ length: BATCHES }, () => {
    const start = performance.now();
    for (let i = 0; i < calls; i++) once();
    return ((performance.now() - start) * 1000) / calls;
  });
  return median(perCall);
}

type Case = [name: string, op: () => tf.TensorContainer];

/** `2s − 1` as one op, `addN([s, s, −1])`: the bits the wasm steps get from two adds (`Elementwise.twiceMinusOne`). */
function addNTwiceMinusOne(s: tf.Tensor, minusOne: tf.Tensor): tf.Tensor {
  return tf.addN([s, s, minusOne]);
}

/** A titled list of cases, and the tensors they share, disposed after the last one. */
type Group = [group: string, cases: Case[], shared: tf.Tensor[]];

/** The four questions of the issue, at 256×256 (and [T, 256, 256] sequences). */
function designCases(): Group[] {
  const size = 256;
  const a = tf.randomNormal([size, size]) as tf.Tensor2D;
  const b = tf.randomNormal([size, size]) as tf.Tensor2D;
  const bT = tf.transpose(b);
  const bias = tf.randomNormal([size]) as tf.Tensor1D;
  const minusOne = tf.fill([size, size], -1);
  const sequences = [50, 200].map((seq) => tf.randomNormal([seq, size, size]) as tf.Tensor3D);
  const stepCases = sequences.flatMap((sequence): Case[] => {
    const seq = sequence.shape[0];
    const middle = Math.floor(seq / 2);
    return [
      [`T=${seq}: tf.slice of one step`, () => tf.slice(sequence, [middle, 0, 0], [1, -1, -1])],
      [`T=${seq}: tf.gather of one step`, () => tf.gather(sequence, middle)],
      [`T=${seq}: splitSteps, all T steps`, () => splitSteps(sequence)],
    ];
  });
  return [
    [
      'matMul operand layout, 256×256·256×256',
      [
        ['matMul(a, b, false, true)', () => tf.matMul(a, b, false, true)],
        ['matMul(a, bT), bT made once', () => tf.matMul(a, bT)],
        ['matMul(a, transpose(b)) per call', () => tf.matMul(a, tf.transpose(b))],
        ['matMul(a, b, true, false)', () => tf.matMul(a, b, true, false)],
        ['fused.matMul({a, b: bT})', () => tf.fused.matMul({ a, b: bT })],
        ['fused.matMul({a, b, transposeB: true})', () => tf.fused.matMul({ a, b, transposeB: true })],
      ],
      [],
    ],
    ['one step of [T, 256, 256]', stepCases, sequences],
    [
      'activation vs matMul, 256×256',
      [
        ['matMul 256³', () => tf.matMul(a, bT)],
        ['tanh', () => tf.tanh(a)],
        ['sigmoid', () => tf.sigmoid(a)],
        ['relu', () => tf.relu(a)],
        ['add (same shape)', () => tf.add(a, b)],
        ['2·sigmoid(x) − 1 by mul, sub', () => tf.sub(tf.mul(tf.sigmoid(a), 2), 1)],
        ['2·sigmoid(x) − 1 by addN([s, s, −1])', () => addNTwiceMinusOne(tf.sigmoid(a), minusOne)],
      ],
      [minusOne],
    ],
    [
      'fused matMul + bias, 256×256',
      [
        ['matMul + add(bias)', () => tf.add(tf.matMul(a, bT), bias)],
        ['fused.matMul({bias})', () => tf.fused.matMul({ a, b: bT, bias })],
        ['matMul + add(bias) + relu', () => tf.relu(tf.add(tf.matMul(a, bT), bias))],
        ["fused.matMul({bias, activation: 'relu'})", () => tf.fused.matMul({ a, b: bT, bias, activation: 'relu' })],
      ],
      [a, b, bT, bias],
    ],
  ];
}

/** Each op of one step `h = tanh(xProj_t + h W_hhᵀ)` at every bench shape's (B, H). */
function stepCases(): Group[] {
  return SHAPES.map((shape) => {
    const { batch, hidden } = shape;
    const state = tf.randomUniform([batch, hidden], -1, 1) as tf.Tensor2D;
    const projection = tf.randomNormal([batch, hidden]) as tf.Tensor2D;
    const weightHhT = tf.randomUniform([hidden, hidden], -0.1, 0.1) as tf.Tensor2D;
    const preActivation = tf.add(projection, tf.matMul(state, weightHhT));
    const minusOne = tf.fill([batch, hidden], -1);
    const cases: Case[] = [
      ['matMul(h, W_hhᵀ)', () => tf.matMul(state, weightHhT)],
      ['fused.matMul({a: h, b: W_hhᵀ})', () => tf.fused.matMul({ a: state, b: weightHhT })],
      ['add(xProj_t, ·)', () => tf.add(projection, preActivation)],
      ['tanh', () => tf.tanh(preActivation)],
      ['sigmoid', () => tf.sigmoid(preActivation)],
      ['whole step (matMul, add, tanh)', () => tf.tanh(tf.add(projection, tf.matMul(state, weightHhT)))],
      ['step with fused.matMul', () => tf.tanh(tf.add(projection, tf.fused.matMul({ a: state, b: weightHhT })))],
      ['step, tanh as 2σ(2z) − 1 (mul, sub)', () => tf.sub(tf.mul(tf.sigmoid(tf.add(projection, tf.matMul(state, weightHhT))), 2), 1)],
      ['step, tanh as 2σ(2z) − 1 (addN)', () => addNTwiceMinusOne(tf.sigmoid(tf.add(projection, tf.matMul(state, weightHhT))), minusOne)],
      ['tf.tensor2d of one step from host data', () => tf.tensor2d(new Float32Array(batch * hidden), [batch, hidden])],
    ];
    return [`one recurrence step, B=${batch} H=${hidden} ${describeShape(shape)}`, cases, [state, projection, weightHhT, preActivation, minusOne]];
  });
}

function formatMicro(records: readonly MicroRecord[]): string {
  const lines: string[] = [];
  let heading = '';
  for (const record of records) {
    const next = `${record.backend} — ${record.group}`;
    if (next !== heading) {
      heading = next;
      lines.push('', heading);
    }
    lines.push(`  ${record.name.padEnd(42)} ${record.usMedian.toFixed(1).padStart(10)} µs`);
  }
  return lines.join('\n').trimStart();
}

/** Runs every micro-benchmark and profile on each backend asked for (all available by default). */
export async function runMicro(args: BenchArgs): Promise<void> {
  const records: MicroRecord[] = [];
  const profiles: ProfileRecord[] = [];
  for (const backend of args.backends ?? availableBackends()) {
    await initBackend(backend);
    for (const [group, cases, shared] of [...designCases(), ...stepCases()]) {
      for (const [name, op] of cases) {
        records.push({ backend, group, name, usMedian: timeOp(op) });
      }
      tf.dispose(shared);
    }
    profiles.push(...(await profileManual()));
  }
  process.stdout.write(
    args.json
      ? `${JSON.stringify({ micro: records, profiles })}\n`
      : `${formatMicro(records)}\n\n${formatProfiles(profiles)}\n`,
  );
}
