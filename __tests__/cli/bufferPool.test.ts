import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src';
import { BufferPool } from '../../src/cli/bufferPool';
import { Chunk, ChunkOutputs, createChunkRunner } from '../../src/cli/chunkRunner';
import { ModelSpec } from '../../src/cli/modelFile';
import { outputBuffers } from '../../src/cli/workers';
import { checkConfig } from '../../src/config';
import { toHostArrays } from '../../src/formats';
import { createManualModel } from '../../src/manual';
import { readFloat32Into } from '../../src/manual/engines/wasm/adapter';
import { sequenceArray } from './helpers';

/**
 * A run reuses its buffers from chunk to chunk (inputs read into them, outputs read off the
 * backend into them): the pool hands out the smallest free buffer that fits, and outputs read
 * into reused buffers hold the same bits as into new arrays, on wasm (straight from its
 * memory) and on cpu (through dataSync).
 */

describe('BufferPool', () => {
  it('gives views of the length asked for, on buffers of a power of two bytes', () => {
    const pool = new BufferPool(false);
    const array = pool.take(7);
    expect(array.length).toBe(7);
    expect(array.byteOffset).toBe(0);
    expect(array.buffer.byteLength).toBe(32);
    expect(array.buffer).toBeInstanceOf(ArrayBuffer);
    expect(new BufferPool(true).take(3).buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('reuses the smallest free buffer that holds the values, and a new one when none does', () => {
    const pool = new BufferPool(false);
    const [small, large] = [pool.take(10), pool.take(100)];
    pool.give(large.buffer);
    pool.give(small.buffer);
    expect(pool.take(9).buffer).toBe(small.buffer);
    expect(pool.take(11).buffer).toBe(large.buffer);
    const fresh = pool.take(11);
    expect(fresh.buffer).not.toBe(small.buffer);
    expect(fresh.buffer).not.toBe(large.buffer);
  });

  it('ignores a buffer moved to another thread (detached)', () => {
    const pool = new BufferPool(false);
    const array = pool.take(16);
    const buffer = array.buffer as ArrayBuffer;
    structuredClone(buffer, { transfer: [buffer] });
    expect(array.buffer.byteLength).toBe(0);
    pool.give(array.buffer);
    expect(pool.take(16).buffer.byteLength).toBe(64);
  });
});

/** The bytes of every output array, in order. */
function bytes(outputs: ChunkOutputs): Buffer[] {
  return [outputs.manual, outputs.layers].flatMap((result) => (result ? [result.output, result.hN, result.cN] : [])).flatMap((array) => (array ? [Buffer.from(array.data.buffer, array.data.byteOffset, array.data.byteLength)] : []));
}

describe.each(['wasm', 'cpu'] as const)('outputs read into reused buffers on %s', (backend) => {
  const config = checkConfig({ mode: 'LSTM', inputSize: 3, hiddenSize: 5, projSize: 2, batchFirst: true });
  let spec: ModelSpec;

  beforeAll(async () => {
    await initBackend(backend);
    const model = createManualModel(config, { seed: 11 });
    spec = { config, stateDict: toHostArrays(model.stateDict()) };
    model.dispose();
  });

  it('hold the bits of new arrays, chunk after chunk on the same buffers, leaking no tensor', () => {
    const chunks: Chunk[] = [sequenceArray([4, 6, 3], 2), sequenceArray([4, 6, 3], 5)].map((input) => ({ input }));
    const runner = createChunkRunner(spec, ['manual', 'layers'], 'auto');
    const pool = new BufferPool(false);
    const tensors = tf.memory().numTensors;
    const first = runner.run(chunks[0], pool);
    expect(bytes(first)).toEqual(bytes(runner.run(chunks[0])));
    const firstBuffers = outputBuffers(first);
    firstBuffers.forEach((buffer) => pool.give(buffer));
    const second = runner.run(chunks[1], pool);
    expect(outputBuffers(second).filter((buffer) => firstBuffers.includes(buffer))).toHaveLength(firstBuffers.length);
    expect(bytes(second)).toEqual(bytes(runner.run(chunks[1])));
    expect(tf.memory().numTensors).toBe(tensors);
    runner.dispose();
  });

  it(`readFloat32Into ${backend === 'wasm' ? 'copies the values off the wasm memory' : 'leaves the values to dataSync'}`, () => {
    const tensor = tf.tensor2d([[1.5, -2], [3, 4.25]]);
    const target = new Float32Array(4);
    expect(readFloat32Into(tensor, target)).toBe(backend === 'wasm');
    expect(Array.from(target)).toEqual(backend === 'wasm' ? [1.5, -2, 3, 4.25] : [0, 0, 0, 0]);
    tensor.dispose();
  });
});
