/**
 * The activations of `kernels.wat` for one float32 at a time, operation for operation (every
 * product, sum and quotient rounded to float32, as the SIMD lanes do): the plain-loop
 * fallback's, so it gives the kernel's bits. See `kernels.wat` for the maths.
 */

const f = Math.fround;
const LOG2E = f(1.44269504088896341);
const LN2_HIGH = f(0.693359375);
const LN2_LOW = f(-2.12194440e-4);
const EXP_P = [1.98756915e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1].map(f);
const TANH_P = [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1].map(f);

/** Rounds to the nearest integer, ties to even (`f32x4.nearest`). */
function nearest(x: number): number {
  const rounded = Math.round(x);
  return rounded - x === 0.5 && rounded % 2 !== 0 ? rounded - 1 : rounded;
}

/** eˣ as `kernels.wat`'s `$exp`. */
export function exp32(value: number): number {
  const x = Math.min(Math.max(value, -87), 88);
  const n = nearest(f(x * LOG2E));
  let r = f(x - f(n * LN2_HIGH));
  r = f(r - f(n * LN2_LOW));
  let p = EXP_P[0];
  for (let i = 1; i < EXP_P.length; i++) p = f(f(p * r) + EXP_P[i]);
  p = f(f(f(p * f(r * r)) + r) + 1);
  return f(p * (Number.isNaN(n) ? 1 : 2 ** n));
}

/** σ(x) as `kernels.wat`'s `$sigmoid`. */
export function sigmoid32(x: number): number {
  return f(1 / f(1 + exp32(-x)));
}

/** tanh x as `kernels.wat`'s `$tanh`. */
export function tanh32(x: number): number {
  const a = Math.abs(x);
  const z = f(a * a);
  let p = TANH_P[0];
  for (let i = 1; i < TANH_P.length; i++) p = f(f(p * z) + TANH_P[i]);
  const small = f(f(f(p * z) * a) + a);
  const large = f(1 - f(2 / f(exp32(f(a + a)) + 1)));
  const magnitude = a < 0.625 ? small : large;
  return x < 0 || Object.is(x, -0) ? -magnitude : magnitude;
}
