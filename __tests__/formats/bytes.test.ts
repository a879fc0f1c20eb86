import { ArgumentError, FormatError } from '../../src/errors';
import { HostArray, hostArray, parseNpy, parseStateDict, parseStateDictJson, serializeNpy, serializeSafetensors, serializeStateDict, serializeTorchFile } from '../../src/formats';

/** Bytes of a hex string, e.g. from Python's `bytes.hex()`. */
function hex(text: string): Uint8Array {
  return Uint8Array.from(text.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

/** `bytes` copied into a fresh ArrayBuffer, as `(await fetch(url)).arrayBuffer()` gives them. */
function arrayBufferOf(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer;
}

/** `bytes` at a non-zero offset of a larger buffer, as Node's pooled Buffers hold them. */
function atOffset(bytes: Uint8Array): Uint8Array {
  const padded = new Uint8Array(bytes.length + 3);
  padded.set(bytes, 3);
  return padded.subarray(3);
}

const TENSORS: Record<string, HostArray> = {
  weight_ih_l0: hostArray([2, 3], Float32Array.of(0.1, -0.2, 0.3, 0.4, -0.5, 0.6)),
  bias_ih_l0: hostArray([2], Float32Array.of(1e-30, -7)),
};

describe('parseStateDict and serializeStateDict: state_dicts from bytes', () => {
  it.each(['pt', 'safetensors', 'json'] as const)('round-trip %s from a Uint8Array, an ArrayBuffer and a view at an offset', (format) => {
    const bytes = serializeStateDict(TENSORS, format);
    expect(bytes).toBeInstanceOf(Uint8Array);
    // prefix '': the whole state_dict (TENSORS holds an RNN's keys in part, not a module to choose).
    expect(parseStateDict(bytes, format, { prefix: '' })).toEqual(TENSORS);
    expect(parseStateDict(arrayBufferOf(bytes), format, { prefix: '' })).toEqual(TENSORS);
    expect(parseStateDict(atOffset(bytes), format, { prefix: '' })).toEqual(TENSORS);
  });

  it("write the bytes of each format: torch.save's archive, safetensors of F32, JSON of nested lists", () => {
    expect(serializeStateDict(TENSORS, 'pt')).toEqual(serializeTorchFile(TENSORS));
    expect(serializeStateDict(TENSORS, 'safetensors')).toEqual(serializeSafetensors(TENSORS));
    const json = JSON.parse(new TextDecoder().decode(serializeStateDict(TENSORS, 'json')));
    expect(json.weight_ih_l0).toEqual([
      [Math.fround(0.1), Math.fround(-0.2), Math.fround(0.3)],
      [Math.fround(0.4), Math.fround(-0.5), Math.fround(0.6)],
    ]);
    expect(parseStateDictJson(JSON.stringify(json))).toEqual(TENSORS);
  });

  it('read UTF-8 JSON, as a fetched file holds it', () => {
    const bytes = new TextEncoder().encode('{"__metadata__": {"note": "ünï"}, "w": [[1, 2], [3, 4]]}');
    expect(parseStateDict(bytes, 'json')).toEqual({ w: hostArray([2, 2], Float32Array.of(1, 2, 3, 4)) });
  });

  it('name the source in errors about the bytes: the format, or the URL given', () => {
    const bytes = new TextEncoder().encode('abc');
    expect(() => parseStateDict(bytes, 'safetensors')).toThrow(FormatError);
    expect(() => parseStateDict(bytes, 'safetensors')).toThrow(/^safetensors: expected at least 8 bytes \(the u64 header length\), got 3 bytes$/);
    expect(() => parseStateDict(bytes, 'json', 'https://example.com/rnn.json')).toThrow(/^https:\/\/example\.com\/rnn\.json: expected JSON/);
  });

  it('reject a format it does not know, naming the argument', () => {
    const bytes = serializeStateDict(TENSORS, 'json');
    expect(() => parseStateDict(bytes, 'h5' as never)).toThrow(ArgumentError);
    expect(() => parseStateDict(bytes, 'h5' as never)).toThrow(/^format: expected 'pt' or 'safetensors' or 'json', got 'h5'$/);
    expect(() => serializeStateDict(TENSORS, 'npz' as never)).toThrow(/^format: expected 'pt' or 'safetensors' or 'json', got 'npz'$/);
  });

  it.each([
    ['a string', 'abc', 'abc'],
    ['a Float32Array', new Float32Array(2), 'Float32Array'],
    ['a Response', new (class Response {})(), 'Response'],
    ['undefined', undefined, 'undefined'],
  ])('reject bytes that are %s, naming the argument', (_, bytes, actual) => {
    expect(() => parseStateDict(bytes as never, 'json')).toThrow(ArgumentError);
    expect(() => parseStateDict(bytes as never, 'json')).toThrow(`bytes: expected a Uint8Array or an ArrayBuffer, got ${actual}`);
  });
});

describe('parseNpy: an .npy file from bytes', () => {
  // import io, numpy as np  (NumPy 2.4.6)
  // b = io.BytesIO(); np.save(b, np.array([[1.5, -2.0, 0.1], [0.25, 3.0, 1e-40]], dtype='<f8')); b.getvalue().hex()
  const FLOAT64 = hex(
    '934e554d5059010076007b276465736372273a20273c6638272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2033292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a' +
      '000000000000f83f00000000000000c09a9999999999b93f000000000000d03f00000000000008409c577727266ca137',
  );
  // b = io.BytesIO(); np.save(b, np.array([1, 2], dtype='<i4')); b.getvalue().hex()
  const INT32 = hex(
    '934e554d5059010076007b276465736372273a20273c6934272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0100000002000000',
  );

  it("reads NumPy's float64 as float32, rounded to nearest, from bytes or an ArrayBuffer", () => {
    const expected = hostArray([2, 3], Float32Array.of(1.5, -2, 0.1, 0.25, 3, 1e-40));
    expect(parseNpy(FLOAT64)).toEqual(expected);
    expect(parseNpy(arrayBufferOf(FLOAT64))).toEqual(expected);
  });

  it('round-trips serializeNpy float32, at an offset too', () => {
    const bytes = serializeNpy([3, 1], Float32Array.of(0.1, -0.2, 3e38));
    expect(parseNpy(atOffset(bytes))).toEqual(hostArray([3, 1], Float32Array.of(0.1, -0.2, 3e38)));
  });

  it('reject integer arrays and bad bytes, naming the source', () => {
    expect(() => parseNpy(INT32, 'lengths.npy')).toThrow(FormatError);
    expect(() => parseNpy(INT32, 'lengths.npy')).toThrow(/^lengths\.npy: expected dtype float32 \('<f4'\) or float64 \('<f8'\), got '<i4'$/);
    expect(() => parseNpy(FLOAT64.subarray(0, FLOAT64.length - 1))).toThrow(/^npy: expected 48 bytes of data for shape \[2, 3\] float64, got 47 bytes \(truncated\)$/);
    expect(() => parseNpy('x' as never)).toThrow(/^bytes: expected a Uint8Array or an ArrayBuffer, got x$/);
  });
});
