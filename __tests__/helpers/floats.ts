/** Uniform float32 values in [−scale, scale) from a fixed seed (mulberry32): reproducible test inputs. */
export function seededFloats(length: number, seed: number, scale = 2): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length }, () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return Math.fround((((z ^ (z >>> 14)) >>> 0) / 2 ** 32) * 2 * scale - scale);
  });
}

/** Whether two arrays hold the same float32 bits (NaN equal to NaN, 0 not equal to −0). */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((value, i) => Object.is(value, b[i]));
}
