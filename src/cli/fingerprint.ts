import { createHash } from 'crypto';
import { openFile } from '../formats/regularFile';

/**
 * A file's fingerprint, to tell whether two tasks of a sharded run read the same file: its
 * size and the SHA-256 of its bytes, all of them up to 16 MiB, otherwise 64 blocks of 64 KiB
 * spread evenly from its first byte to its last (4 MiB read, whatever the size). Copies of a
 * file have the same fingerprint wherever they are; another file of the same size almost
 * never has, though a sampled fingerprint cannot see a change between its blocks.
 */

export interface Fingerprint {
  bytes: number;
  sha256: string;
  /** Whether the hash covers sampled blocks rather than every byte. */
  sampled: boolean;
}

/** Files up to this size are hashed whole. */
const WHOLE_FILE_BYTES = 16 * 2 ** 20;
const SAMPLE_BLOCKS = 64;
const SAMPLE_BLOCK_BYTES = 64 * 2 ** 10;
/** Bytes read at once when hashing a whole file. */
const READ_BYTES = 2 ** 20;

/** `[offset, length]` of each block hashed from a file of `bytes`. */
function blocksOf(bytes: number): Array<[number, number]> {
  if (bytes <= WHOLE_FILE_BYTES) {
    return Array.from({ length: Math.ceil(bytes / READ_BYTES) }, (_, i) => [i * READ_BYTES, Math.min(READ_BYTES, bytes - i * READ_BYTES)]);
  }
  const last = bytes - SAMPLE_BLOCK_BYTES;
  return Array.from({ length: SAMPLE_BLOCKS }, (_, i) => [Math.floor((i * last) / (SAMPLE_BLOCKS - 1)), SAMPLE_BLOCK_BYTES]);
}

/** The fingerprint of the file at `path`; an unreadable file is a `FormatError` naming it. */
export function fingerprintFile(path: string): Fingerprint {
  const file = openFile(path);
  try {
    const hash = createHash('sha256').update(`${file.length}\n`);
    blocksOf(file.length).forEach(([offset, length]) => hash.update(file.read(offset, length)));
    return { bytes: file.length, sha256: hash.digest('hex'), sampled: file.length > WHOLE_FILE_BYTES };
  } finally {
    file.close();
  }
}
