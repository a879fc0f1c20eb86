import { basename, dirname, join } from 'path';
import { ArgumentError, FormatError, formatShape } from '../errors';
import { NpyHeader, readNpyHeader } from '../formats';
import { OpenFile, openFile } from '../formats/regularFile';
import { withBatch } from './batchRows';
import { Fingerprint, fingerprintFile } from './fingerprint';
import { extensionOf } from './sequenceFile';
import { shardRange, shardToken } from './shard';
import { InputIdentity, ShardArray, ShardRecord, readShardRecord, shardRecordPath } from './shardRecord';

/**
 * The pieces a sharded run wrote (each an `.npy` float32 file and its shard record), and the
 * checks that make them the complete set of one run before `merge` concatenates them.
 */

/** A piece: its file open, its `.npy` header, and its record. */
export interface Piece {
  path: string;
  file: OpenFile;
  header: NpyHeader;
  record: ShardRecord;
}

/** `1024 bytes, sha256 0123456789abcdef…`: a fingerprint for messages. */
function describeFingerprint({ bytes, sha256, sampled }: Fingerprint): string {
  return `${bytes} bytes, sha256 ${sha256.slice(0, 16)}…${sampled ? ' (sampled)' : ''}`;
}

/**
 * Opens the piece at `path`: an `.npy` float32 file with its shard record, of the shape the
 * record says, and the very bytes it fingerprints (not another piece put in its place).
 */
export function openPiece(path: string): Piece {
  extensionOf(path, ['.npy']);
  const file = openFile(path);
  try {
    const header = readNpyHeader(file, ['float32'], path);
    const record = readShardRecord(path);
    if (formatShape(header.shape) !== formatShape(record.shape)) {
      throw new FormatError(path, `shape ${formatShape(record.shape)}, as its record ${shardRecordPath(path)} says`, formatShape(header.shape));
    }
    const bytes = fingerprintFile(path);
    if (JSON.stringify(bytes) !== JSON.stringify({ bytes: record.piece.bytes, sha256: record.piece.sha256, sampled: record.piece.sampled })) {
      const described = `the piece its record ${shardRecordPath(path)} describes (${record.array} shard ${record.shard.index} of ${record.shard.count}): ${describeFingerprint(record.piece)}`;
      throw new FormatError(path, described, `${describeFingerprint(bytes)} (another file, or changed since its run)`);
    }
    return { path, file, header, record };
  } catch (error) {
    file.close();
    throw error;
  }
}

function describeInput(input: InputIdentity | undefined): string {
  if (input === undefined) return 'none';
  return `${describeFingerprint(input)}${input.key === undefined ? '' : `, key '${input.key}'`}`;
}

/** `--impl manual, backend wasm, --loop auto`: how a piece was computed. */
function describeComputation({ impl, backend, loop }: ShardRecord): string {
  return `--impl ${impl}, backend ${backend}, --loop ${loop}`;
}

/**
 * Checks that every piece comes from the run of the first: same shard count, N, input files,
 * and computed the same way (implementation, backend, step loop), so that the merged array is
 * the one a single run gives.
 */
export function checkSameRun(pieces: Piece[]): void {
  const [first, ...others] = pieces;
  const { shard, batch, inputs } = first.record;
  for (const { path, record } of others) {
    if (describeComputation(record) !== describeComputation(first.record)) {
      throw new ArgumentError(path, `a piece computed as ${first.path} (one run): ${describeComputation(first.record)}`, describeComputation(record));
    }
    if (record.shard.count !== shard.count) {
      throw new ArgumentError(path, `a shard of ${shard.count}, as ${first.path} (one run)`, `shard ${record.shard.index} of ${record.shard.count}`);
    }
    if (record.batch !== batch) throw new ArgumentError(path, `a shard of ${batch} sequences, as ${first.path} (one run)`, `${record.batch}`);
    for (const flag of new Set([...Object.keys(inputs), ...Object.keys(record.inputs)])) {
      if (JSON.stringify(record.inputs[flag]) !== JSON.stringify(inputs[flag])) {
        throw new ArgumentError(path, `the ${flag} of ${first.path} (one run): ${describeInput(inputs[flag])}`, describeInput(record.inputs[flag]));
      }
    }
  }
}

/** The pieces of one array in shard order, and the shape and batch axis of their concatenation. */
export interface PieceSet {
  array: ShardArray;
  pieces: Piece[];
  shape: number[];
  batchAxis: number | null;
}

/** The name shard `index` would have, following `piece`'s name, or a description when its name does not carry its shard. */
function nameOfShard(piece: Piece, index: number): string {
  const { array, shard } = piece.record;
  const name = basename(piece.path);
  const token = shardToken(shard);
  return name.includes(token) ? join(dirname(piece.path), name.replace(token, shardToken({ index, count: shard.count }))) : `${array} shard ${index}`;
}

/**
 * Checks that `pieces` (of one array, from one run: `checkSameRun`) are every shard once, on
 * one batch axis, each of its rows' shape, and returns them in shard order. A duplicate names
 * both pieces; a missing shard is named as its file would be.
 */
export function checkPieceSet(pieces: Piece[]): PieceSet {
  const [first] = pieces;
  const { array, shard, batch, batchAxis } = first.record;
  const byIndex: Piece[] = [];
  for (const piece of pieces) {
    const { index } = piece.record.shard;
    const other = byIndex[index];
    if (other !== undefined) throw new ArgumentError(piece.path, 'one piece per shard', `shard ${index} of ${shard.count} again, as ${other.path}`);
    if (piece.record.batchAxis !== batchAxis) throw new ArgumentError(piece.path, `batch axis ${batchAxis}, as ${first.path}`, `${piece.record.batchAxis}`);
    byIndex[index] = piece;
  }
  const missing = Array.from({ length: shard.count }, (_, index) => index).filter((index) => byIndex[index] === undefined);
  if (missing.length > 0) {
    const others = missing.length === 1 ? '' : ` (nor for shards ${missing.slice(1).join(', ')})`;
    throw new ArgumentError(nameOfShard(first, missing[0]), `the piece of ${array} shard ${missing[0]} of ${shard.count} among the pieces`, `none${others}`);
  }
  for (const piece of byIndex) {
    const range = shardRange(piece.record.shard, batch);
    const expected = withBatch(first.record.shape, batchAxis, range.end - range.start);
    if (formatShape(piece.record.shape) !== formatShape(expected)) {
      const rows = `shard ${piece.record.shard.index} of ${shard.count}: rows [${range.start}, ${range.end}) of ${batch}`;
      throw new ArgumentError(piece.path, `shape ${formatShape(expected)} (${rows})`, formatShape(piece.record.shape));
    }
  }
  return { array, pieces: byIndex, shape: withBatch(first.record.shape, batchAxis, batch), batchAxis };
}
