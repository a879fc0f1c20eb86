import { Chunk, ChunkOutputs } from './chunkRunner';
import { ChunkPool } from './workers';

/** Batch rows `[start, end)` of a file. */
export interface RowRange {
  start: number;
  end: number;
}

/** `[start, end)` cut into chunks of `batchSize` rows from `start` (the last may be shorter); fixed, whatever the number of workers. */
export function chunkRanges(range: RowRange, batchSize: number): RowRange[] {
  const ranges: RowRange[] = [];
  for (let start = range.start; start < range.end; start += batchSize) {
    ranges.push({ start, end: Math.min(start + batchSize, range.end) });
  }
  return ranges;
}

/** Chunks kept in flight per worker: one computing, one read and waiting. */
const IN_FLIGHT_PER_WORKER = 2;

/**
 * Reads each range (`read`), computes it on `pool` and hands the outputs to `handle` part by
 * part (rows of the file, as each thread computed them, in any order), with at most
 * `IN_FLIGHT_PER_WORKER × pool.size` chunks in memory. A chunk goes to `recycle` once every
 * part is handled (no thread reads it any more). The first error stops reading; it is thrown
 * once the chunks in flight have settled.
 */
export async function processChunks(
  ranges: RowRange[],
  pool: ChunkPool,
  read: (range: RowRange) => Chunk,
  handle: (range: RowRange, outputs: ChunkOutputs) => void,
  recycle: (chunk: Chunk) => void = () => undefined,
): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  let failed = false;
  let failure: unknown;
  for (const range of ranges) {
    while (inFlight.size >= IN_FLIGHT_PER_WORKER * pool.size) await Promise.race(inFlight);
    if (failed) break;
    const task: Promise<void> = Promise.resolve()
      .then(async () => {
        const chunk = read(range);
        await pool.run(chunk, (part) => handle({ start: range.start + part.range.start, end: range.start + part.range.end }, part.outputs));
        recycle(chunk);
      })
      .catch((error: unknown) => {
        if (!failed) failure = error;
        failed = true;
      })
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
  }
  await Promise.all(inFlight);
  if (failed) throw failure;
}
