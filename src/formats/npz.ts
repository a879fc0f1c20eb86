import { pipeline } from 'stream/promises';
import { createInflateRaw } from 'zlib';
import { FormatError } from '../errors';
import { crc32 } from './crc32';
import { ByteSource, NPY_DTYPES, bufferSource, readNpyHeader } from './npy';
import { formatBytes } from './regularFile';
import { ZIP_DEFLATED, ZIP_STORED, ZipEntry, checkZipCrc, listZipEntries, openStoredEntry, zipChunks, zipDataOffset } from './zip';

/**
 * NumPy's `.npz`: a zip archive (read by `zip.ts`) with one `.npy` member per array
 * (`np.savez` stores them, `np.savez_compressed` deflates them). A member's bytes must have the
 * size and CRC-32 the directory declares; deflated ones are inflated here, in chunks, never
 * past that size.
 */

/** One array of an archive, located but not read: a zip member and the array's name. */
export interface NpzMember extends ZipEntry {
  /** The array's name: the member's file name without `.npy` (`np.savez(f, x=...)` gives `x`). */
  key: string;
}

/** Largest deflated member inflated (into memory); stored members are read by rows whatever their size. */
export const MAX_INFLATED_BYTES = 2 * 1024 ** 3;
/** A deflated member's `.npy` header is checked within this many bytes before the rest is inflated. */
const NPY_HEAD_BYTES = 64 * 1024;

/** The arrays of an `.npz` archive, in the order of its central directory. */
export function listNpzMembers(file: ByteSource, source: string): NpzMember[] {
  const members: NpzMember[] = [];
  for (const entry of listZipEntries(file, source, 'a zip archive (.npz)')) {
    const key = entry.name.replace(/\.npy$/, '');
    if (members.some((member) => member.key === key)) throw new FormatError(source, 'each array once', `two members for array '${key}' (the second '${entry.name}')`);
    members.push({ key, ...entry });
  }
  return members;
}

/**
 * Checks the `.npy` header at the start of a deflated member against the size the directory
 * declares for it, from its first bytes (`head`): a member whose header and declared size
 * disagree is refused before the rest is inflated.
 */
function checkNpyHead(head: Uint8Array, size: number, where: string): void {
  const start: ByteSource = {
    length: size,
    read(offset, length) {
      if (offset + length > head.length) {
        throw new FormatError(where, `an .npy header within the first ${NPY_HEAD_BYTES} bytes`, `one running to byte ${offset + length}`);
      }
      return head.subarray(offset, offset + length);
    },
  };
  readNpyHeader(start, NPY_DTYPES, where);
}

/**
 * Inflates the deflated member `member` whose data starts at `dataOffset`, in chunks of at most
 * `ZIP_CHUNK_BYTES` read and stopping at the first byte past its declared size; checks its `.npy`
 * header first, and its size and CRC-32 at the end.
 */
async function inflateMember(file: ByteSource, member: NpzMember, dataOffset: number, where: string): Promise<Uint8Array> {
  const size = member.uncompressedSize;
  if (size > MAX_INFLATED_BYTES) {
    throw new FormatError(where, `a deflated member of at most ${formatBytes(MAX_INFLATED_BYTES)}, inflated in memory (np.savez stores larger ones, read by rows)`, `${size} bytes`);
  }
  const headLength = Math.min(NPY_HEAD_BYTES, size);
  let pending: Uint8Array[] = [];
  let inflated: Uint8Array | undefined;
  let total = 0;
  let crc = 0;
  // The first chunks wait in `pending` until the header is checked; then the member's buffer is allocated.
  const startOnceHeadIsIn = (): void => {
    if (inflated !== undefined || total < headLength) return;
    const head = Buffer.concat(pending);
    checkNpyHead(head, size, where);
    inflated = new Uint8Array(size);
    inflated.set(head);
    pending = [];
  };
  const take = (chunk: Uint8Array): void => {
    if (total + chunk.length > size) throw new FormatError(where, `${size} bytes once inflated (as the zip directory and its header say)`, 'more');
    crc = crc32(chunk, crc);
    if (inflated === undefined) pending.push(chunk);
    else inflated.set(chunk, total);
    total += chunk.length;
    startOnceHeadIsIn();
  };
  try {
    await pipeline(zipChunks(file, dataOffset, member.compressedSize), createInflateRaw(), async (chunks: AsyncIterable<Uint8Array>) => {
      for await (const chunk of chunks) take(chunk);
    });
  } catch (error) {
    if (error instanceof FormatError) throw error;
    throw new FormatError(where, 'valid deflate data', (error as Error).message);
  }
  startOnceHeadIsIn();
  if (inflated === undefined || total !== size) {
    throw new FormatError(where, `${size} bytes once inflated (as the zip directory says)`, `${total} bytes`);
  }
  checkZipCrc(member, crc, where);
  return inflated;
}

/**
 * The bytes of one member as a `ByteSource`, checked against the size and CRC-32 the directory
 * declares: a window onto the archive when stored (so a large array is read piece by piece,
 * never whole), or the inflated bytes when deflated (see `inflateMember`).
 */
export async function openNpzMember(file: ByteSource, member: NpzMember, source: string): Promise<ByteSource> {
  const where = `${source}[${member.key}]`;
  if (member.method === ZIP_STORED) return openStoredEntry(file, member, where);
  if (member.method !== ZIP_DEFLATED) {
    throw new FormatError(where, 'a stored (0) or deflated (8) member', `compression method ${member.method}`);
  }
  return bufferSource(await inflateMember(file, member, zipDataOffset(file, member, where), where));
}

/**
 * The member holding array `key`; with no `key`, the only array of the archive. A missing key,
 * or an archive of several arrays and no key, is a `FormatError` listing the keys.
 */
export function findNpzMember(members: NpzMember[], key: string | undefined, source: string): NpzMember {
  const keys = members.map((member) => `'${member.key}'`).join(', ') || 'no arrays';
  if (key === undefined) {
    if (members.length === 1) return members[0];
    throw new FormatError(source, 'one array, or a key naming one', `${members.length} arrays: ${keys}`);
  }
  const member = members.find((candidate) => candidate.key === key.replace(/\.npy$/, ''));
  if (member === undefined) throw new FormatError(source, `an array named '${key}'`, keys);
  return member;
}
