import * as tf from '@tensorflow/tfjs';
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { createManualModel, initBackend } from '../../src';
import { HostModelForward, projectRowsInto } from '../../src/manual/engines/host';
import { RETAINED_MEMORY_BYTES, copyInto, createHostProduct } from '../../src/manual/engines/host/product';
import { readValues, tensorFilledBy, tensorOfValues } from '../../src/manual/engines/host/tensorValues';
import { heapF32 } from '../../src/manual/engines/wasm/adapter';
import { StreamingRNN } from '../../src/streaming';
import { describeEachBackend, expectNoLeak } from '../helpers/backends';

/** Values in [-1, 1) from `seed`, reproducible. */
function values(size: number, seed: number): Float32Array {
  return Float32Array.from({ length: size }, (_, i) => Math.sin((i + 1) * 12.9898 + seed * 78.233) % 1);
}

describe('host calls without a fresh array per call', () => {
  describeEachBackend((backend) => {
    test('readValues gives the values without a copy where the backend allows it', () => {
      const tensor = tf.tensor(values(24, 1), [2, 3, 4]);
      const read = readValues(tensor, 'a test');
      expect(Array.from(read)).toEqual(Array.from(tensor.dataSync()));
      if (backend === 'wasm') expect(read.buffer).toBe(heapF32(tf.backend() as BackendWasm).buffer);
      if (backend === 'cpu') expect(read).toBe(tensor.dataSync());
      tensor.dispose();
    });

    test("tensorOfValues keeps its own copy: the caller's array may change afterwards", () => {
      const source = values(12, 2);
      const expected = Array.from(source);
      const tensor = tensorOfValues(source, [3, 4]);
      source.fill(7);
      expect(Array.from(tensor.dataSync())).toEqual(expected);
      tensor.dispose();
    });

    test('tensorFilledBy makes a tensor whose values its callback writes in place, and nothing else', () => {
      const expected = values(30, 3);
      expectNoLeak(() => tensorFilledBy([5, 6], (out) => out.set(expected)).dispose());
      const tensor = tensorFilledBy([5, 6], (out) => {
        expect(out.length).toBe(30);
        out.set(expected);
      });
      expect(tensor.shape).toEqual([5, 6]);
      expect(Array.from(tensor.dataSync())).toEqual(Array.from(expected));
      tensor.dispose();
    });

    describe.each([
      ['batchFirst, one sequence', { batchFirst: true }, [1, 6, 3]],
      ['batchFirst, three sequences (transposed by the backend)', { batchFirst: true }, [3, 6, 3]],
      ['time-major', { batchFirst: false }, [6, 2, 3]],
      ['unbatched', { batchFirst: true }, [6, 3]],
    ] as const)('%s', (_, layout, shape) => {
      test("a forward's output owns its values: the next call does not change it, and it equals the tensor loop's", () => {
        const host = createManualModel({ mode: 'LSTM', inputSize: 3, hiddenSize: 5, numLayers: 2, ...layout }, { seed: 3 });
        const reference = createManualModel({ mode: 'LSTM', inputSize: 3, hiddenSize: 5, numLayers: 2, ...layout }, { seed: 3, loop: 'tensor' });
        expect(host.plan({ seqLen: 6, batchSize: shape.length === 3 ? 3 : 1 }).wholeOnHost).toBe(true);
        const size = (shape as readonly number[]).reduce((a, b) => a * b, 1);
        const [first, second] = [tf.tensor(values(size, 4), [...shape]), tf.tensor(values(size, 5), [...shape])];
        const firstOutput = host.forward(first);
        const kept = Array.from(firstOutput.output.dataSync());
        const secondOutput = host.forward(second);
        expect(Array.from(firstOutput.output.dataSync())).toEqual(kept);
        const expected = reference.forward(first);
        // The host engine and the tensor loop agree within the written contract; here only aliasing is at stake.
        Array.from(expected.output.dataSync()).forEach((value, i) => expect(Math.abs(value - kept[i])).toBeLessThan(1e-6));
        expectNoLeak(() => tf.dispose(Object.values(host.forward(first))));
        tf.dispose([first, second, ...Object.values(firstOutput), ...Object.values(secondOutput), ...Object.values(expected)]);
        host.dispose();
        reference.dispose();
      });
    });

    test("StreamingRNN.step's outputs are the caller's: the next step does not change them", () => {
      const model = createManualModel({ mode: 'GRU', inputSize: 3, hiddenSize: 4, batchFirst: true }, { seed: 6 });
      const stream = new StreamingRNN(model);
      const y1 = stream.step(values(6, 7));
      const kept = Array.from(y1);
      const y2 = stream.step(values(6, 8));
      expect(Array.from(y1)).toEqual(kept);
      expect(Array.from(y2)).not.toEqual(kept);
      stream.dispose();
      model.dispose();
    });
  });

  test("a host call reads a tensor's view only after the weights are in the kernels (reading them runs tf ops)", () => {
    const model = createManualModel({ mode: 'RNN', inputSize: 2, hiddenSize: 3 }, { seed: 8 });
    const host = (model as unknown as { host: HostModelForward }).host;
    const weights = model.namedParameters().get('weight_ih_l0')!;
    weights.assign(tf.onesLike(weights));
    let weightsReadFirst: boolean | undefined;
    host.runInPlace(
      () => {
        const cached = (host as unknown as { cached?: { dataIds: object[] } }).cached;
        weightsReadFirst = cached !== undefined && cached.dataIds.includes(weights.dataId);
        return values(4, 9);
      },
      2,
      1,
    );
    expect(weightsReadFirst).toBe(true);
    model.dispose();
  });

  test("projectRowsInto gives in blocks of rows the bits of one product over every row", () => {
    // 4096 sums of 4 columns: blocks of 255 rows, so 600 rows take three.
    const [rows, columns, count] = [4096, 4, 600];
    const product = createHostProduct({ weightsT: values(columns * rows, 10), rows, columns, bias: values(rows, 11) });
    const x = values(count * columns, 12);
    const whole = product.multiply(x, 0, count).slice();
    const blocked = new Float32Array(count * rows);
    projectRowsInto(product, x, count, blocked);
    // Bytes, not values one by one (2.4 million of them): the same bits.
    expect(Buffer.from(blocked.buffer).equals(Buffer.from(whole.buffer))).toBe(true);
    expect(blocked[count * rows - 1]).not.toBe(0);
    product.release();
  });

  test("a call that grew the host kernels' memory beyond RETAINED_MEMORY_BYTES gives it back afterwards; smaller calls keep theirs", async () => {
    await initBackend('wasm');
    // An RNN of 4096 inputs and 1 hidden unit: 16 KiB of kernel memory per row of L·N, little arithmetic.
    const model = createManualModel({ inputSize: 4096, hiddenSize: 1 }, { seed: 12 });
    const host = (model as unknown as { host: HostModelForward }).host;
    const cached = () => (host as unknown as { cached?: { layers: Array<{ memoryBytes: number }> } }).cached;
    const small = values(4 * 4096, 13);
    const first = model.forwardOnHost(small, 4, 1).output;
    expect(cached()).toBeDefined();
    const rows = Math.ceil(RETAINED_MEMORY_BYTES / (4096 * 4)) + 64;
    const large = new Float32Array(rows * 4096);
    large.set(small);
    const output = model.forwardOnHost(large, rows, 1).output;
    expect(output.length).toBe(rows);
    expect(cached()).toBeUndefined();
    // The weights are read again: the same bits as before.
    expect(Array.from(model.forwardOnHost(small, 4, 1).output)).toEqual(Array.from(first));
    expect(Array.from(output.subarray(0, 4))).toEqual(Array.from(first));
    expect(cached()!.layers[0].memoryBytes).toBeLessThan(RETAINED_MEMORY_BYTES);
    model.dispose();
  });

  test('copyInto refuses a source too short (a view whose memory has moved) instead of copying less', () => {
    const target = new Float32Array(8);
    expect(() => copyInto(target, 0, new Float32Array(0), 0, 4)).toThrow(RangeError);
    expect(() => copyInto(target, 0, new Float32Array(64), 40, 32)).toThrow(RangeError);
    copyInto(target, 2, Float32Array.of(1, 2, 3), 1, 2);
    expect(Array.from(target)).toEqual([0, 0, 2, 3, 0, 0, 0, 0]);
  });
});
