/**
 * What the example page leaves on `window.tfjsRnn` once it has run, for the browser test
 * (`__tests__/browser/page.test.ts`) to read: every number as the float32 values it computed.
 */

/** A tensor's shape and its values, flat in C order (float32 values as numbers), as the fixtures store them. */
export interface StoredTensor {
  shape: number[];
  data: number[];
}

/** `output` and `h_n` of one forward pass. */
export interface ForwardValues {
  output: StoredTensor;
  hN: StoredTensor;
}

/** One implementation's run: its values and mean milliseconds per `forward` call. */
export interface ImplementationRun extends ForwardValues {
  msPerCall: number;
}

export interface PageResults {
  /** The active backend: `wasm` or `cpu`. */
  backend: string;
  /** What the wasm binary uses (false on cpu): SIMD, and threads (only on cross-origin isolated pages). */
  wasmSimd: boolean;
  wasmThreads: boolean;
  /** The notebook's scenarios, in `SCENARIOS`' order. */
  scenarios: { title: string; manual: ImplementationRun; layers: ImplementationRun }[];
  /** The PyTorch fixture: its name, and both implementations with PyTorch's weights on its input. */
  fixture: { name: string; manual: ImplementationRun; layers: ImplementationRun };
  /** The generation demo: the greedy continuation of each prompt (token ids), and mean milliseconds per new token. */
  generation: { name: string; tokens: number[][]; msPerToken: number };
}

/** `document.body.dataset.status`: `running`, then `done` or `error` (the message is on the page and the console). */
export type PageStatus = 'running' | 'done' | 'error';
