import { closeSync, fdatasync, fsyncSync, ftruncateSync, openSync, renameSync, unlinkSync, writeSync } from 'fs';
import { FormatError } from '../errors';
import { encodeNpyHeader, encodeNpyValues, firstNonFinite, npyItemSize, shapeSize, tempPathFor, writeFileAtomic } from '../formats';
import { batchGeometry, forEachRun } from './batchRows';
import { extensionOf } from './sequenceFile';

/**
 * Output arrays (`.npy` float32, or `.json`), written a block of batch rows at a time to a temp
 * file in the same directory and renamed over their path at the end: a failed or interrupted
 * run never leaves a partial output.
 */

const OUTPUT_EXTENSIONS = ['.npy', '.json'];

/** An array written by rows along its batch axis, to a temp file renamed over its path on `commit`. */
export interface ArraySink {
  readonly path: string;
  /** Writes `block`, rows `[start, end)` along the batch axis (same shape otherwise), in C order. */
  writeRows(start: number, end: number, block: Float32Array): void;
  /** Moves the finished file into place. */
  commit(): Promise<void>;
  /** Removes what was written; the path is left as it was. */
  abort(): void;
}

/** Sinks created and neither committed nor aborted, for `abortOpenSinks`. */
const openSinks = new Set<ArraySink>();

/** Aborts every sink still open (on SIGINT, or an error), so no partial output remains. */
export function abortOpenSinks(): void {
  openSinks.forEach((sink) => sink.abort());
}

/**
 * Flushes a file's written blocks to disk on libuv's thread pool while the run goes on, one
 * flush at a time, so that the final `fsync` before the rename has little left to wait for.
 * A background flush's error is ignored: the final `fsync` reports the file's state.
 */
function backgroundFlusher(fd: () => number): { start(): void; settled(): Promise<void> } {
  let pending: Promise<void> | undefined;
  return {
    start() {
      if (pending !== undefined) return;
      pending = new Promise<void>((resolve) => fdatasync(fd(), () => resolve())).then(() => {
        pending = undefined;
      });
    },
    settled: () => pending ?? Promise.resolve(),
  };
}

/** An `.npy` float32 sink: the header for the final shape first, then each block at its rows' offsets. */
function npySink(path: string, shape: number[], batchAxis: number | null): ArraySink {
  const tempPath = tempPathFor(path);
  let fd: number;
  try {
    fd = openSync(tempPath, 'wx');
  } catch (error) {
    throw new FormatError(path, 'a writable path', (error as Error).message);
  }
  const header = encodeNpyHeader(shape);
  const itemSize = npyItemSize('float32');
  const geometry = batchGeometry(shape, batchAxis);
  const flusher = backgroundFlusher(() => fd);
  const sink: ArraySink = {
    path,
    writeRows(start, end, block) {
      forEachRun(geometry, start, end, (from, to, length) => {
        const bytes = encodeNpyValues(block.subarray(to, to + length));
        writeSync(fd, bytes, 0, bytes.length, header.length + from * itemSize);
      });
      flusher.start();
    },
    async commit() {
      openSinks.delete(sink);
      try {
        await flusher.settled();
        fsyncSync(fd);
        closeSync(fd);
        renameSync(tempPath, path);
      } catch (error) {
        unlinkQuietly(tempPath);
        throw new FormatError(path, 'a writable path', (error as Error).message);
      }
    },
    abort() {
      openSinks.delete(sink);
      try {
        closeSync(fd);
      } catch {
        // Already closed by a failed commit.
      }
      unlinkQuietly(tempPath);
    },
  };
  try {
    writeSync(fd, header, 0, header.length, 0);
    ftruncateSync(fd, header.length + shapeSize(shape) * itemSize);
  } catch (error) {
    sink.abort();
    throw new FormatError(path, 'a writable path', (error as Error).message);
  }
  openSinks.add(sink);
  return sink;
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Nothing to remove.
  }
}

/** `data[offset..]` of `shape` as nested lists, as `ndarray.tolist()` gives it. */
function toNested(data: Float32Array, shape: readonly number[], offset = 0): unknown {
  if (shape.length === 0) return data[offset];
  const [length, ...inner] = shape;
  const stride = shapeSize(inner);
  return Array.from({ length }, (_, i) => toNested(data, inner, offset + i * stride));
}

/** A `.json` sink: nested lists, kept in memory and written atomically on `commit`. */
function jsonSink(path: string, shape: number[], batchAxis: number | null): ArraySink {
  const values = new Float32Array(shapeSize(shape));
  const geometry = batchGeometry(shape, batchAxis);
  const sink: ArraySink = {
    path,
    writeRows(start, end, block) {
      forEachRun(geometry, start, end, (from, to, length) => values.set(block.subarray(to, to + length), from));
    },
    async commit() {
      openSinks.delete(sink);
      const bad = firstNonFinite(values);
      if (bad >= 0) throw new FormatError(path, 'finite values (JSON has no NaN or Infinity: write .npy)', `${values[bad]} at element ${bad}`);
      await writeFileAtomic(path, JSON.stringify(toNested(values, shape)));
    },
    abort: () => openSinks.delete(sink),
  };
  openSinks.add(sink);
  return sink;
}

/** Checks that `path` ends in `.npy` or `.json`, before any work. */
export function checkOutputPath(path: string): void {
  extensionOf(path, OUTPUT_EXTENSIONS);
}

/** A sink for an array of `shape` at `path` (`.npy` float32, or `.json`), batch rows along `batchAxis`. */
export function createArraySink(path: string, shape: number[], batchAxis: number | null): ArraySink {
  return extensionOf(path, OUTPUT_EXTENSIONS) === '.json' ? jsonSink(path, shape, batchAxis) : npySink(path, shape, batchAxis);
}

