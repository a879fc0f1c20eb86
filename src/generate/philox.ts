/**
 * Philox4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as easy as 1, 2, 3",
 * SC 2011; Random123's `philox4x32_10`): a counter-based generator. Its output for a counter
 * depends on the key and that counter alone, so a draw is a pure function of
 * (seed, row, step): the same on every backend, runtime and run, whatever the batch is cut
 * into, with no state to carry. 32-bit integer arithmetic only (`Math.imul` and a 16-bit split
 * for the high half of a product).
 */

const MULTIPLIER_0 = 0xd2511f53;
const MULTIPLIER_1 = 0xcd9e8d57;
const WEYL_0 = 0x9e3779b9;
const WEYL_1 = 0xbb67ae85;
const ROUNDS = 10;

/** The high 32 bits of the 64-bit product of two uint32s. */
function mulHi(a: number, b: number): number {
  const aLow = a & 0xffff;
  const aHigh = a >>> 16;
  const bLow = b & 0xffff;
  const bHigh = b >>> 16;
  const lowHigh = aLow * bHigh;
  const highLow = aHigh * bLow;
  const middle = ((aLow * bLow) >>> 16) + (lowHigh & 0xffff) + (highLow & 0xffff);
  return (aHigh * bHigh + (lowHigh >>> 16) + (highLow >>> 16) + (middle >>> 16)) >>> 0;
}

/**
 * `philox4x32_10(counter, key)`: four uint32 words of a 128-bit counter and a 64-bit key
 * (two uint32 words) → four uint32 words.
 */
export function philox4x32(counter: readonly number[], key: readonly number[]): [number, number, number, number] {
  let [c0, c1, c2, c3] = counter.map((word) => word >>> 0);
  let [k0, k1] = key.map((word) => word >>> 0);
  for (let round = 0; round < ROUNDS; round++) {
    const hi0 = mulHi(MULTIPLIER_0, c0);
    const lo0 = Math.imul(MULTIPLIER_0, c0) >>> 0;
    const hi1 = mulHi(MULTIPLIER_1, c2);
    const lo1 = Math.imul(MULTIPLIER_1, c2) >>> 0;
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
    k0 = (k0 + WEYL_0) >>> 0;
    k1 = (k1 + WEYL_1) >>> 0;
  }
  return [c0, c1, c2, c3];
}

const TWO_32 = 2 ** 32;

/**
 * A uniform double in `[0, 1)` for (seed, row, step): Philox4x32-10 with key = the seed's low
 * and high 32 bits and counter = (step, row, 0, 0); its first two words give 53 random bits,
 * `(w0 >> 5 · 2²⁶ + w1 >> 6) / 2⁵³` (the 53-bit construction of numpy's and Python's `random()`).
 * `seed`: a safe integer in `[0, 2⁵³)`; `row`, `step`: integers in `[0, 2³²)`.
 */
export function uniformAt(seed: number, row: number, step: number): number {
  const [w0, w1] = philox4x32([step, row, 0, 0], [seed % TWO_32, Math.floor(seed / TWO_32)]);
  return ((w0 >>> 5) * 67108864 + (w1 >>> 6)) / 9007199254740992;
}
