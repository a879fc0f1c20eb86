import { Stats, closeSync, constants, fstatSync, openSync, readSync } from 'fs';
import { FormatError } from '../errors';
import { ByteSource } from './npy';

/**
 * Files are read only when they are regular files, and read whole only up to a cap: a
 * directory, a FIFO or a device (`/dev/zero` never ends) is a `FormatError` naming the path.
 */

/** What a file that is not a regular one is, for messages. */
function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** `bytes` as `1 MiB (1048576 bytes)`. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB'];
  const unit = Math.min(Math.floor(Math.log2(Math.max(bytes, 1)) / 10), units.length - 1);
  return unit === 0 ? `${bytes} bytes` : `${+(bytes / 1024 ** unit).toFixed(2)} ${units[unit]} (${bytes} bytes)`;
}

/** The error for a file that cannot be read, naming it: `x.npy: expected a readable file, got no such file`. */
export function unreadable(path: string, error: unknown): FormatError {
  const code = (error as NodeJS.ErrnoException).code;
  return new FormatError(path, 'a readable file', code === 'ENOENT' ? 'no such file' : (error as Error).message);
}

/**
 * Opens `path` for reading and returns its descriptor and size; the caller closes it. Opened
 * without blocking, so that a FIFO with no writer is rejected rather than waited on.
 */
export function openRegularFile(path: string): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw unreadable(path, error);
  }
  const stats = fstatSync(fd);
  if (!stats.isFile()) {
    closeSync(fd);
    throw new FormatError(path, 'a regular file', kindOf(stats));
  }
  return { fd, size: stats.size };
}

/** A file open for random access: `readInto` fills `target` from byte `offset` (no allocation); `close` releases it. */
export interface OpenFile extends ByteSource {
  readInto(target: Uint8Array, offset: number): void;
  close(): void;
}

/** Random access to the regular file `path` through one descriptor (a large file is never read whole). */
export function openFile(path: string): OpenFile {
  const { fd, size } = openRegularFile(path);
  const readInto = (target: Uint8Array, offset: number): void => {
    for (let done = 0; done < target.length; ) {
      const read = readSync(fd, target, done, target.length - done, offset + done);
      if (read === 0) throw new FormatError(path, `${target.length} bytes at byte ${offset}`, 'the end of the file');
      done += read;
    }
  };
  return {
    length: size,
    read(offset, count) {
      const bytes = new Uint8Array(count);
      readInto(bytes, offset);
      return bytes;
    },
    readInto,
    close: () => closeSync(fd),
  };
}

/**
 * The bytes of the regular file `path`, at most `maxBytes` of them. Reads to the end of the
 * file, not just its size on disk (files under /proc report 0), and stops at the first byte
 * past the cap; any problem is a `FormatError` naming the path.
 */
export function readRegularFile(path: string, maxBytes: number): Buffer {
  const { fd, size } = openRegularFile(path);
  const tooLarge = (actual: string) => new FormatError(path, `a file of at most ${formatBytes(maxBytes)}`, actual);
  try {
    if (size > maxBytes) throw tooLarge(`${size} bytes`);
    // One byte more than the size, so that the read which finds the end needs no new buffer.
    let buffer = Buffer.allocUnsafe(size + 1);
    let total = 0;
    for (;;) {
      if (total === buffer.length) {
        if (total > maxBytes) throw tooLarge('more');
        buffer = Buffer.concat([buffer, Buffer.allocUnsafe(Math.min(buffer.length, maxBytes + 1 - total))]);
      }
      let read: number;
      try {
        read = readSync(fd, buffer, total, buffer.length - total, total);
      } catch (error) {
        throw unreadable(path, error);
      }
      if (read === 0) return buffer.subarray(0, total);
      total += read;
    }
  } finally {
    closeSync(fd);
  }
}

/** Cap on binary weights read whole (safetensors, tfjs `weights.bin`): 2 GiB, 512 M float32 values. */
export const MAX_WEIGHTS_BYTES = 2 * 1024 ** 3;

/** Cap on JSON read whole (state dicts, arrays, tfjs `model.json`); V8's strings end at 512 MiB. */
export const MAX_JSON_BYTES = 256 * 1024 ** 2;
