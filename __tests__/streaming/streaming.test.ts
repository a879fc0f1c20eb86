import * as tf from '@tensorflow/tfjs';
import {
  ArgumentError,
  ConfigError,
  FORWARD_TOLERANCE,
  RNNConfig,
  RNNOutput,
  RecurrentModel,
  ShapeError,
  copyManualToLayers,
  createLayersModel,
  createManualModel,
  ManualModel,
} from '../../src';
import { trainStep } from '../../src/training';
import { StreamingRNN } from '../../src/streaming';
import { describeEachBackend, expectNoLeak } from '../helpers/backends';
import { expectClose } from '../helpers/expectClose';
import { configOf, initialStateOf, loadFixtures, stateDictOf, tensorOf, torchResultOf } from '../helpers/fixtures';

type Implementation = 'hand-written' | 'tf.layers twin';

/** A model of either implementation holding `stateDict`'s weights, or seeded hand-written ones. */
function buildModel(implementation: Implementation, config: RNNConfig, stateDict?: Record<string, tf.Tensor>): RecurrentModel {
  const manual = createManualModel(config, { seed: 1 });
  if (stateDict) manual.loadStateDict(stateDict);
  if (implementation === 'hand-written') return manual;
  const layers = createLayersModel(config);
  copyManualToLayers(manual, layers);
  manual.dispose();
  return layers;
}

/** Cuts `sequence` into chunks of the given lengths along its time axis. */
function chunksOf(sequence: tf.Tensor, timeAxis: number, sizes: number[]): tf.Tensor[] {
  return tf.split(sequence, sizes, timeAxis);
}

/** Streams `chunks` and returns the concatenated output and the final states (copies). */
function streamAll(stream: StreamingRNN, chunks: tf.Tensor[], timeAxis: number): RNNOutput {
  const outputs = chunks.map((chunk) => stream.push(chunk));
  const output = tf.concat(outputs, timeAxis);
  tf.dispose(outputs);
  const [hN, cN] = ([] as tf.Tensor[]).concat(stream.state as tf.Tensor | tf.Tensor[]).map((state) => tf.clone(state));
  return { output, hN, ...(cN && { cN }) };
}

/** Expects the same output and final states, then frees both. */
function expectSameResult(actual: RNNOutput, expected: RNNOutput): void {
  expectClose(actual.output, expected.output, FORWARD_TOLERANCE, 'output');
  expectClose(actual.hN, expected.hN, FORWARD_TOLERANCE, 'h_n');
  expect(actual.cN === undefined).toBe(expected.cN === undefined);
  if (expected.cN) expectClose(actual.cN!, expected.cN, FORWARD_TOLERANCE, 'c_n');
  tf.dispose([...Object.values(actual), ...Object.values(expected)]);
}

