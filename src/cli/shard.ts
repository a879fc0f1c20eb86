import { extname } from 'path';
import { FlagValues, UsageError, optionalString } from './flags';
import { RowRange } from './pipeline';
import { Environment, schedulerShard } from './scheduler';

/**
 * Shards: `--shard i/n` runs batch rows `[floor(i·N/n), floor((i+1)·N/n))` of a file of N
 * sequences, so that n tasks split it and every row is in exactly one shard; `--shard auto`
 * takes i and n from the scheduler running the task (scheduler.ts), and names its outputs
 * after the shard so that the n tasks can write to one directory.
 */

/** Shard `index` of `count` (zero-based). */
export interface Shard {
  index: number;
  count: number;
  /** Under `--shard auto`: the scheduler and the variables the shard was read from. */
  source?: string;
}

const SHARD_SYNTAX = 'i/n with 0 <= i < n (zero-based shard i of n), auto or auto/n (from the scheduler)';

/** `--shard i/n`, `auto` or `auto/n` (reading `env`); undefined when absent. */
export function shardFlag(values: FlagValues, env: Environment = process.env): Shard | undefined {
  const text = optionalString(values, 'shard');
  if (text === undefined) return undefined;
  const auto = /^auto(?:\/(\d+))?$/.exec(text);
  if (auto !== null) {
    const count = auto[1] === undefined ? undefined : Number(auto[1]);
    if (count !== undefined && !(Number.isSafeInteger(count) && count >= 1)) throw new UsageError('--shard', SHARD_SYNTAX, `'${text}'`);
    return schedulerShard(env, count, `--shard ${text}`);
  }
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!(Number.isSafeInteger(count) && count >= 1 && index >= 0 && index < count)) throw new UsageError('--shard', SHARD_SYNTAX, `'${text}'`);
  return { index, count };
}

/** The rows of shard `i/n` of `batchSize` sequences: `[floor(i·N/n), floor((i+1)·N/n))`. */
export function shardRange(shard: Shard | undefined, batchSize: number): RowRange {
  if (shard === undefined) return { start: 0, end: batchSize };
  return { start: Math.floor((shard.index * batchSize) / shard.count), end: Math.floor(((shard.index + 1) * batchSize) / shard.count) };
}

/** `shard 3/16, rows [12, 16)`, and where an automatic shard came from. */
export function describeShard(shard: Shard, range: RowRange): string {
  const rows = `shard ${shard.index}/${shard.count}, rows [${range.start}, ${range.end})`;
  return shard.source === undefined ? rows : `${rows}, from ${shard.source}`;
}

/** `shard-0003-of-0016`: index and count zero-padded to the count's width (at least 4 digits), so that names sort in shard order. */
export function shardToken(shard: Shard): string {
  const width = Math.max(4, String(shard.count).length);
  return `shard-${String(shard.index).padStart(width, '0')}-of-${String(shard.count).padStart(width, '0')}`;
}

/** Stands for the shard's token in an output path. */
export const SHARD_PLACEHOLDER = '{shard}';

/**
 * Where a shard writes the output `flag` names as `path`: with `{shard}` in it, the path with
 * the shard's token there (`out.{shard}.npy` → `out.shard-0003-of-0016.npy`); else under
 * `--shard auto`, the token before the extension (`out.npy` → `out.shard-0003-of-0016.npy`);
 * else `path`. A placeholder without `--shard` is a `UsageError`.
 */
export function shardPath(path: string, shard: Shard | undefined, flag: string): string {
  if (path.includes(SHARD_PLACEHOLDER)) {
    if (shard === undefined) throw new UsageError(flag, `${SHARD_PLACEHOLDER} only with --shard (it stands for the shard)`, `'${path}' without --shard`);
    return path.split(SHARD_PLACEHOLDER).join(shardToken(shard));
  }
  if (shard?.source === undefined) return path;
  const extension = extname(path);
  return `${path.slice(0, path.length - extension.length)}.${shardToken(shard)}${extension}`;
}
