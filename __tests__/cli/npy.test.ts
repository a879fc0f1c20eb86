import { readFileSync } from 'fs';
import { join } from 'path';
import { FormatError } from '../../src/errors';
import { NpyDtype, bufferSource, decodeNpyFloats, decodeNpyValues, encodeNpyHeader, readNpyHeader, serializeNpy } from '../../src/formats';
import { FIXTURES } from './helpers';

const NPY = join(FIXTURES, 'npy');
const VALUES: number[][] = JSON.parse(readFileSync(join(NPY, 'values.json'), 'utf8'));
const FLAT = VALUES.flat();

function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(NPY, name)));
}

/** Header and float values of `bytes`, as the CLI reads an input. */
function readFloats(bytes: Uint8Array, source = 'x.npy'): { shape: number[]; data: Float32Array } {
  const { dtype, shape, dataOffset } = readNpyHeader(bufferSource(bytes), ['float32', 'float64'], source);
  return { shape, data: decodeNpyFloats(bytes.subarray(dataOffset), dtype as 'float32' | 'float64') };
}

describe('readNpyHeader on files written by numpy', () => {
  it('reads float32, C order', () => {
    expect(readFloats(fixture('float32.npy'))).toEqual({ shape: [2, 3], data: Float32Array.from(FLAT) });
  });

  it('reads float64, rounding to float32', () => {
    expect(readFloats(fixture('float64.npy'))).toEqual({ shape: [2, 3], data: Float32Array.from(FLAT) });
  });

  it('reads the version 2.0 header (u32 header length)', () => {
    expect(readFloats(fixture('version2.npy'))).toEqual({ shape: [2, 3], data: Float32Array.from(FLAT) });
  });

  it.each<[string, NpyDtype, number[]]>([
    ['lengths_int32.npy', 'int32', [6, 2, 5, 1]],
    ['lengths_int64.npy', 'int64', [6, 2, 5, 1]],
  ])('reads integer %s when asked for %s', (name, dtype, expected) => {
    const bytes = fixture(name);
    const header = readNpyHeader(bufferSource(bytes), ['int32', 'int64'], name);
    expect(header.dtype).toBe(dtype);
    expect(Array.from(decodeNpyValues(bytes.subarray(header.dataOffset), header.dtype))).toEqual(expected);
  });

  it.each([
    ['big_endian.npy', /^big_endian\.npy: expected little-endian dtype float32 \('<f4'\) or float64 \('<f8'\), got big-endian '>f4'$/],
    ['fortran.npy', /^fortran\.npy: expected C order \('fortran_order': False\), got Fortran order \('fortran_order': True\)$/],
    ['int16.npy', /^int16\.npy: expected dtype float32 \('<f4'\) or float64 \('<f8'\), got '<i2'$/],
    ['lengths_int64.npy', /^lengths_int64\.npy: expected dtype float32 .*, got '<i8'$/],
  ])('rejects %s, saying why', (name, message) => {
    expect(() => readFloats(fixture(name), name)).toThrow(FormatError);
    expect(() => readFloats(fixture(name), name)).toThrow(message);
  });
});

describe('readNpyHeader on corrupt files', () => {
  const good = fixture('float32.npy');

  it('rejects a bad magic', () => {
    const bytes = good.slice();
    bytes[1] = 0x58;
    expect(() => readFloats(bytes)).toThrow(/^x\.npy: expected an \.npy file \(magic \\x93NUMPY\), got first bytes/);
  });

  it('rejects a file shorter than the magic', () => {
    expect(() => readFloats(good.subarray(0, 5))).toThrow(/^x\.npy: expected an \.npy file of at least 10 bytes, got 5 bytes$/);
  });

  it('rejects a header length beyond the file', () => {
    expect(() => readFloats(good.subarray(0, 60))).toThrow(/^x\.npy: expected a header of 118 bytes within the file, got a file of 60 bytes$/);
  });

  it('rejects truncated data and trailing bytes', () => {
    expect(() => readFloats(good.subarray(0, good.length - 1))).toThrow(/^x\.npy: expected 24 bytes of data for shape \[2, 3\] float32, got 23 bytes \(truncated\)$/);
    const longer = new Uint8Array(good.length + 4);
    longer.set(good);
    expect(() => readFloats(longer)).toThrow(/got 28 bytes \(trailing bytes\)$/);
  });

  it('rejects an unknown version and a header that is no dict', () => {
    const version = good.slice();
    version[6] = 9;
    expect(() => readFloats(version)).toThrow(/^x\.npy: expected \.npy format version 1, 2 or 3, got version 9\.0$/);
    const header = serializeNpy([1], [1]);
    header[10] = 0x28; // '(' instead of '{'
    expect(() => readFloats(header)).toThrow(/^x\.npy: expected an \.npy header dict/);
  });
});

describe('serializeNpy', () => {
  it('writes what numpy writes for the same float32 array', () => {
    expect(serializeNpy([2, 3], FLAT)).toEqual(fixture('float32.npy'));
  });

  it.each<[number[], NpyDtype]>([
    [[], 'float32'],
    [[5], 'float64'],
    [[2, 0, 3], 'float32'],
    [[4], 'int64'],
    [[3], 'int32'],
  ])('round-trips shape %p as %s', (shape, dtype) => {
    const values = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i - 1);
    const bytes = serializeNpy(shape, values, dtype);
    const header = readNpyHeader(bufferSource(bytes), [dtype], 'x.npy');
    expect(header).toEqual({ dtype, shape, dataOffset: header.dataOffset });
    expect(Array.from(decodeNpyValues(bytes.subarray(header.dataOffset), dtype))).toEqual(values);
  });

  it('starts the data at a multiple of 64 bytes, the header ending in a newline', () => {
    for (const shape of [[1], [123456789, 2, 3], Array.from({ length: 20 }, () => 1)]) {
      const header = encodeNpyHeader(shape);
      expect(header.length % 64).toBe(0);
      expect(header[header.length - 1]).toBe(0x0a);
    }
  });

  it('rejects values that do not fill the shape', () => {
    expect(() => serializeNpy([2, 2], [1, 2, 3])).toThrow(/^values: expected 4 values for shape \[2, 2\], got 3$/);
  });
});
