import * as tf from '@tensorflow/tfjs-core';
import { backendCapabilities } from '../backend/capabilities';
import { FullRNNConfig, GATE_COUNTS, layerInputSize, outputSize } from '../config';
import { wasmEngineStatus, wasmKernels } from './engines/wasm';

/**
 * The route of a forward call, decided once per call (`planForward`) and passed down: which
 * engine computes the steps, and whether the whole call runs on host arrays.
 *
 * Engines (`engines/`):
 * - `'host'`: the package's own float32 kernels on typed arrays (`engines/host`): the input
 *   projection, every step's `p_t + h W_hhᵀ`, σ and tanh; a row's bits do not depend on
 *   the other rows of its batch.
 * - `'wasm'`: tfjs-backend-wasm's kernels called directly, one call per kernel instead of one
 *   tf op (`engines/wasm`); only on wasm, with a supported tfjs-backend-wasm.
 * - `'tensor'`: the cell's step as tf ops, on any backend (`engines/tensor`): the reference.
 */

/** How the recurrence runs its steps: on host arrays, on the backend, or whichever is faster. */
export const STEP_LOOPS = ['auto', 'host', 'tensor'] as const;
export type StepLoop = (typeof STEP_LOOPS)[number];

/** What computes a call's steps (see above). */
export type Engine = 'host' | 'wasm' | 'tensor';

/**
 * Multiply-adds of one sequence's call (`L` times `multiplyAddsPerStep`) up to which
 * `loop: 'auto'` picks the host engine on every backend that allows it: short calls, such
 * as one streamed step, cost more in engine dispatch than in arithmetic. Per sequence, not
 * per call, so that a sequence gets the same bits alone and in any batch (the CLI's outputs
 * do not depend on `--batch-size`, shards or workers).
 */
export const HOST_FORWARD_MAX_MULTIPLY_ADDS = 1 << 17;

/**
 * Multiply-adds of one step of one sequence (`multiplyAddsPerStep`) up to which `'auto'`
 * picks the host engine on wasm, however long the call (at `H_in` 16: the RNN to `H` 504,
 * the LSTM to 248, the GRU to 287; at `H_in` 64 the LSTM to 225). A small model's step is a
 * few µs of dispatch for under a µs of arithmetic on the kernels; up to this size the host's
 * fused steps (one kernel call per step for the product, the activations and the update)
 * also beat the kernels' separate calls. Host ÷ direct kernels, CPU time, in one run on
 * wasm: (4,100,64,128) 0.47–0.59; (32,100,64,128) LSTM 0.80, GRU 0.83; (128,100,64,128)
 * 0.86–1.03; (32,100,96,192) 0.68–0.92; beyond it (32,100,128,256) the LSTM 1.23 (the GRU
 * 0.83, the RNN 0.81) and (16,100,256,512) 1.02–1.23, where XNNPACK's products pull ahead
 * (`bench/README.md`, engines). The choice cannot look at N without giving a sequence other
 * bits in a batch than alone; `loop: 'tensor'` keeps a call on the kernels.
 */
export const HOST_FORWARD_MAX_STEP_MULTIPLY_ADDS = 1 << 18;

/**
 * Multiply-adds per step of the whole batch (`N·H_out·G·H`) below which `'auto'` picks the
 * host engine on backends with native kernels but no direct calls (tensorflow), where a
 * step's arithmetic costs less than dispatching its ops. This one depends on N, so there a
 * sequence's bits may differ alone and in a batch (within `FORWARD_TOLERANCE`).
 */
export const HOST_LOOP_MAX_MULTIPLY_ADDS = 16384;

/** Multiply-adds of one step of one sequence through every layer: `Σ G·H·(H_in + H_out)` (+ `H·H_out` projections). */
export function multiplyAddsPerStep(config: FullRNNConfig): number {
  const gateSize = GATE_COUNTS[config.mode] * config.hiddenSize;
  const projection = config.projSize * config.hiddenSize;
  let total = 0;
  for (let layer = 0; layer < config.numLayers; layer++) total += gateSize * (layerInputSize(config, layer) + outputSize(config)) + projection;
  return total;
}

/** What the plan needs to know of the active backend. */
export interface BackendTraits {
  /** `tf.getBackend()`. */
  name: string;
  /** Whether the wasm engine runs here: wasm, with a supported tfjs-backend-wasm (`engines/wasm/adapter.ts`). */
  wasmEngine: boolean;
  /** Whether `'auto'` may pick the host engine, which reads tensors synchronously (`dataSync`). */
  hostEngine: boolean;
}

/**
 * Whether `'auto'` may run the host engine on a backend: only where a synchronous read is a
 * host copy (`backendCapabilities(backend).hostPath`: cpu, wasm, tensorflow; not webgl,
 * whose reads stall its GPU pipeline, nor webgpu or an unknown backend).
 */
