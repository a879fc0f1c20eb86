import * as tf from '@tensorflow/tfjs';
import {
  ArgumentError,
  BackendName,
  FORWARD_TOLERANCE,
  ManualModel,
  ManualRNN,
  Mode,
  RNNConfig,
  createManualModel,
} from '../../src';
import { wasmKernels } from '../../src/manual/engines/wasm';
import { HOST_FORWARD_MAX_MULTIPLY_ADDS, HOST_FORWARD_MAX_STEP_MULTIPLY_ADDS, HOST_LOOP_MAX_MULTIPLY_ADDS } from '../../src/manual/plan';
import { describeEachBackend } from '../helpers/backends';
import { expectClose } from '../helpers/expectClose';

/**
 * How many per-step matMuls one forward pass runs (the input projection is a fused one):
 * calls of the wasm matMul kernel on wasm, where the steps call it directly, else
 * BatchMatMul kernels in a profile.
 */
async function stepMatMuls(model: ManualModel, input: tf.Tensor): Promise<number> {
  const kernels = wasmKernels();
  if (kernels !== undefined) {
    const matMul = jest.spyOn(kernels, 'batchMatMul');
    try {
      tf.dispose(Object.values(model.forward(input)));
      return matMul.mock.calls.length;
    } finally {
      matMul.mockRestore();
    }
  }
  const profile = await tf.profile(() => tf.dispose(Object.values(model.forward(input))));
  return profile.kernels.filter(({ name }) => name === 'BatchMatMul').length;
}

describe('the loop option', () => {
  test('rejects an unknown loop', () => {
    expect(() => new ManualRNN({ inputSize: 3, hiddenSize: 4 }, { loop: 'gpu' as never })).toThrow(ArgumentError);
    expect(() => new ManualRNN({ inputSize: 3, hiddenSize: 4 }, { loop: 'gpu' as never })).toThrow(
      /^loop: expected one of 'auto', 'host', 'tensor', got 'gpu'$/,
    );
  });
});

/**
 * Per-step matMuls of 9 steps that 'auto' runs at hidden sizes 127 and 128 (0: on the host).
 * Nine steps of (1, 3, 127) are more than HOST_FORWARD_MAX_MULTIPLY_ADDS, so the call itself
 * does not run on host arrays where that threshold applies.
 */
const AUTO_STEP_MATMULS: Record<BackendName, [number, number]> = {
  wasm: [0, 0], // both within HOST_FORWARD_MAX_STEP_MULTIPLY_ADDS per step: the host's fused steps (larger models: below)
  cpu: [0, 0], // the host loop beats its ops at any size
  tensorflow: [0, 9], // the host loop below HOST_LOOP_MAX_MULTIPLY_ADDS
};

