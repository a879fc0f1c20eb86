/**
 * Hand-written decoders of IEEE-754 style binary floats narrower than float32:
 * half (F16: 1 sign, 5 exponent, 10 fraction bits) and bfloat16 (BF16: 1, 8, 7).
 */

/**
 * Decodes the low `1 + exponentBits + fractionBits` bits of `bits` as a binary float with
 * the IEEE bias, subnormals (exponent 0), infinities and NaN (exponent all ones).
 */
function decodeBinaryFloat(bits: number, exponentBits: number, fractionBits: number): number {
  const sign = (bits >> (exponentBits + fractionBits)) & 1 ? -1 : 1;
  const maxExponent = (1 << exponentBits) - 1;
  const exponent = (bits >> fractionBits) & maxExponent;
  const fraction = bits & ((1 << fractionBits) - 1);
  const bias = maxExponent >> 1;
  if (exponent === maxExponent) return fraction === 0 ? sign * Infinity : NaN;
  if (exponent === 0) return sign * fraction * 2 ** (1 - bias - fractionBits);
  return sign * (2 ** fractionBits + fraction) * 2 ** (exponent - bias - fractionBits);
}

/** The value of a 16-bit IEEE half-precision float (`bits` in `[0, 0xffff]`). */
export function decodeFloat16(bits: number): number {
  return decodeBinaryFloat(bits, 5, 10);
}

/** The value of a 16-bit bfloat16 (the upper half of a float32; `bits` in `[0, 0xffff]`). */
export function decodeBfloat16(bits: number): number {
  return decodeBinaryFloat(bits, 8, 7);
}
