import { FORWARD_TOLERANCE, Tolerance } from '../../src';

/**
 * The forward pass against PyTorch's numbers, as tight as the code achieves: rtol as
 * `FORWARD_TOLERANCE` (PyTorch's own `assert_close`, the public promise) and atol 5e-7,
 * about four float32 ulps of 1, instead of its 1e-5. Over every dense fixture, engine,
 * backend (cpu, wasm) and the twin the worst `|a − b| − rtol·|b|` is 2.6e-7 (worst
 * `|a − b|` 4.8e-7); a regression of 2× shows here, where atol 1e-5 would hide 20×.
 * See docs/numeric-contract.md.
 */
export const PARITY_TOLERANCE: Tolerance = { rtol: FORWARD_TOLERANCE.rtol, atol: 5e-7 };

/** Two float32 implementations each within `PARITY_TOLERANCE` of PyTorch are within twice it of each other. */
export const CROSS_TOLERANCE: Tolerance = { rtol: 2 * PARITY_TOLERANCE.rtol, atol: 2 * PARITY_TOLERANCE.atol };