describeEachBackend((backend) => {
  describe("'auto' picks the faster loop: wasm's kernels, cpu's host loop, elsewhere the host loop below HOST_LOOP_MAX_MULTIPLY_ADDS per step", () => {
    // N·H·H: 1·127·127 is just below the threshold, 1·128·128 is on it.
    test.each([
      [127, AUTO_STEP_MATMULS[backend][0]],
      [128, AUTO_STEP_MATMULS[backend][1]],
    ])('hidden size %i: %i per-step matMuls', async (hiddenSize, expected) => {
      expect(hiddenSize * hiddenSize < HOST_LOOP_MAX_MULTIPLY_ADDS).toBe(hiddenSize === 127);
      expect(9 * hiddenSize * (3 + hiddenSize)).toBeGreaterThan(HOST_FORWARD_MAX_MULTIPLY_ADDS);
      const model = new ManualRNN({ inputSize: 3, hiddenSize, batchFirst: true }, { seed: 1 });
      const input = tf.randomNormal([1, 9, 3], 0, 1, 'float32', 2);
      expect(await stepMatMuls(model, input)).toBe(expected);
      model.dispose();
      input.dispose();
    });
  });

  test("a small call runs on host arrays under 'auto' (no matMul), not with loop: 'tensor', not while a gradient is recorded", async () => {
    const config: RNNConfig = { inputSize: 3, hiddenSize: 8, batchFirst: true };
    const [auto, tensor] = (['auto', 'tensor'] as const).map((loop) => createManualModel(config, { seed: 1, loop }));
    const input = tf.randomNormal([1, 2, 3], 0, 1, 'float32', 2);
    expect(await stepMatMuls(auto, input)).toBe(0);
    expect(await stepMatMuls(tensor, input)).toBe(2);
    const taped = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(auto.forward(input).output) as tf.Scalar);
      tf.dispose([value, ...Object.values(grads)]);
    });
    expect(taped.kernels.some(({ name }) => name === 'BatchMatMul' || name === '_FusedMatMul')).toBe(true);
    [auto, tensor].forEach((model) => model.dispose());
    input.dispose();
  });

  if (backend === 'wasm') {
    // Per step G·H·(H_in + H): hidden sizes 504, 248 and 287 are the largest models on the
    // host under HOST_FORWARD_MAX_STEP_MULTIPLY_ADDS, 505, 249 and 288 just beyond; 600 steps
    // are a long call for both.
    test.each<[Mode, number, number]>([
      ['RNN', 504, 505],
      ['LSTM', 248, 249],
      ['GRU', 287, 288],
    ])("%s: a long call of a small model (hidden size %i) runs on host arrays under 'auto'; one beyond (%i) on the kernels", async (mode, small, large) => {
      const steps = 600;
      const input = tf.randomNormal([1, steps, 16], 0, 1, 'float32', 3);
      const gates = { RNN: 1, LSTM: 4, GRU: 3 }[mode];
      for (const [hiddenSize, onHost] of [[small, true], [large, false]] as const) {
        const perStep = gates * hiddenSize * (16 + hiddenSize);
        expect(perStep <= HOST_FORWARD_MAX_STEP_MULTIPLY_ADDS).toBe(onHost);
        expect(steps * perStep).toBeGreaterThan(HOST_FORWARD_MAX_MULTIPLY_ADDS);
        const model = createManualModel({ mode, inputSize: 16, hiddenSize, batchFirst: true }, { seed: 1 });
        expect(await stepMatMuls(model, input)).toBe(onHost ? 0 : steps);
        model.dispose();
      }
      input.dispose();
    });
  }

  test.each<Mode>(['RNN', 'LSTM', 'GRU'])("%s: a sequence gets the same bits alone and in a batch of 512: the host path is chosen per sequence, not per call", (mode) => {
    const model = createManualModel({ mode, inputSize: 3, hiddenSize: 16 }, { seed: 7 });
    const batch = tf.randomNormal([5, 512, 3], 0, 1, 'float32', 8);
    const alone = tf.slice(batch, [0, 0, 0], [-1, 1, -1]);
    const [batched, single] = [model.forward(batch), model.forward(alone)];
    const firstRow = tf.slice(batched.output, [0, 0, 0], [-1, 1, -1]);
    expect(Array.from(single.output.dataSync())).toEqual(Array.from(firstRow.dataSync()));
    tf.dispose([batch, alone, firstRow, ...Object.values(batched), ...Object.values(single)]);
    model.dispose();
  });

  if (backend === 'wasm') {
    // The host would be faster for the single sequence and the kernels for the batch: 'auto'
    // looks only at the model and the length, so both run on the host, whose bits do not
    // depend on N.
    test.each<Mode>(['RNN', 'LSTM', 'GRU'])("%s: 'auto' gives a sequence the same bits alone and in a batch of 16", (mode) => {
      const model = createManualModel({ mode, inputSize: 3, hiddenSize: 16, batchFirst: true }, { seed: 5 });
      const batch = tf.randomNormal([16, 7, 3], 0, 1, 'float32', 6);
      const alone = tf.slice(batch, [0, 0, 0], [1, -1, -1]);
      const [batched, single] = [model.forward(batch), model.forward(alone)];
      const firstRow = tf.slice(batched.output, [0, 0, 0], [1, -1, -1]);
      expect(Array.from(single.output.dataSync())).toEqual(Array.from(firstRow.dataSync()));
      tf.dispose([batch, alone, firstRow, ...Object.values(batched), ...Object.values(single)]);
      model.dispose();
    });
  }

  describe('host and tensor loops agree', () => {
    test.each<RNNConfig>([
      { inputSize: 5, hiddenSize: 24, numLayers: 2, bidirectional: true, batchFirst: true },
      { inputSize: 5, hiddenSize: 24, nonlinearity: 'relu', bias: false },
    ])('%j, with and without lengths', (config) => {
      const host = new ManualRNN(config, { seed: 3, loop: 'host' });
      const tensor = new ManualRNN(config, { seed: 3, loop: 'tensor' });
      const input = tf.randomNormal(config.batchFirst ? [4, 9, 5] : [9, 4, 5], 0, 1, 'float32', 4);
      for (const lengths of [undefined, [9, 3, 7, 1]]) {
        const [a, b] = [host, tensor].map((model) => model.forward(input, undefined, { lengths }));
        expectClose(a.output, b.output, FORWARD_TOLERANCE, 'output');
        expectClose(a.hN, b.hN, FORWARD_TOLERANCE, 'h_n');
        tf.dispose([a.output, a.hN, b.output, b.hN]);
      }
      tf.dispose(input);
      host.dispose();
      tensor.dispose();
    });
  });
});
