import { fdatasync, ftruncateSync, readSync } from 'fs';
import { FormatError } from '../errors';
import { PendingWrite, encodeNpyHeader, encodeNpyValues, npyItemSize, openPendingFile, shapeSize, systemErrorText } from '../formats';
import { nestedJsonPieces } from '../formats/nestedJson';
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
  /** Its temp file's descriptor, open for reading too. */
  readonly fd: number;
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
    tempPath: file.tempPath,
    fd: file.fd,
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

/**
 * A `.json` sink: nested lists as `ndarray.tolist()` gives them. Rows land as float32 values in
 * a scratch temp file (in any order); `finish` reads it back in order and writes the JSON text
 * a piece at a time (`nestedJsonPieces`), so that memory stays bounded whatever the array's size.
 */
function jsonSink(path: string, shape: number[], batchAxis: number | null): ArraySink {
  const values = createNpyWriter(path, shape);
  const valuesOffset = encodeNpyHeader(shape).length;
  const itemSize = npyItemSize('float32');
  let file: ReturnType<typeof openPendingFile>;
  try {
    file = openPendingFile(path);
  } catch (error) {
    values.abort();
    throw error;
  }
  const geometry = batchGeometry(shape, batchAxis);
  const read = (offset: number, count: number): Float32Array => {
    const bytes = Buffer.alloc(count * itemSize);
    try {
      for (let done = 0; done < bytes.length; ) {
        const got = readSync(values.fd, bytes, done, bytes.length - done, valuesOffset + offset * itemSize + done);
        if (got === 0) throw new Error('EIO: the scratch file ended early');
        done += got;
      }
    } catch (error) {
      throw new FormatError(path, 'a writable file path', systemErrorText(error));
    }
    return new Float32Array(bytes.buffer, bytes.byteOffset, count);
  };
  const nonFinite = (index: number, value: number) => new FormatError(path, 'finite values (JSON has no NaN or Infinity: write .npy)', `${value} at element ${index}`);
  return {
    path,
    tempPath: file.tempPath,
    writeRows(start, end, block) {
      forEachRun(geometry, start, end, (from, to, length) => values.writeValues(from, encodeNpyValues(block.subarray(to, to + length))));
    },
    async finish() {
      let position = 0;
      for (const piece of nestedJsonPieces(shape, read, nonFinite)) {
        const bytes = Buffer.from(piece, 'utf8');
        file.write(bytes, position);
        position += bytes.length;
      }
      values.abort();
      await file.finish();
    },
    rename: () => file.rename(),
    abort: () => {
      values.abort();
      file.abort();
    },
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
