import * as fs from 'fs';
import { join } from 'path';
import { batchGeometry, sliceRows } from '../../src/cli/batchRows';
import { createArraySink } from '../../src/cli/outputFile';
import { openArraySource } from '../../src/cli/sequenceFile';
import { commitAll, serializeNpy } from '../../src/formats';
import { FIXTURES, listDir, makeTempDir, removeTempDir, sequenceArray, writeJson, writeNpy } from './helpers';

/** `fs` as it is, with `readSync` counted, to see which bytes a read touches. */
jest.mock('fs', () => {
  const actual = jest.requireActual('fs');
  return { ...actual, readSync: jest.fn(actual.readSync) };
});

let dir: string;

beforeEach(async () => {
  dir = await makeTempDir();
});

afterEach(async () => {
  await removeTempDir(dir);
});

/** Nested lists of `data` in C order for `shape`. */
function nested(data: Float32Array, shape: number[]): unknown {
  if (shape.length === 0) return data[0];
  const stride = data.length / shape[0];
  return Array.from({ length: shape[0] }, (_, i) => nested(data.subarray(i * stride, (i + 1) * stride), shape.slice(1)));
}

describe('reading rows of a batch axis', () => {
  const array = sequenceArray([5, 7, 3]);

  it.each([
    ['time-major [L, N, F]', 1],
    ['batch-major [N, L, F]', 0],
    ['the whole array (no batch axis)', null],
  ] as const)('%s from .npy equals slicing the whole array', async (_, axis) => {
    const source = await openArraySource(await writeNpy(dir, 'x.npy', array), 'input');
    const geometry = batchGeometry(array.shape, axis);
    for (const [start, end] of axis === null ? [[0, 1]] : [[0, 1], [2, 5], [0, array.shape[axis]]]) {
      expect(source.readRows(axis, start, end)).toEqual(sliceRows(array.data, geometry, start, end));
    }
    source.close();
  });

  it('reads only the bytes of the rows: one run when batch-major, L strided runs when time-major', async () => {
    const path = await writeNpy(dir, 'x.npy', array);
    const source = await openArraySource(path, 'input');
    const reads = fs.readSync as jest.MockedFunction<typeof fs.readSync>;
    reads.mockClear();
    source.readRows(1, 2, 5);
    expect(reads.mock.calls.map((call) => (call as unknown[])[3])).toEqual(Array(5).fill(3 * 3 * 4));
    reads.mockClear();
    source.readRows(0, 1, 3);
    expect(reads.mock.calls.map((call) => (call as unknown[])[3])).toEqual([2 * 7 * 3 * 4]);
    source.close();
  });

  it('reads .json nested lists and .npz members (stored and deflated) alike', async () => {
    const json = await openArraySource(await writeJson(dir, 'x.json', nested(array.data, array.shape)), 'input');
    expect(json.shape).toEqual([5, 7, 3]);
    expect(json.readRows(1, 3, 6)).toEqual(sliceRows(array.data, batchGeometry(array.shape, 1), 3, 6));
    const expected = await openArraySource(join(FIXTURES, 'npz', 'input.npy'), 'input');
    for (const name of ['stored.npz', 'compressed.npz']) {
      const npz = await openArraySource(join(FIXTURES, 'npz', name), 'input', { flag: '--input-key', value: 'input' });
      expect(npz.name).toBe(`${join(FIXTURES, 'npz', name)}[input]`);
      expect(npz.readRows(1, 1, 3)).toEqual(expected.readRows(1, 1, 3));
      npz.close();
    }
    expected.close();
    json.close();
  });

  it('converts float64 .npy to float32', async () => {
    const source = await openArraySource(join(FIXTURES, 'npy', 'float64.npy'), 'input');
    expect(source.readRows(0, 1, 2)).toEqual(Float32Array.of(0.001, 7.25, -0.5));
    source.close();
  });
});

describe('writing rows of a batch axis', () => {
  it.each([
    ['time-major output [L, N, F]', [4, 6, 3], 1],
    ['batch-major output [N, L, F]', [6, 4, 3], 0],
    ['states [S, N, H]', [2, 6, 3], 1],
  ] as const)('%s, chunks in any order, gives the .npy of the whole array', async (_, shape, axis) => {
    const array = sequenceArray([...shape]);
    const path = join(dir, 'out.npy');
    const sink = createArraySink(path, [...shape], axis);
    const geometry = batchGeometry(shape, axis);
    for (const [start, end] of [[4, 6], [0, 1], [1, 4]]) sink.writeRows(start, end, sliceRows(array.data, geometry, start, end));
    expect(await listDir(dir)).toEqual([expect.stringMatching(/^\.out\.npy\.\d+\.[0-9a-f]+\.tmp$/)]);
    await commitAll([sink]);
    expect(await listDir(dir)).toEqual(['out.npy']);
    expect(new Uint8Array(fs.readFileSync(path))).toEqual(serializeNpy(shape, array.data));
  });

  it('writes .json as nested lists on commit, the bytes of JSON.stringify, from a scratch file of its values', async () => {
    const array = sequenceArray([2, 3, 2]);
    const sink = createArraySink(join(dir, 'out.json'), [2, 3, 2], 1);
    sink.writeRows(0, 3, array.data);
    const temp = expect.stringMatching(/^\.out\.json\.\d+\.[0-9a-f]+\.tmp$/);
    expect(await listDir(dir)).toEqual([temp, temp]);
    await commitAll([sink]);
    expect(await listDir(dir)).toEqual(['out.json']);
    expect(fs.readFileSync(join(dir, 'out.json'), 'utf8')).toBe(JSON.stringify(nested(array.data, [2, 3, 2])));
  });

  it('leaves nothing behind when aborted, and keeps an existing file', async () => {
    const path = join(dir, 'out.npy');
    fs.writeFileSync(path, 'old');
    const sink = createArraySink(path, [2, 2], 0);
    sink.writeRows(0, 1, Float32Array.of(1, 2));
    sink.abort();
    expect(await listDir(dir)).toEqual(['out.npy']);
    expect(fs.readFileSync(path, 'utf8')).toBe('old');
  });
});
