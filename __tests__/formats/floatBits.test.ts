import { decodeBfloat16, decodeFloat16 } from '../../src/formats';

// Half-precision bit patterns from Python: struct.unpack('<H', struct.pack('<e', value)).
const FLOAT16: [number, number][] = [
  [0x3e00, 1.5],
  [0xc000, -2],
  [0x3555, 0.333251953125],
  [0x7bff, 65504], // largest finite
  [0x0400, 2 ** -14], // smallest normal
  [0x03ff, 1023 * 2 ** -24], // largest subnormal
  [0x0001, 2 ** -24], // smallest subnormal
  [0x0000, 0],
  [0x7c00, Infinity],
  [0xfc00, -Infinity],
];

// bfloat16 bit patterns from PyTorch: torch.tensor([value], dtype=torch.bfloat16).view(torch.int16).
const BFLOAT16: [number, number][] = [
  [0x3fc0, 1.5],
  [0xc000, -2],
  [0x3dcd, 0.10009765625], // 0.1 rounded to bfloat16
  [0x7f62, 3.00405527047391e38],
  [0x0080, 2 ** -126], // smallest normal
  [0x0001, 2 ** -133], // smallest subnormal
  [0x7f80, Infinity],
  [0xff80, -Infinity],
];

/** `[hex label, bits, value]` rows for `it.each`. */
function labelled(table: [number, number][]): [string, number, number][] {
  return table.map(([bits, value]) => [bits.toString(16).padStart(4, '0'), bits, value]);
}

describe('decodeFloat16', () => {
  it.each(labelled(FLOAT16))('decodes 0x%s', (_, bits, value) => {
    expect(decodeFloat16(bits)).toBe(value);
  });

  it('decodes negative zero and NaN', () => {
    expect(Object.is(decodeFloat16(0x8000), -0)).toBe(true);
    expect(decodeFloat16(0x7e00)).toBeNaN();
    expect(decodeFloat16(0xfc01)).toBeNaN();
  });
});

describe('decodeBfloat16', () => {
  it.each(labelled(BFLOAT16))('decodes 0x%s', (_, bits, value) => {
    expect(decodeBfloat16(bits)).toBe(value);
  });

  it('agrees with the upper half of a float32 for every bit pattern', () => {
    const float32 = new Float32Array(1);
    const bits32 = new Uint32Array(float32.buffer);
    const mismatches: number[] = [];
    for (let bits = 0; bits <= 0xffff; bits++) {
      bits32[0] = bits << 16;
      if (!Object.is(decodeBfloat16(bits), float32[0])) mismatches.push(bits);
    }
    expect(mismatches).toEqual([]);
  });

  it('decodes negative zero and NaN', () => {
    expect(Object.is(decodeBfloat16(0x8000), -0)).toBe(true);
    expect(decodeBfloat16(0x7fc0)).toBeNaN();
  });
});
