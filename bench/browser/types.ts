/** What `threads.ts` (the page) and `browserThreads.ts` (its driver) exchange. */

/** One shape: `[N, L, H_in]` input, `H` hidden, one layer, one direction. */
export interface PageShape {
  mode: 'RNN' | 'LSTM' | 'GRU';
  batch: number;
  seq: number;
  input: number;
  hidden: number;
}

/** Each shape's ms per call, one per timed call, after a warm-up call. */
export interface PageTimes {
  threads: number;
  crossOriginIsolated: boolean;
  msPerCall: number[][];
}
