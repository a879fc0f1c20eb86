import { FormatError, ShapeError } from '../../src/errors';
import { HostArray, hostArray, parseSafetensors, serializeSafetensors } from '../../src/formats';

/** Bytes of a hex string, e.g. from Python's `struct.pack(...).hex()`. */
function hex(text: string): Uint8Array {
  return Uint8Array.from(text.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

/**
 * A safetensors file assembled by hand: u64 little-endian header length, the header (JSON of
 * `header` unless already a string or bytes) and the data buffer. `prefix` bytes of junk are put
 * before it in the same ArrayBuffer, so a non-zero byteOffset is exercised.
 */
function safetensorsBytes(header: unknown, data: Uint8Array = new Uint8Array(0), prefix = 0): Uint8Array {
  const json = header instanceof Uint8Array ? header : new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const bytes = new Uint8Array(prefix + 8 + json.length + data.length);
  new DataView(bytes.buffer).setBigUint64(prefix, BigInt(json.length), true);
  bytes.set(json, prefix + 8);
  bytes.set(data, prefix + 8 + json.length);
  return bytes.subarray(prefix);
}

/** The one tensor `name` of a hand-built file with a single tensor. */
function parseOne(dtype: string, shape: number[], data: Uint8Array, prefix = 0): HostArray {
  const header = { t: { dtype, shape, data_offsets: [0, data.length] } };
  return parseSafetensors(safetensorsBytes(header, data, prefix)).tensors.t;
}

const TENSORS = {
  weight_ih_l0: hostArray([2, 3], Float32Array.of(0.1, -0.2, 0.3, 1e-30, -1e30, 7)),
  bias_ih_l0: hostArray([2], Float32Array.of(NaN, -Infinity)),
  step: hostArray([], Float32Array.of(42)),
  empty: hostArray([0, 4], new Float32Array(0)),
};

describe('serializeSafetensors and parseSafetensors', () => {
  it('round-trip tensors, their key order and metadata', () => {
    const metadata = { format: 'pt', note: 'ünïcode' };
    const parsed = parseSafetensors(serializeSafetensors(TENSORS, metadata));
    expect(parsed.tensors).toEqual(TENSORS);
    expect(Object.keys(parsed.tensors)).toEqual(Object.keys(TENSORS));
    expect(parsed.metadata).toEqual(metadata);
  });

  it('round-trip without metadata to an empty metadata object', () => {
    expect(parseSafetensors(serializeSafetensors(TENSORS)).metadata).toEqual({});
  });

  it('write F32 entries back to back after a header space-padded to a multiple of 8 bytes', () => {
    const bytes = serializeSafetensors({ a: hostArray([1], Float32Array.of(1)), b: hostArray([2], Float32Array.of(1, -0.5)) });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const headerText = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
    expect(headerLength % 8).toBe(0);
    expect(headerText).toMatch(/^\{.*\} *$/);
    expect(JSON.parse(headerText)).toEqual({
      a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
      b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
    });
    // Python: struct.pack('<3f', 1.0, 1.0, -0.5).hex()
    expect(bytes.subarray(8 + headerLength)).toEqual(hex('0000803f0000803f000000bf'));
  });

  it('reject a tensor called __metadata__ and inconsistent host arrays', () => {
    expect(() => serializeSafetensors({ __metadata__: TENSORS.step })).toThrow(/^tensors: expected names other than __metadata__/);
    const broken = { w: { shape: [2, 2], data: new Float32Array(3) } };
    expect(() => serializeSafetensors(broken)).toThrow(ShapeError);
    expect(() => serializeSafetensors(broken)).toThrow(/^w: expected 4 values for shape \[2, 2\], got 3$/);
  });
});

describe('parseSafetensors dtypes', () => {
  it('reads F32', () => {
    // Python: struct.pack('<2f', 1.0, -0.5).hex()
    expect(parseOne('F32', [2], hex('0000803f000000bf'))).toEqual({ shape: [2], data: Float32Array.of(1, -0.5) });
  });

  it('reads F64, rounding to float32', () => {
    // Python: struct.pack('<3d', 0.1, -2.5, 1e300).hex()
    const tensor = parseOne('F64', [3, 1], hex('9a9999999999b93f00000000000004c09c7500883ce4377e'));
    expect(tensor.shape).toEqual([3, 1]);
    expect(tensor.data).toEqual(Float32Array.of(0.1, -2.5, Infinity));
  });

  it('reads F16, with a subnormal, infinity, negative zero and the largest finite value', () => {
    // Python: struct.pack('<5e', 1.5, 2**-24, float('inf'), -0.0, 65504.0).hex()
    const { data } = parseOne('F16', [5], hex('003e0100007c0080ff7b'));
    expect(Array.from(data)).toEqual([1.5, 2 ** -24, Infinity, -0, 65504]);
    expect(Object.is(data[3], -0)).toBe(true);
  });

  it('reads F16 NaN', () => {
    // Python: struct.pack('<e', float('nan')).hex()
    expect(parseOne('F16', [], hex('007e')).data[0]).toBeNaN();
  });

  it('reads BF16, with a subnormal and negative infinity', () => {
    // PyTorch: torch.tensor([1.5, -2.0, 2**-133, float('-inf'), 0.1], dtype=torch.bfloat16)
    //   .view(torch.int16).numpy().tobytes().hex()
    const { data } = parseOne('BF16', [5], hex('c03f00c0010080ffcd3d'));
    expect(Array.from(data)).toEqual([1.5, -2, 2 ** -133, -Infinity, 0.10009765625]);
  });

  it('reads data at any byte offset, aligned or not', () => {
    // Python: struct.pack('<2f', 1.0, -0.5).hex()
    expect(parseOne('F32', [2], hex('0000803f000000bf'), 3).data).toEqual(Float32Array.of(1, -0.5));
  });

  it('reads offsets into a shared data buffer in any order', () => {
    // Python: struct.pack('<2f', 1.0, -0.5).hex()
    const header = {
      a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
      b: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
      __metadata__: { format: 'pt' },
    };
    const { tensors } = parseSafetensors(safetensorsBytes(header, hex('0000803f000000bf')));
    expect(tensors).toEqual({ a: hostArray([1], Float32Array.of(-0.5)), b: hostArray([1], Float32Array.of(1)) });
  });
});

describe('parseSafetensors errors', () => {
  const data = hex('0000803f000000bf');
  const entry = (overrides: object) => ({ t: { dtype: 'F32', shape: [2], data_offsets: [0, 8], ...overrides } });
  const parse = (bytes: Uint8Array) => () => parseSafetensors(bytes, 'model.safetensors');

  it.each<[string, Uint8Array, RegExp]>([
    ['a file shorter than 8 bytes', new Uint8Array(5), /expected at least 8 bytes \(the u64 header length\), got 5 bytes$/],
    ['a header length beyond the file', hex('e803000000000000') /* 1000 */, /expected a header length of at most 0 bytes \(the rest of the file\), got 1000$/],
    ['a header length beyond 2^53', hex('ffffffffffffffff7b7d'), /header length of at most 2 bytes .*, got 18446744073709551615$/],
    ['invalid JSON', safetensorsBytes('{"t": '), /expected a UTF-8 JSON header, got invalid JSON \(/],
    ['invalid UTF-8', safetensorsBytes(new Uint8Array([0x7b, 0xff, 0x7d])), /expected a UTF-8 JSON header, got invalid JSON \(/],
    ['a header that is not an object', safetensorsBytes([1, 2]), /expected a JSON object header, got \[1,2\]$/],
    ['an entry that is not an object', safetensorsBytes({ t: 3 }), /expected tensor 't' to be an object with dtype, shape and data_offsets, got 3$/],
    ['an unsupported dtype', safetensorsBytes(entry({ dtype: 'I64' }), data), /expected tensor 't' dtype to be one of F32, F64, F16, BF16, got "I64"$/],
    ['a missing dtype', safetensorsBytes(entry({ dtype: undefined }), data), /tensor 't' dtype to be one of .*, got undefined$/],
    ['a negative dimension', safetensorsBytes(entry({ shape: [-2] }), data), /expected tensor 't' shape to be a list of non-negative integers, got \[-2\]$/],
    ['offsets past the data', safetensorsBytes(entry({ data_offsets: [0, 16] }), data), /expected tensor 't' data_offsets \[begin, end\] with 0 <= begin <= end <= 8 \(the data buffer\), got \[0,16\]$/],
    ['offsets in reverse', safetensorsBytes(entry({ data_offsets: [8, 0] }), data), /data_offsets .*, got \[8,0\]$/],
    ['offsets that are not two integers', safetensorsBytes(entry({ data_offsets: [0] }), data), /data_offsets .*, got \[0\]$/],
    ['offsets not matching shape × dtype size', safetensorsBytes(entry({ shape: [3] }), data), /expected tensor 't' data_offsets to span 12 bytes \(shape \[3\] × 4 bytes of F32\), got 8 bytes$/],
    ['non-string metadata', safetensorsBytes({ __metadata__: { epoch: 3 } }), /expected __metadata__ to map strings to strings, got \{"epoch":3\}$/],
    [
      'two tensors sharing bytes',
      safetensorsBytes({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, data),
      /expected tensor 'b' data_offsets to begin at 8, where the tensor before it ends, got \[4,8\]: bytes shared with tensor 'a'$/,
    ],
    [
      'two tensors naming the same bytes',
      safetensorsBytes({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, data),
      /expected tensor 'b' data_offsets to begin at 8, where the tensor before it ends, got \[0,8\]: bytes shared with tensor 'a'$/,
    ],
    [
      'a gap between tensors',
      safetensorsBytes({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, hex('000000000000000000000000')),
      /expected tensor 'b' data_offsets to begin at 4, where the tensor before it ends, got \[8,12\]: a gap of 4 bytes before it$/,
    ],
    ['data before the first tensor', safetensorsBytes(entry({ shape: [1], data_offsets: [4, 8] }), data), /expected tensor 't' data_offsets to begin at 0, .*, got \[4,8\]: a gap of 4 bytes before it$/],
    ['bytes after the last tensor', safetensorsBytes(entry({ shape: [1], data_offsets: [0, 4] }), data), /expected tensors that fill the data buffer of 8 bytes, got 4 bytes after the last tensor$/],
    ['a header nested 5,000 deep', safetensorsBytes(`{"t": ${'['.repeat(5000)}${']'.repeat(5000)}}`), /expected JSON nested at most 128 deep, got deeper nesting at position 133$/],
  ])('rejects %s', (_, bytes, message) => {
    expect(parse(bytes)).toThrow(FormatError);
    expect(parse(bytes)).toThrow(/^model\.safetensors: /);
    expect(parse(bytes)).toThrow(message);
  });

  it('rejects a header longer than the safetensors library reads (100 MB)', () => {
    const bytes = new Uint8Array(8 + 100_000_001);
    new DataView(bytes.buffer).setBigUint64(0, 100_000_001n, true);
    expect(parse(bytes)).toThrow(/^model\.safetensors: expected a header length of at most 100000000 bytes \(as the safetensors library reads\), got 100000001$/);
  });

  it("names the source 'safetensors' by default", () => {
    expect(() => parseSafetensors(new Uint8Array(0))).toThrow(/^safetensors: expected at least 8 bytes/);
  });
});
