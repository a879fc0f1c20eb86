import * as tf from '@tensorflow/tfjs';
import {
  BackendError,
  FORWARD_TOLERANCE,
  GRADIENT_TOLERANCE,
  RNNOutput,
  StreamingRNN,
  Tolerance,
  availableBackends,
  backendCapabilities,
  compareArrays,
  compareTensors,
  describeComparison,
  initBackend,
  parameterSpecs,
  toHostArrays,
} from '../../src';
import { lossGradients } from '../../src/training';
import { Fixture, StoredTensor, initialStateOf, loadFixtures, tensorOf } from '../helpers/fixtures';
import { layersFromTorch, manualFromTorch } from '../helpers/models';

/**
 * A backend whose synchronous reads give zeros without an error, as tfjs's webgpu backend
 * does on SwiftShader: the cpu backend's kernels, with `dataSync` (the engine's `readSync`)
 * returning zeros and `data()` the true values. Nothing the package computes may read it
 * synchronously: every forward and gradient must equal PyTorch's numbers here, and what
 * needs a synchronous read must throw `BackendError` before any work.
 */
const ZERO_READS = 'zero-sync-reads';

async function registerZeroReadsBackend(): Promise<void> {
  await initBackend('cpu');
  const Cpu = tf.backend().constructor as new () => tf.KernelBackend;
  class ZeroSyncReads extends Cpu {
    override readSync(dataId: object): tf.backend_util.BackendValues {
      const values = super.readSync(dataId) as Float32Array;
      return new (values.constructor as Float32ArrayConstructor)(values.length);
    }
    override async read(dataId: object): Promise<tf.backend_util.BackendValues> {
      return super.readSync(dataId);
    }
    // The cpu kernels read their inputs through bufferSync: the true values, as on a GPU backend's device.
    bufferSync(t: tf.TensorInfo): tf.TensorBuffer<tf.Rank, tf.DataType> {
      return tf.buffer(t.shape, t.dtype, super.readSync(t.dataId) as tf.TypedArray);
    }
  }
  tf.registerBackend(ZERO_READS, () => new ZeroSyncReads());
  for (const kernel of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...kernel, backendName: ZERO_READS });
}

/** A tensor's values through `data()`, the read every backend supports; the tensor is disposed. */
async function readAsync(tensor: tf.Tensor): Promise<StoredTensor> {
  const data = Array.from(await tensor.data());
  tensor.dispose();
  return { shape: tensor.shape, data };
}

function expectWithin(actual: StoredTensor, expected: StoredTensor, tolerance: Tolerance, label: string): void {
  const comparison = compareArrays(actual, expected, tolerance);
  if (!comparison.ok) throw new Error(describeComparison(label, comparison));
}

/** `sum(output·d_output) + sum(h_n·d_h_n)` (`+ sum(c_n·d_c_n)`): the fixtures' loss. */
function fixtureLoss(fixture: Fixture, { output, hN, cN }: RNNOutput): tf.Scalar {
  const loss = tf.add<tf.Scalar>(tf.sum(tf.mul(output, tensorOf(fixture.d_output))), tf.sum(tf.mul(hN, tensorOf(fixture.d_h_n))));
  return fixture.d_c_n && cN ? tf.add(loss, tf.sum(tf.mul(cN, tensorOf(fixture.d_c_n)))) : loss;
}

// Every mode, with and without lengths, h0/c0, projection; small enough that the cpu backend would run them on host arrays.
const fixtures = loadFixtures(
  'rnn/seed_single_batch_first',
  'rnn/packed_uni_l2_tanh_bf_h0',
  'lstm/grid_l1_uni_bias_bf_h0_batched_p2',
  'lstm/packed_bi_l2_bf_h0_p2',
  'gru/grid_l1_uni_bias_tm_h0_batched',
  'gru/packed_uni_l2_bf_h0',
);