describeEachBackend(() => {
  describe.each<Implementation>(['hand-written', 'tf.layers twin'])('%s', (implementation) => {
    describe('chunks passed state to state give the whole sequence at once', () => {
      const cases: Array<[string, RNNConfig, number[], number]> = [
        ['1 layer, batchFirst, [N, L, H_in]', { inputSize: 3, hiddenSize: 4, batchFirst: true }, [2, 11, 3], 1],
        ['2 layers, relu, time-major, [L, N, H_in]', { inputSize: 3, hiddenSize: 4, numLayers: 2, nonlinearity: 'relu' }, [11, 2, 3], 0],
        ['3 layers, unbatched, [L, H_in]', { inputSize: 2, hiddenSize: 5, numLayers: 3, bias: false }, [11, 2], 0],
        ['LSTM, 2 layers, projSize, batchFirst', { mode: 'LSTM', inputSize: 3, hiddenSize: 4, numLayers: 2, projSize: 2, batchFirst: true }, [2, 11, 3], 1],
        ['LSTM, unbatched', { mode: 'LSTM', inputSize: 3, hiddenSize: 4 }, [11, 3], 0],
        ['GRU, 2 layers, time-major', { mode: 'GRU', inputSize: 3, hiddenSize: 4, numLayers: 2 }, [11, 2, 3], 0],
      ];
      test.each(cases)('%s', (_, config, shape, timeAxis) => {
        const model = buildModel(implementation, config);
        const input = tf.randomNormal(shape, 0, 1, 'float32', 3);
        const chunks = chunksOf(input, timeAxis, [3, 1, 5, 2]);
        const stream = new StreamingRNN(model);
        try {
          expectSameResult(streamAll(stream, chunks, timeAxis), model.forward(input));
        } finally {
          stream.dispose();
          tf.dispose([input, ...chunks]);
          model.dispose();
        }
      });
    });

    test.each(loadFixtures('long_sequence').map((fixture) => [fixture.name, fixture] as const))(
      "PyTorch's 300-step %s in chunks of 64 from its initial state matches PyTorch",
      (_, fixture) => {
        const stateDict = stateDictOf(fixture);
        const model = buildModel(implementation, configOf(fixture), stateDict);
        tf.dispose(Object.values(stateDict));
        const input = tensorOf(fixture.input);
        const hx = initialStateOf(fixture)!;
        const timeAxis = fixture.config.batch_first ? 1 : 0;
        const chunks = chunksOf(input, timeAxis, [64, 64, 64, 64, 44]);
        const stream = new StreamingRNN(model);
        try {
          stream.reset(hx);
          expectSameResult(streamAll(stream, chunks, timeAxis), torchResultOf(fixture));
        } finally {
          stream.dispose();
          tf.dispose([input, ...([] as tf.Tensor[]).concat(hx), ...chunks]);
          model.dispose();
        }
      },
    );

    test('an LSTM stream takes [h0, c0] in reset and keeps [h, c] as its state', () => {
      const model = buildModel(implementation, { mode: 'LSTM', inputSize: 3, hiddenSize: 4, projSize: 2 });
      const [h0, c0] = [tf.randomNormal([1, 2, 2], 0, 1, 'float32', 6), tf.randomNormal([1, 2, 4], 0, 1, 'float32', 7)];
      const otherBatch = tf.zeros([5, 3, 3]);
      const stream = new StreamingRNN(model);
      try {
        expect(() => stream.reset(h0)).toThrow(ArgumentError);
        expect(() => stream.reset(h0)).toThrow(/^hx: expected a pair \[h0, c0\] of live tf\.Tensors, or nothing, got tf\.Tensor float32 \[1, 2, 2\]$/);
        stream.reset([h0, c0]);
        const state = stream.state as tf.Tensor[];
        expect(state.map((tensor) => tensor.shape)).toEqual([[1, 2, 2], [1, 2, 4]]);
        expect(state[0] === h0 || state[1] === c0).toBe(false);
        expect(() => stream.push(otherBatch)).toThrow(/^chunk: expected a chunk that continues the stream's state \[1, 2, 2\]/);
      } finally {
        stream.dispose();
        tf.dispose([h0, c0, otherBatch]);
        model.dispose();
      }
    });

    test('state: undefined before the first chunk, the last hN after it, a copy of h0 after reset(h0)', () => {
      const config: RNNConfig = { inputSize: 3, hiddenSize: 4, numLayers: 2, batchFirst: true };
      const model = buildModel(implementation, config);
      const input = tf.randomNormal([2, 4, 3], 0, 1, 'float32', 4);
      const h0 = tf.randomNormal([2, 2, 4], 0, 1, 'float32', 5);
      const stream = new StreamingRNN(model);
      try {
        expect(stream.state).toBeUndefined();
        // Kept past the caller's tidy scopes.
        tf.tidy(() => {
          stream.push(input);
        });
        const { output, hN } = model.forward(input);
        expectClose(stream.state as tf.Tensor, hN, FORWARD_TOLERANCE, 'state');
        stream.reset(h0);
        h0.dispose();
        expect((stream.state as tf.Tensor).isDisposed).toBe(false);
        stream.reset();
        expect(stream.state).toBeUndefined();
        tf.dispose([output, hN]);
      } finally {
        stream.dispose();
        tf.dispose([input, h0]);
        model.dispose();
      }
    });

    test('push, reset and dispose keep the tensor count flat', () => {
      const model = buildModel(implementation, { inputSize: 3, hiddenSize: 4, numLayers: 2 });
      const chunk = tf.randomNormal([3, 2, 3], 0, 1, 'float32', 6);
      const h0 = tf.zeros([2, 2, 4]);
      try {
        const before = tf.memory().numTensors;
        const stream = new StreamingRNN(model);
        expectNoLeak(() => {
          stream.reset(h0);
          stream.push(chunk).dispose();
          stream.push(chunk).dispose();
        });
        stream.dispose();
        expect(tf.memory().numTensors).toBe(before);
      } finally {
        tf.dispose([chunk, h0]);
        model.dispose();
      }
    });

    test('rejects bidirectional models, chunks of another batch, and use after dispose', () => {
      const bidirectional = buildModel(implementation, { inputSize: 3, hiddenSize: 4, bidirectional: true });
      expect(() => new StreamingRNN(bidirectional)).toThrow(ConfigError);
      expect(() => new StreamingRNN(bidirectional)).toThrow(
        /^model\.config\.bidirectional: expected false for chunked streaming \(a reverse direction reads the sequence from its end\), got true$/,
      );
      bidirectional.dispose();

      const model = buildModel(implementation, { inputSize: 3, hiddenSize: 4 });
      const [first, otherBatch, unbatched, otherFeatures] = [[2, 2, 3], [2, 3, 3], [2, 3], [2, 2, 5]].map((shape) => tf.zeros(shape));
      const stream = new StreamingRNN(model);
      try {
        stream.push(first).dispose();
        const before = tf.memory().numTensors;
        expect(() => stream.push(otherBatch)).toThrow(ShapeError);
        expect(() => stream.push(otherBatch)).toThrow(
          /^chunk: expected a chunk that continues the stream's state \[1, 2, 4\] \(same batch, batched or not\), got \[2, 3, 3\]$/,
        );
        expect(() => stream.push(unbatched)).toThrow(/^chunk: expected .*, got \[2, 3\]$/);
        expect(() => stream.push(otherFeatures)).toThrow(/^input: expected \[seq, batch, 3\]/);
        expect(tf.memory().numTensors).toBe(before);
        stream.dispose();
        expect(() => stream.push(first)).toThrow(ArgumentError);
        expect(() => stream.push(first)).toThrow(/^stream: expected a StreamingRNN that was not disposed, got a disposed one$/);
      } finally {
        stream.dispose();
        tf.dispose([first, otherBatch, unbatched, otherFeatures]);
        model.dispose();
      }
    });
  });

  describe('one step at a time on host arrays', () => {
    const configs: Array<[string, RNNConfig]> = [
      ['RNN, 2 layers, relu', { inputSize: 3, hiddenSize: 4, numLayers: 2, nonlinearity: 'relu' }],
      ['LSTM, 2 layers, projSize, batchFirst', { mode: 'LSTM', inputSize: 3, hiddenSize: 5, numLayers: 2, projSize: 2, batchFirst: true }],
      ['GRU, no bias', { mode: 'GRU', inputSize: 3, hiddenSize: 4, bias: false }],
    ];

    test.each(configs)('%s: step() and push() of one step give the whole sequence, with and without the host path', (_, config) => {
      const models = [createManualModel(config, { seed: 1 }), createManualModel(config, { seed: 1, loop: 'tensor' })];
      const [seqLen, batchSize] = [9, 2];
      const input = tf.randomNormal([seqLen, batchSize, 3], 0, 1, 'float32', 8);
      const inLayout = config.batchFirst ? tf.transpose(input, [1, 0, 2]) : input;
      const steps = tf.unstack(input).map((step) => step.dataSync() as Float32Array);
      try {
        for (const model of models) {
          model.eval();
          const whole = model.forward(inLayout);
          const wholeOutput = tf.tidy(() => (config.batchFirst ? tf.transpose(whole.output, [1, 0, 2]) : whole.output));
          const stream = new StreamingRNN(model);
          const stepped = steps.map((step) => stream.step(step));
          const streamed: RNNOutput = { output: tf.tensor3d(Float32Array.from(stepped.flatMap((row) => Array.from(row))), wholeOutput.shape as [number, number, number]), ...stateCopies(stream) };
          expectSameResult(streamed, { ...whole, output: wholeOutput });
          // The same steps written into one array passed every step: the same bits.
          const intoOne = new StreamingRNN(model);
          const out = new Float32Array(stepped[0].length);
          steps.forEach((step, t) => {
            expect(intoOne.step(step, out)).toBe(out);
            expect(Array.from(out)).toEqual(Array.from(stepped[t]));
          });
          intoOne.dispose();
          if (wholeOutput !== whole.output) whole.output.dispose();
          stream.dispose();
        }
      } finally {
        tf.dispose([input, inLayout]);
        models.forEach((model) => model.dispose());
      }
    });

    test.each(configs)('%s: step and push keep the tensor count flat', (_, config) => {
      const model = createManualModel(config, { seed: 2 });
      const stream = new StreamingRNN(model);
      const step = new Float32Array(2 * 3).fill(0.5);
      const chunk = tf.ones(config.batchFirst ? [2, 4, 3] : [4, 2, 3]);
      try {
        expectNoLeak(() => stream.step(step));
        const out = new Float32Array(2 * (config.projSize || config.hiddenSize));
        expectNoLeak(() => stream.step(step, out));
        expectNoLeak(() => stream.push(chunk).dispose());
        expectNoLeak(() => {
          stream.state;
          stream.step(step);
        });
      } finally {
        stream.dispose();
        chunk.dispose();
        model.dispose();
      }
    });

    test('step checks its input: a Float32Array of whole steps of the stream\'s batch', () => {
      const model = createManualModel({ inputSize: 3, hiddenSize: 4 }, { seed: 3 });
      const stream = new StreamingRNN(model);
      try {
        expect(() => stream.step(new Float32Array(7))).toThrow(/^input: expected a Float32Array \[batch, 3\] of batch·3 values, got 7 values$/);
        expect(() => stream.step([1, 2, 3] as never)).toThrow(ShapeError);
        stream.step(new Float32Array(6));
        expect(() => stream.step(new Float32Array(9))).toThrow(/^chunk: expected a chunk that continues the stream's state \[1, 2, 4\] \(same batch, batched or not\), got \[3, 3\]$/);
      } finally {
        stream.dispose();
        model.dispose();
      }
    });

    test("step checks the array it writes into, before any work: a Float32Array [N, H_out]", () => {
      const model = createManualModel({ mode: 'LSTM', inputSize: 3, hiddenSize: 4, projSize: 2 }, { seed: 3 });
      const [stream, fresh] = [new StreamingRNN(model), new StreamingRNN(model)];
      const step = new Float32Array([0.1, -0.2, 0.3, 0.4, 0.5, -0.6]);
      try {
        expect(() => stream.step(step, new Float32Array(8))).toThrow(/^output: expected a Float32Array \[2, 2\] of 4 values, or nothing, got 8 values$/);
        expect(() => stream.step(step, [0, 0, 0, 0] as never)).toThrow(ShapeError);
        expect(() => stream.step(step, new Float64Array(4) as never)).toThrow(/^output: expected a Float32Array \[2, 2\] of 4 values, or nothing, got Float64Array\(4\)$/);
        // Nothing ran: the stream still starts from zeros.
        expect(Array.from(stream.step(step))).toEqual(Array.from(fresh.step(step)));
      } finally {
        stream.dispose();
        fresh.dispose();
        model.dispose();
      }
    });


    test.each(configs)('%s: streams of one model keep their own states in the host kernels between calls', (_, config) => {
      // Two streams' steps interleaved with plain host calls and state reads give each stream
      // the bits of its steps alone: a stream's states are copied out when another call needs
      // the kernels, and back in when it runs again.
      const model = createManualModel(config, { seed: 6 }).eval();
      const [seqLen, batchSize, inputSize] = [7, 2, 3];
      const sequences = [10, 11, 12].map((seed) => tf.tidy(() => tf.randomNormal([seqLen, batchSize * inputSize], 0, 1, 'float32', seed).arraySync() as number[][]));
      const stepOf = (sequence: number, t: number) => Float32Array.from(sequences[sequence][t]);
      try {
        const alone = [0, 1].map((sequence) => {
          const stream = new StreamingRNN(model);
          const outputs = Array.from({ length: seqLen }, (__, t) => Array.from(stream.step(stepOf(sequence, t))));
          const states = stateCopies(stream);
          stream.dispose();
          return { outputs, states };
        });
        const streams = [new StreamingRNN(model), new StreamingRNN(model)];
        const outputs: number[][][] = [[], []];
        for (let t = 0; t < seqLen; t++) {
          outputs[0].push(Array.from(streams[0].step(stepOf(0, t))));
          if (t % 2 === 0) model.forwardOnHost(stepOf(2, t), 1, batchSize);
          if (t === 3) expect(streams[0].state).toBeDefined();
          outputs[1].push(Array.from(streams[1].step(stepOf(1, t))));
        }
        [0, 1].forEach((sequence) => {
          expect(outputs[sequence]).toEqual(alone[sequence].outputs);
          const states = stateCopies(streams[sequence]);
          expect(Array.from(states.hN.dataSync())).toEqual(Array.from(alone[sequence].states.hN.dataSync()));
          if (states.cN) expect(Array.from(states.cN.dataSync())).toEqual(Array.from(alone[sequence].states.cN!.dataSync()));
          tf.dispose([states.hN, ...(states.cN ? [states.cN] : []), alone[sequence].states.hN, ...(alone[sequence].states.cN ? [alone[sequence].states.cN!] : [])]);
        });
        streams.forEach((stream) => stream.dispose());
      } finally {
        model.dispose();
      }
    });

    test('a stream continues from its states in the host kernels when the weights change', () => {
      const config: RNNConfig = { mode: 'LSTM', inputSize: 3, hiddenSize: 4, numLayers: 2 };
      const [first, second] = [createManualModel(config, { seed: 7 }).eval(), createManualModel(config, { seed: 8 }).eval()];
      const x = tf.tidy(() => tf.randomNormal([6, 2, 3], 0, 1, 'float32', 13).dataSync() as Float32Array);
      const model = createManualModel(config, { seed: 7 }).eval();
      const stream = new StreamingRNN(model);
      try {
        const before = first.forwardOnHost(x.subarray(0, 18), 3, 2);
        const after = second.forwardOnHost(x.slice(18), 3, 2, before.states);
        const pushed = (values: Float32Array) => tf.tidy(() => Array.from(stream.push(tf.tensor3d(values, [3, 2, 3])).dataSync()));
        expect(pushed(x.slice(0, 18))).toEqual(Array.from(before.output));
        model.loadStateDict(second.stateDict());
        expect(pushed(x.slice(18))).toEqual(Array.from(after.output));
        const [h, c] = stream.state as [tf.Tensor, tf.Tensor];
        expect([Array.from(h.dataSync()), Array.from(c.dataSync())]).toEqual(after.states.map((state) => Array.from(state)));
      } finally {
        stream.dispose();
        [first, second, model].forEach((item) => item.dispose());
      }
    });

    describe('the host path reads the weights again whenever a parameter changes', () => {
      const config: RNNConfig = { mode: 'LSTM', inputSize: 3, hiddenSize: 4, numLayers: 2 };
      let model: ManualModel;
      let x: Float32Array;
      beforeEach(() => {
        model = createManualModel(config, { seed: 4 });
        model.eval();
        x = tf.tidy(() => tf.randomNormal([5, 2, 3], 0, 1, 'float32', 9).dataSync() as Float32Array);
      });
      afterEach(() => model.dispose());

      /** forwardOnHost's output, compared with forward's on the current parameters. */
      function expectCurrentWeights(): void {
        const onHost = model.forwardOnHost(x, 5, 2).output;
        const expected = tf.tidy(() => model.forward(tf.tensor3d(x, [5, 2, 3])).output.dataSync() as Float32Array);
        tf.tidy(() => expectClose(tf.tensor(onHost), tf.tensor(expected), FORWARD_TOLERANCE, 'output'));
      }

      test('loadStateDict', () => {
        expectCurrentWeights();
        const other = createManualModel(config, { seed: 5 });
        model.loadStateDict(other.stateDict());
        other.dispose();
        expectCurrentWeights();
      });

      test('an optimizer step', () => {
        expectCurrentWeights();
        const optimizer = tf.train.sgd(0.5);
        const input = tf.tensor3d(x, [5, 2, 3]);
        trainStep(model, optimizer, ({ output }) => tf.sum(tf.square(output)) as tf.Scalar, input, input);
        input.dispose();
        optimizer.dispose();
        expectCurrentWeights();
      });

      test('assign', () => {
        expectCurrentWeights();
        const weight = model.namedParameters().get('weight_hh_l1')!;
        tf.tidy(() => weight.assign(tf.mul(weight, -2)));
        expectCurrentWeights();
      });
    });
  });
});

/** The stream's state as `RNNOutput`'s hN and cN, copied. */
function stateCopies(stream: StreamingRNN): { hN: tf.Tensor; cN?: tf.Tensor } {
  const [hN, cN] = ([] as tf.Tensor[]).concat(stream.state as tf.Tensor | tf.Tensor[]).map((state) => tf.clone(state));
  return { hN, ...(cN && { cN }) };
}