export function hostEngineAllowedOn(backend: string): boolean {
  return backendCapabilities(backend).hostPath;
}

let activeTraits: { backend: object; traits: BackendTraits } | undefined;

/** The active backend's traits (worked out once per backend instance, not on every call). */
export function activeBackendTraits(): BackendTraits {
  const backend = tf.backend();
  if (activeTraits?.backend !== backend) {
    const name = tf.getBackend();
    activeTraits = { backend, traits: { name, wasmEngine: wasmKernels() !== undefined, hostEngine: hostEngineAllowedOn(name) } };
  }
  return activeTraits.traits;
}

/** A forward call as the plan sees it. */
export interface ForwardCall {
  loop: StepLoop;
  /** Training mode (dropout between layers applies). */
  training: boolean;
  seqLen: number;
  batchSize: number;
  /** Whether `lengths` were given. */
  lengths: boolean;
  /** Whether a gradient tape records the call. */
  taped: boolean;
}

/** The route of one forward call. */
export interface ForwardPlan {
  /** What computes every direction's steps (and, for `'host'`, its input projection). */
  engine: Engine;
  /**
   * The whole call on host arrays with no tensor op in between (`HostModelForward`): the host
   * engine, one direction, no lengths, no tape, no dropout between layers. Otherwise layer by
   * layer with the hand-written gradient, each direction's steps on `engine`. Both give the
   * same bits: this only saves tensor bookkeeping.
   */
  wholeOnHost: boolean;
}

/**
 * The engine of a call: `loop: 'host'` the host, `'tensor'` the backend's (wasm's kernels
 * where the wasm engine runs, else tf ops); `'auto'` whichever is faster where measured:
 * the host on cpu (whose ops are JavaScript loops too: host ÷ ops 0.07–0.54), for short calls
 * (`HOST_FORWARD_MAX_MULTIPLY_ADDS` per sequence), on wasm for small models
 * (`HOST_FORWARD_MAX_STEP_MULTIPLY_ADDS` per step); else wasm's kernels where they run, and
 * elsewhere the host for small steps of the batch (`HOST_LOOP_MAX_MULTIPLY_ADDS`), tf ops
 * above. Only this last rule looks at the batch.
 */
function engineOf(config: FullRNNConfig, { loop, seqLen, batchSize }: ForwardCall, backend: BackendTraits): Engine {
  const backendEngine: Engine = backend.wasmEngine ? 'wasm' : 'tensor';
  if (loop !== 'auto') return loop === 'host' ? 'host' : backendEngine;
  if (!backend.hostEngine) return backendEngine;
  if (backend.name === 'cpu') return 'host';
  const perStep = multiplyAddsPerStep(config);
  if (seqLen * perStep <= HOST_FORWARD_MAX_MULTIPLY_ADDS) return 'host';
  if (backend.name === 'wasm' && perStep <= HOST_FORWARD_MAX_STEP_MULTIPLY_ADDS) return 'host';
  if (backend.wasmEngine) return 'wasm';
  const gateSize = GATE_COUNTS[config.mode] * config.hiddenSize;
  return batchSize * outputSize(config) * gateSize < HOST_LOOP_MAX_MULTIPLY_ADDS ? 'host' : backendEngine;
}

/** The route of a forward call of `config` on `backend` (see `ForwardPlan`). */
export function planForward(config: FullRNNConfig, call: ForwardCall, backend: BackendTraits = activeBackendTraits()): ForwardPlan {
  const engine = engineOf(config, call, backend);
  const dropoutBetweenLayers = call.training && config.dropout > 0 && config.numLayers > 1;
  const wholeOnHost = engine === 'host' && !config.bidirectional && !call.lengths && !call.taped && !dropoutBetweenLayers;
  return { engine, wholeOnHost };
}

/**
 * Which engines run on `backend` under `'auto'`, in a line (for `tfjs-rnn info`): on wasm
 * also the installed tfjs-backend-wasm and whether its kernels are called directly.
 */
export function describeEngines(backend: BackendTraits = activeBackendTraits(), wasm = wasmEngineStatus()): string {
  if (!backend.hostEngine) return `${backend.name}: tf ops (engine 'tensor')`;
  if (backend.name === 'cpu') return "cpu: host arrays (engine 'host')";
  const others = backend.wasmEngine ? "wasm's kernels called directly (engine 'wasm')" : "tf ops (engine 'tensor')";
  const version =
    backend.name !== 'wasm'
      ? ''
      : wasm.supported
        ? ` (tfjs-backend-wasm ${wasm.version}, in the supported ${wasm.range})`
        : ` (tfjs-backend-wasm ${wasm.version} is outside the supported ${wasm.range}: its kernels are not called directly)`;
  return `${backend.name}: host arrays (engine 'host') for short calls and small models, else ${others}${version}`;
}
