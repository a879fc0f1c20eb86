import { BACKEND_NAMES, BackendName } from '../backend';
import { FormatError } from '../errors';
import { PendingWrite, openPendingFile } from '../formats';
import { isPlainObject } from '../formats/isPlainObject';
import { readRegularFile } from '../formats/regularFile';
import { STEP_LOOPS, StepLoop } from '../manual/plan';
import { IMPLEMENTATIONS, Implementation } from './chunkRunner';
import { Fingerprint, fingerprintFile } from './fingerprint';
import { FlagValues, optionalString } from './flags';
import { NamedFile } from './outputPaths';

/**
 * The record a sharded run writes beside each output, the piece (`out.shard-0003-of-0016.npy`
 * → `out.shard-0003-of-0016.npy.json`), from which `merge` checks that pieces are the complete
 * set of one run. NumPy's `.npy` header holds only `descr`, `fortran_order` and `shape`, so the
 * record is a file of its own:
 *
 *   {
 *     "tfjs-rnn shard record": 2,            format version
 *     "array": "output",                     output, h_n or c_n
 *     "impl": "manual",                      how the run computed it: --impl,
 *     "backend": "wasm",                       the backend,
 *     "loop": "auto",                          and --loop
 *     "shard": { "index": 3, "count": 16 },
 *     "batch": 64,                           N, the sequences of the whole input
 *     "batchAxis": 1,                        the piece's batch axis (null: one unbatched sequence)
 *     "shape": [50, 4, 32],                  the piece's shape: the shard's rows on the batch axis
 *     "inputs": { "--input": { "bytes": 102528, "sha256": "…", "sampled": false }, … },
 *     "piece": { "bytes": 25728, "sha256": "…", "sampled": false }
 *   }
 *
 * `inputs` fingerprints every file the run read (fingerprint.ts), with the `key` of an `.npz`
 * array: pieces of one run read the same files. `piece` fingerprints the piece itself, so that
 * a piece swapped with another, or changed, is not merged. Records are read like configs:
 * regular files of at most `MAX_RECORD_BYTES`.
 */

/** Cap on a shard record's size: a record is a few hundred bytes. */
export const MAX_RECORD_BYTES = 64 * 1024;

/** The arrays a run writes, as PyTorch names them. */
export const SHARD_ARRAYS = ['output', 'h_n', 'c_n'] as const;
export type ShardArray = (typeof SHARD_ARRAYS)[number];

/** What a run read from one input flag's file. */
export interface InputIdentity extends Fingerprint {
  /** The array of an `.npz` (`--input-key`). */
  key?: string;
}

/** What a piece holds, and of which run. */
export interface ShardRecord {
  array: ShardArray;
  shard: { index: number; count: number };
  /** N, the sequences of the whole input. */
  batch: number;
  /** The piece's batch axis; null for an unbatched input (one sequence, one shard). */
  batchAxis: number | null;
  /** The piece's shape: the shard's rows along the batch axis. */
  shape: number[];
  /** By flag (`--input`), the files the run read. */
  inputs: Record<string, InputIdentity>;
  /** How the run computed the piece: `--impl`, the backend and `--loop`. */
  impl: Implementation;
  backend: BackendName;
  loop: StepLoop;
  /** The piece's own bytes. */
  piece: Fingerprint;
}

const VERSION_KEY = 'tfjs-rnn shard record';
const VERSION = 2;

/** The record of the piece at `piece`. */
export function shardRecordPath(piece: string): string {
  return `${piece}.json`;
}

/** The identity of each input file of the command line (`--input-key` and such included). */
export function describeInputs(inputs: NamedFile[], values: FlagValues): Record<string, InputIdentity> {
  return Object.fromEntries(
    inputs.map(({ name, path }) => {
      const key = optionalString(values, `${name.slice(2)}-key`);
      return [name, key === undefined ? fingerprintFile(path) : { ...fingerprintFile(path), key }];
    }),
  );
}