describe('a backend whose synchronous reads are not supported', () => {
  beforeAll(async () => {
    await registerZeroReadsBackend();
    await initBackend(ZERO_READS);
  });

  afterAll(async () => {
    await initBackend('cpu');
  });

  test('the capabilities of each backend: host copies, GPU readbacks, or none', () => {
    expect(['tensorflow', 'wasm', 'cpu'].map((name) => backendCapabilities(name))).toEqual(Array(3).fill({ syncReads: 'host', hostPath: true }));
    expect(backendCapabilities('webgl')).toEqual({ syncReads: 'gpu', hostPath: false });
    expect(backendCapabilities('webgpu')).toEqual({ syncReads: 'none', hostPath: false });
    expect(backendCapabilities(ZERO_READS)).toEqual({ syncReads: 'none', hostPath: false });
    expect(backendCapabilities('toString')).toEqual({ syncReads: 'none', hostPath: false });
  });

  test('initBackend accepts it by name, and lists it after the automatic choices', () => {
    expect(tf.getBackend()).toBe(ZERO_READS);
    const available = availableBackends();
    expect(available[available.length - 1]).toBe(ZERO_READS);
    expect(available.indexOf('wasm')).toBeLessThan(available.indexOf('cpu'));
  });

  test('the fake really gives zeros from dataSync (else this suite proves nothing)', async () => {
    const x = tf.tensor([0.5, -2]);
    expect(Array.from(x.dataSync())).toEqual([0, 0]);
    expect(Array.from(await x.data())).toEqual([0.5, -2]);
    x.dispose();
  });

  describe.each(fixtures.map((fixture) => [fixture.name, fixture] as const))('%s', (_, fixture) => {
    const lengths = fixture.lengths ?? undefined;

    test.each(['auto', 'tensor'] as const)('hand-written forward (%s loop) gives PyTorch\'s numbers', async (loop) => {
      const model = manualFromTorch(fixture, { loop });
      model.eval();
      const before = tf.memory().numTensors;
      const input = tensorOf(fixture.input);
      const hx = initialStateOf(fixture);
      const { output, hN, cN } = model.forward(input, hx, { lengths });
      tf.dispose([input, ...(hx === undefined ? [] : [hx].flat())]);
      expectWithin(await readAsync(output), fixture.output, FORWARD_TOLERANCE, 'output');
      expectWithin(await readAsync(hN), fixture.h_n, FORWARD_TOLERANCE, 'h_n');
      if (fixture.c_n) expectWithin(await readAsync(cN!), fixture.c_n, FORWARD_TOLERANCE, 'c_n');
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    });

    test('tf.layers twin forward gives PyTorch\'s numbers', async () => {
      const model = layersFromTorch(fixture);
      model.training = false;
      const input = tensorOf(fixture.input);
      const hx = initialStateOf(fixture);
      const { output, hN } = model.forward(input, hx, { lengths });
      tf.dispose([input, ...(hx === undefined ? [] : [hx].flat())]);
      expectWithin(await readAsync(output), fixture.output, FORWARD_TOLERANCE, 'output');
      expectWithin(await readAsync(hN), fixture.h_n, FORWARD_TOLERANCE, 'h_n');
      model.dispose();
    });

    test('hand-written gradients (tf.grads over forward) give PyTorch autograd\'s numbers', async () => {
      const model = manualFromTorch(fixture);
      const input = tensorOf(fixture.input);
      const hx = initialStateOf(fixture);
      const states = hx === undefined ? [] : [hx].flat();
      const names = [...parameterSpecs(model.config).map(({ name }) => name), 'input', ...['h0', 'c0'].slice(0, states.length)];
      const sources = [...model.trainableVariables(), input, ...states];
      const { value, grads } = tf.engine().gradients(
        () => tf.tidy(() => fixtureLoss(fixture, model.forward(input, (states.length === 2 ? states : states[0]) as never, { lengths }))),
        sources,
      );
      value.dispose();
      tf.dispose([input, ...states]);
      for (const [i, name] of names.entries()) expectWithin(await readAsync(grads[i]), fixture.grad[name], GRADIENT_TOLERANCE, `grad ${name}`);
      model.dispose();
    });
  });

  describe('what needs a synchronous read throws BackendError before any work', () => {
    const [fixture] = fixtures;
    const message = /^backend: expected one whose tensors can be read synchronously \(tensorflow, wasm, cpu, webgl\) for .+, got 'zero-sync-reads'$/;

    test.each([
      ["loop: 'host'", (model: ReturnType<typeof manualFromTorch>, input: tf.Tensor) => model.forward(input)],
      ['forwardOnHost', (model: ReturnType<typeof manualFromTorch>) => model.forwardOnHost(new Float32Array(15), 5, 1)],
      ['StreamingRNN.push', (model: ReturnType<typeof manualFromTorch>, input: tf.Tensor) => new StreamingRNN(model).push(input)],
      ['StreamingRNN.step', (model: ReturnType<typeof manualFromTorch>) => new StreamingRNN(model).step(new Float32Array(3))],
      ['lossGradients', (model: ReturnType<typeof manualFromTorch>, input: tf.Tensor) => lossGradients(model, ({ output }) => tf.sum(output), input)],
      ['compareTensors', (_: unknown, input: tf.Tensor) => compareTensors(input, input, FORWARD_TOLERANCE)],
      ['toHostArrays', (_: unknown, input: tf.Tensor) => toHostArrays({ input })],
    ] as const)('%s', (_, call) => {
      const model = manualFromTorch(fixture, { loop: 'host' });
      model.eval();
      const input = tensorOf(fixture.input);
      const before = tf.memory().numTensors;
      expect(() => call(model, input)).toThrow(BackendError);
      expect(() => call(model, input)).toThrow(message);
      expect(tf.memory().numTensors).toBe(before);
      input.dispose();
      model.dispose();
    });
  });
});
