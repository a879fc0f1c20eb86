/** `|actual − expected| ≤ atol + rtol·|expected|`, elementwise, as `torch.testing.assert_close`. */
export interface Tolerance {
  rtol: number;
  atol: number;
}

/**
 * Forward values (`output`, `hN`) of two float32 implementations: PyTorch's own defaults
 * for float32 in `torch.testing.assert_close`. rtol 1.3e-6 is about eleven float32 ulps
 * (eps 1.19e-7), room for a different order of the sums inside a matMul; atol 1e-5 covers
 * values near zero, where relative error means nothing. Every step's activation is
 * bounded (tanh) or linear (relu), so rounding does not grow with depth or length on the
 * fixtures (300 steps, 3 layers, 128 wide).
 */
export const FORWARD_TOLERANCE: Tolerance = { rtol: 1.3e-6, atol: 1e-5 };

/**
 * Gradients: backpropagation sums `L·N` products into every weight gradient (`[H, H]`
 * from a `[H, L·N] × [L·N, H]` matMul), so rounding grows with the number of terms; and the
 * tanh slope `1 − h²` loses relative precision where |h| is near 1. rtol 1e-5 (≈ 84 ulps)
 * with atol 1e-4 absorbs that for sums of up to ~600 terms of size ~1.
 */
export const GRADIENT_TOLERANCE: Tolerance = { rtol: 1e-5, atol: 1e-4 };
