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

/** Mean milliseconds per `forward` call of the fixture on one backend. */
export interface BackendTime {
  backend: string;
  manualMs: number;
  layersMs: number;
}

export interface PageResults {
  /** The active backend: `wasm`, `webgl` or `cpu` (`?backend=`). */
  backend: string;
  /** Whether the wasm binary uses SIMD (false on other backends). */
  wasmSimd: boolean;
  /** The wasm backend's threads (`getThreadsCount`; `?threads=` asks for a count), 0 on other backends. */
  wasmThreads: number;
  /** Whether the page is cross-origin isolated, as threads need (the example server sends the headers). */
  crossOriginIsolated: boolean;
  /** With `?compare`: the fixture timed on every backend registered in the page, the chosen one first; else empty. */
  backendTimes: BackendTime[];
  /** The seeded RNN scenarios, in `SCENARIOS`' order. */
  scenarios: { title: string; manual: ImplementationRun; layers: ImplementationRun }[];
  /** The PyTorch fixture: its name, and both implementations with PyTorch's weights on its input. */
  fixture: { name: string; manual: ImplementationRun; layers: ImplementationRun };
  /** The generation demo: the greedy continuation of each prompt (token ids), and mean milliseconds per new token. */
  generation: { name: string; tokens: number[][]; msPerToken: number };
}

/** `document.body.dataset.status`: `running`, then `done` or `error` (the message is on the page and the console). */
export type PageStatus = 'running' | 'done' | 'error';
