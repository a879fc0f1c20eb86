import { fdatasync, ftruncateSync } from 'fs';
import { FormatError } from '../errors';
import { PendingWrite, encodeNpyHeader, encodeNpyValues, firstNonFinite, npyItemSize, openPendingFile, shapeSize, systemErrorText } from '../formats';
import { batchGeometry, forEachRun } from './batchRows';
import { extensionOf } from './sequenceFile';

/**
 * Output arrays (`.npy` float32, or `.json`), written a block of batch rows at a time to a temp
 * file in the same directory and renamed over their path at the end (`commitAll`, all outputs
 * or none): a failed or interrupted run never leaves a partial output.
 */

const OUTPUT_EXTENSIONS = ['.npy', '.json'];

/** An array written by rows along its batch axis to a temp file, renamed over its path by `commitAll`. */
export interface ArraySink extends PendingWrite {
  /** Writes `block`, rows `[start, end)` along the batch axis (same shape otherwise), in C order. */
  writeRows(start: number, end: number, block: Float32Array): void;
}

/**
 * Flushes a file's written blocks to disk on libuv's thread pool while the run goes on, one
 * flush at a time, so that the final `fsync` before the rename has little left to wait for.
 * A background flush's error is ignored: the final `fsync` reports the file's state.
 */
function backgroundFlusher(fd: number): { start(): void; settled(): Promise<void> } {
  let pending: Promise<void> | undefined;
  return {
    start() {
      if (pending !== undefined) return;
      pending = new Promise<void>((resolve) => fdatasync(fd, () => resolve())).then(() => {
        pending = undefined;
      });
    },
    settled: () => pending ?? Promise.resolve(),
  };
}

/** An `.npy` float32 file written a block of values at a time, anywhere, to a temp file renamed over its path by `commitAll`. */
export interface NpyWriter extends PendingWrite {
  /** Writes `bytes`, little-endian float32 values, from element `offset` of the array (C order). */
  writeValues(offset: number, bytes: Uint8Array): void;
}

/** An `.npy` float32 file of `shape`: the header for the final shape first, then each block of values at its offset. */
export function createNpyWriter(path: string, shape: number[]): NpyWriter {
  const file = openPendingFile(path);
  const header = encodeNpyHeader(shape);
  const itemSize = npyItemSize('float32');
  const flusher = backgroundFlusher(file.fd);
  try {
    file.write(header, 0);
    ftruncateSync(file.fd, header.length + shapeSize(shape) * itemSize);
  } catch (error) {
    file.abort();
    throw error instanceof FormatError ? error : new FormatError(path, 'a writable file path', systemErrorText(error));
  }
  return {
    path,
    writeValues(offset, bytes) {
      file.write(bytes, header.length + offset * itemSize);
      flusher.start();
    },
    async finish() {
      await flusher.settled();
      await file.finish();
    },
    rename: () => file.rename(),
    abort: () => file.abort(),
  };
}

/** An `.npy` float32 sink: each block of rows written where its rows go. */
function npySink(path: string, shape: number[], batchAxis: number | null): ArraySink {
  const writer = createNpyWriter(path, shape);
  const geometry = batchGeometry(shape, batchAxis);
  return {
    ...writer,
    writeRows(start, end, block) {
      forEachRun(geometry, start, end, (from, to, length) => writer.writeValues(from, encodeNpyValues(block.subarray(to, to + length))));
    },
  };
}

/** `data[offset..]` of `shape` as nested lists, as `ndarray.tolist()` gives it. */
function toNested(data: Float32Array, shape: readonly number[], offset = 0): unknown {
  if (shape.length === 0) return data[offset];
  const [length, ...inner] = shape;
  const stride = shapeSize(inner);
  return Array.from({ length }, (_, i) => toNested(data, inner, offset + i * stride));
}

/** A `.json` sink: nested lists, kept in memory and written to its temp file (created at once) on `finish`. */
function jsonSink(path: string, shape: number[], batchAxis: number | null): ArraySink {
  const file = openPendingFile(path);
  const values = new Float32Array(shapeSize(shape));
  const geometry = batchGeometry(shape, batchAxis);
  return {
    path,
    writeRows(start, end, block) {
      forEachRun(geometry, start, end, (from, to, length) => values.set(block.subarray(to, to + length), from));
    },
    async finish() {
      const bad = firstNonFinite(values);
      if (bad >= 0) throw new FormatError(path, 'finite values (JSON has no NaN or Infinity: write .npy)', `${values[bad]} at element ${bad}`);
      file.write(Buffer.from(JSON.stringify(toNested(values, shape)), 'utf8'), 0);
      await file.finish();
    },
    rename: () => file.rename(),
    abort: () => file.abort(),
  };
}

/** Checks that `path` ends in `.npy` or `.json`, before any work. */
export function checkOutputExtension(path: string): void {
  extensionOf(path, OUTPUT_EXTENSIONS);
}

/** A sink for an array of `shape` at `path` (`.npy` float32, or `.json`), batch rows along `batchAxis`. */
export function createArraySink(path: string, shape: number[], batchAxis: number | null): ArraySink {
  return extensionOf(path, OUTPUT_EXTENSIONS) === '.json' ? jsonSink(path, shape, batchAxis) : npySink(path, shape, batchAxis);
}
