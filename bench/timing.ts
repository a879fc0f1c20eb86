/** How many timed calls a measurement makes. */
export interface TimingPolicy {
  /** Exactly this many rounds when given. */
  runs?: number;
  /** Otherwise at least this many, then another only while the rounds so far plus one more fit this. */
  minRuns: number;
  budgetMs: number;
  /** And never more than this many. */
  maxRuns: number;
}

/** About 5 s per (cell, shape, backend, mode) for the calls compared together. */
export const DEFAULT_POLICY: TimingPolicy = { minRuns: 1, budgetMs: 5000, maxRuns: 9 };

/**
 * On the target backend: at least 3 rounds, so that a median never rests on one call (the
 * first full-length call of a big shape also grows the wasm heap).
 */
export const TARGET_POLICY: TimingPolicy = { ...DEFAULT_POLICY, minRuns: 3 };

/**
 * Runs each timed call once per round, in turn, so the implementations compared see the
 * same machine load. Each call returns its own duration in ms (so bookkeeping around the
 * work stays out of the timing). At least `minRuns` rounds run.
 * @returns the durations of each call, one array per call, in round order.
 */
export function timeRounds(calls: ReadonlyArray<() => number>, policy: TimingPolicy): number[][] {
  const samples: number[][] = calls.map(() => []);
  let elapsedMs = 0;
  let lastRoundMs = 0;
  for (let round = 0; ; round++) {
    const more =
      policy.runs !== undefined
        ? round < policy.runs
        : round < policy.minRuns || (round < policy.maxRuns && elapsedMs + lastRoundMs <= policy.budgetMs);
    if (!more) break;
    lastRoundMs = 0;
    calls.forEach((call, index) => {
      const ms = call();
      samples[index].push(ms);
      lastRoundMs += ms;
    });
    elapsedMs += lastRoundMs;
  }
  return samples;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Resident set size now and the process's peak so far, in MiB. */
export function memoryMB(): { rssMB: number; peakRssMB: number } {
  return {
    rssMB: process.memoryUsage().rss / 2 ** 20,
    peakRssMB: process.resourceUsage().maxRSS / 2 ** 10,
  };
}