/**
 * The record of `piece` (a field a line), to be committed with it by `commitAll` after it:
 * written on `finish`, once the piece's temp file is finished, so as to fingerprint its bytes.
 */
export function openShardRecord(piece: PendingWrite, record: Omit<ShardRecord, 'piece'>): PendingWrite {
  const file = openPendingFile(shardRecordPath(piece.path));
  return {
    path: file.path,
    tempPath: file.tempPath,
    async finish() {
      const fields = Object.entries({ [VERSION_KEY]: VERSION, ...record, piece: fingerprintFile(piece.tempPath) });
      const lines = fields.map(([key, value]) => `  ${JSON.stringify(key)}: ${JSON.stringify(value)}`);
      file.write(Buffer.from(`{\n${lines.join(',\n')}\n}\n`, 'utf8'), 0);
      await file.finish();
    },
    rename: () => file.rename(),
    abort: () => file.abort(),
  };
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** Each field of a record: what it must be, and the check (given the whole record). */
const FIELDS: Record<keyof ShardRecord, [string, (value: unknown, record: Record<string, unknown>) => boolean]> = {
  array: [`one of ${SHARD_ARRAYS.join(', ')}`, (value) => (SHARD_ARRAYS as readonly unknown[]).includes(value)],
  shard: ['{"index": i, "count": n} with 0 <= i < n', (value) => isPlainObject(value) && isCount(value.index) && isCount(value.count) && value.index < value.count],
  batch: ['a positive integer', (value) => isCount(value) && value >= 1],
  shape: ['a list of non-negative integers', (value) => Array.isArray(value) && value.every(isCount)],
  batchAxis: [
    'an axis of shape, or null for one unbatched sequence in one shard',
    (value, record) => (value === null ? record.batch === 1 && isPlainObject(record.shard) && record.shard.count === 1 : isCount(value) && value < (record.shape as unknown[]).length),
  ],
  inputs: ['an object of file fingerprints by flag', (value) => isPlainObject(value) && Object.values(value).every(isPlainObject)],
  impl: [`one of ${IMPLEMENTATIONS.join(', ')}`, (value) => (IMPLEMENTATIONS as readonly unknown[]).includes(value)],
  backend: [`one of ${BACKEND_NAMES.join(', ')}`, (value) => (BACKEND_NAMES as readonly unknown[]).includes(value)],
  loop: [`one of ${STEP_LOOPS.join(', ')}`, (value) => (STEP_LOOPS as readonly unknown[]).includes(value)],
  piece: ['the fingerprint of the piece', (value) => isPlainObject(value) && isCount(value.bytes) && typeof value.sha256 === 'string' && typeof value.sampled === 'boolean'],
};

/** Reads and checks the record of `piece`; a missing or malformed one is a `FormatError` naming it. */
export function readShardRecord(piece: string): ShardRecord {
  const path = shardRecordPath(piece);
  const expected = `the shard record tfjs-rnn run --shard writes beside ${piece}`;
  let text: string;
  try {
    text = readRegularFile(path, MAX_RECORD_BYTES).toString('utf8');
  } catch (error) {
    if (error instanceof FormatError && error.actual === 'no such file') throw new FormatError(path, expected, 'no such file');
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new FormatError(path, expected, (error as Error).message);
  }
  if (!isPlainObject(parsed) || parsed[VERSION_KEY] !== VERSION) {
    throw new FormatError(path, `a shard record ({"${VERSION_KEY}": ${VERSION}, …})`, isPlainObject(parsed) ? `"${VERSION_KEY}": ${JSON.stringify(parsed[VERSION_KEY]) ?? 'nothing'}` : 'another JSON value');
  }
  for (const [field, [expected, check]] of Object.entries(FIELDS)) {
    if (!check(parsed[field], parsed)) throw new FormatError(`${path}: ${field}`, expected, JSON.stringify(parsed[field]) ?? 'nothing');
  }
  return parsed as unknown as ShardRecord;
}
