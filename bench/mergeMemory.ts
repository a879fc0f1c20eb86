/**
 * Peak RSS of `tfjs-rnn merge` (dist/cli/main.js, built by `npm run build`) over the 16 pieces
 * of a time-major output `[L, N, F]` (batch axis 1: each piece's rows are strided through the
 * merged file) at two sizes four times apart, to show that memory does not grow with the files:
 * merge holds one block of `MERGE_BLOCK_BYTES`. The pieces and their shard records are written
 * as `run --shard` writes them, without computing a model. Files live in a temp directory
 * removed after.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MERGE_BLOCK_BYTES } from '../src/cli/commands/merge';
import { shardRange, shardToken } from '../src/cli/shard';
import { openShardRecord } from '../src/cli/shardRecord';
import { commitAll, serializeNpy } from '../src/formats';
import { measureCommand, rssFiles } from './cliThroughput';
import { median } from './timing';

/** Steps and features of the output: `[L, N, F]` float32 is 25.6 KB per sequence. */
const STEPS = 100;
const FEATURES = 64;
const PIECES = 16;
/** Sequences of the smaller and the larger output: 105 MB and 419 MB. */
const SIZES = [4096, 16384];
/** Each size is merged this many times, alternating; the medians of time and peak RSS count. */
const REPEATS = 3;
/** Peak RSS may grow by this fraction of the pieces' growth and still count as flat (as for `run`). */
const FLAT_MEMORY_SHARE = 0.1;

/** One merge measurement: `sequences` is N of the merged output. */
export interface MergeRecord {
  via: 'merge';
  pieces: number;
  sequences: number;
  /** Size of the merged output, in MiB. */
  outputMB: number;
  msMedian: number;
  msSamples: number[];
  peakRssMB: number;
}

/** Writes the `PIECES` pieces of an `[STEPS, sequences, FEATURES]` output, with their records, into `directory`; returns their paths. */
async function writePieces(directory: string, sequences: number): Promise<string[]> {
  const paths: string[] = [];
  for (let index = 0; index < PIECES; index++) {
    const shard = { index, count: PIECES };
    const { start, end } = shardRange(shard, sequences);
    const shape = [STEPS, end - start, FEATURES];
    const values = new Float32Array(shape[0] * shape[1] * shape[2]);
    for (let i = 0; i < values.length; i++) values[i] = Math.random() * 2 - 1;
    const piece = path.join(directory, `out-${sequences}.${shardToken(shard)}.npy`);
    fs.writeFileSync(piece, serializeNpy(shape, values));
    // The piece is already in place: its record fingerprints it there.
    const written = { path: piece, tempPath: piece, finish: async () => undefined, rename: () => undefined, abort: () => undefined };
    await commitAll([openShardRecord(written, { array: 'output', shard, batch: sequences, batchAxis: 1, shape, inputs: {}, impl: 'manual', backend: 'cpu', loop: 'auto' })]);
    paths.push(piece);
  }
  return paths;
}

/** Time and peak RSS of `tfjs-rnn merge` over `PIECES` pieces, for each of `SIZES`. */
export async function measureMerge(): Promise<MergeRecord[]> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-rnn-bench-merge-'));
  try {
    const measured = rssFiles(directory);
    const pieces = await Promise.all(SIZES.map((sequences) => writePieces(directory, sequences)));
    const output = path.join(directory, 'merged.npy');
    const samples = SIZES.map((): Array<{ ms: number; peakRssMB: number }> => []);
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      SIZES.forEach((_, index) => {
        fs.rmSync(output, { force: true });
        samples[index].push(measureCommand(['merge', '--output', output, ...pieces[index]], measured));
      });
    }
    return SIZES.map((sequences, index) => ({
      via: 'merge',
      pieces: PIECES,
      sequences,
      outputMB: (STEPS * sequences * FEATURES * 4) / 2 ** 20,
      msMedian: median(samples[index].map((sample) => sample.ms)),
      msSamples: samples[index].map((sample) => sample.ms),
      peakRssMB: median(samples[index].map((sample) => sample.peakRssMB)),
    }));
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

/** The merge measurements, one line each, and whether peak RSS stayed flat from the smaller output to the larger. */
export function formatMerge(records: readonly MergeRecord[]): string {
  const lines = records.map(
    (r) => `  ${r.pieces} pieces into [${STEPS}, ${r.sequences}, ${FEATURES}] (${r.outputMB.toFixed(0)} MB): ${(r.msMedian / 1000).toFixed(2)} s, peak RSS ${r.peakRssMB.toFixed(0)} MB (${r.msSamples.length} runs)`,
  );
  const [small, large] = [records[0], records[records.length - 1]];
  const flat = large.peakRssMB - small.peakRssMB <= FLAT_MEMORY_SHARE * (large.outputMB - small.outputMB);
  const target = `[${flat ? 'met' : 'NOT met'}] memory of tfjs-rnn merge flat: peak RSS grows by ${(large.peakRssMB - small.peakRssMB).toFixed(0)} MB for ${(large.outputMB - small.outputMB).toFixed(0)} MB more output (block ${MERGE_BLOCK_BYTES / 2 ** 20} MiB)`;
  return [`tfjs-rnn merge (time-major output, batch axis 1; wall time including start-up)`, ...lines, target].join('\n');
}
