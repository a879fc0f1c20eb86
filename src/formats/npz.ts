import { pipeline } from 'stream/promises';
import { createInflateRaw } from 'zlib';
import { FormatError } from '../errors';
import { crc32 } from './crc32';
import { ByteSource, NPY_DTYPES, bufferSource, readNpyHeader } from './npy';
import { formatBytes } from './regularFile';

/**
 * NumPy's `.npz`: a zip archive with one `.npy` member per array (`np.savez` stores them,
 * `np.savez_compressed` deflates them). Members are found through the central directory at
 * the end of the archive, as every zip reader does; zip64 sizes and offsets are read too.
 * This is the one zip reader: a member's bytes must have the size and CRC-32 the directory
 * declares, and deflated ones are inflated in chunks, never past that size.
 */

/** One array of an archive, located but not read. */
export interface NpzMember {
  /** The array's name: the member's file name without `.npy` (`np.savez(f, x=...)` gives `x`). */
  key: string;
  /** 0 stored, 8 deflated. */
  method: number;
  /** CRC-32 of the uncompressed bytes. */
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

/** Largest deflated member inflated (into memory); stored members are read by rows whatever their size. */
export const MAX_INFLATED_BYTES = 2 * 1024 ** 3;
/** Bytes read from the archive at a time to check a CRC or to feed the inflater. */
const CHUNK_BYTES = 1024 ** 2;
/** A deflated member's `.npy` header is checked within this many bytes before the rest is inflated. */
const NPY_HEAD_BYTES = 64 * 1024;

const END_OF_DIRECTORY = { signature: 0x06054b50, bytes: 22 };
const ZIP64_LOCATOR = { signature: 0x07064b50, bytes: 20 };
const ZIP64_END_OF_DIRECTORY = { signature: 0x06064b50, bytes: 56 };
const DIRECTORY_ENTRY = { signature: 0x02014b50, bytes: 46 };
const LOCAL_HEADER = { signature: 0x04034b50, bytes: 30 };
const MAX_COMMENT_BYTES = 0xffff;
const ZIP64_EXTRA_ID = 0x0001;
/** A 32-bit field holding this says the value is in the zip64 extra field. */
const ZIP64_MARKER = 0xffffffff;
const STORED = 0;
const DEFLATED = 8;
const ENCRYPTED_FLAG = 1;

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** `length` bytes at `offset`, or a `FormatError` when they run past the end of the archive. */
function readWithin(file: ByteSource, offset: number, length: number, what: string, source: string): Uint8Array {
  if (offset < 0 || offset + length > file.length) {
    throw new FormatError(source, `${what} at bytes ${offset}..${offset + length} within the file`, `a file of ${file.length} bytes`);
  }
  return file.read(offset, length);
}

/** Where the central directory is and how many entries it has, from the end-of-directory records. */
function findDirectory(file: ByteSource, source: string): { offset: number; size: number; entries: number } {
  const tailLength = Math.min(file.length, END_OF_DIRECTORY.bytes + MAX_COMMENT_BYTES);
  const tail = file.read(file.length - tailLength, tailLength);
  const view = viewOf(tail);
  let end = -1;
  for (let i = tail.length - END_OF_DIRECTORY.bytes; i >= 0 && end < 0; i--) {
    if (view.getUint32(i, true) === END_OF_DIRECTORY.signature) end = i;
  }
  if (end < 0) throw new FormatError(source, 'a zip archive (.npz) with an end-of-central-directory record', 'none');
  const directory = {
    entries: view.getUint16(end + 10, true),
    size: view.getUint32(end + 12, true),
    offset: view.getUint32(end + 16, true),
  };
  const locatorAt = file.length - tailLength + end - ZIP64_LOCATOR.bytes;
  if (directory.offset !== ZIP64_MARKER || locatorAt < 0) return directory;
  const locator = viewOf(readWithin(file, locatorAt, ZIP64_LOCATOR.bytes, 'the zip64 locator', source));
  if (locator.getUint32(0, true) !== ZIP64_LOCATOR.signature) throw new FormatError(source, 'a zip64 end-of-directory locator', 'none');
  const zip64At = Number(locator.getBigUint64(8, true));
  const zip64 = viewOf(readWithin(file, zip64At, ZIP64_END_OF_DIRECTORY.bytes, 'the zip64 end of directory', source));
  if (zip64.getUint32(0, true) !== ZIP64_END_OF_DIRECTORY.signature) {
    throw new FormatError(source, `a zip64 end-of-directory record at byte ${zip64At}`, 'none');
  }
  return {
    entries: Number(zip64.getBigUint64(32, true)),
    size: Number(zip64.getBigUint64(40, true)),
    offset: Number(zip64.getBigUint64(48, true)),
  };
}

/** Sizes and offset of one directory entry, taking 64-bit values from its zip64 extra field where the 32-bit ones are maxed out. */
function entrySizes(view: DataView, at: number, extra: DataView): Pick<NpzMember, 'compressedSize' | 'uncompressedSize' | 'localHeaderOffset'> {
  const fields = [view.getUint32(at + 24, true), view.getUint32(at + 20, true), view.getUint32(at + 42, true)];
  for (let pos = 0; pos + 4 <= extra.byteLength; pos += 4 + extra.getUint16(pos + 2, true)) {
    if (extra.getUint16(pos, true) !== ZIP64_EXTRA_ID) continue;
    let next = pos + 4;
    fields.forEach((value, i) => {
      if (value === ZIP64_MARKER && next + 8 <= extra.byteLength) {
        fields[i] = Number(extra.getBigUint64(next, true));
        next += 8;
      }
    });
  }
  const [uncompressedSize, compressedSize, localHeaderOffset] = fields;
  return { uncompressedSize, compressedSize, localHeaderOffset };
}

/** The arrays of an `.npz` archive, in the order of its central directory. */
export function listNpzMembers(file: ByteSource, source: string): NpzMember[] {
  const directory = findDirectory(file, source);
  const bytes = readWithin(file, directory.offset, directory.size, 'the central directory', source);
  const view = viewOf(bytes);
  const members: NpzMember[] = [];
  let at = 0;
  for (let i = 0; i < directory.entries; i++) {
    if (at + DIRECTORY_ENTRY.bytes > bytes.length || view.getUint32(at, true) !== DIRECTORY_ENTRY.signature) {
      throw new FormatError(source, `${directory.entries} central directory entries`, `a corrupt entry ${i}`);
    }
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const nameStart = at + DIRECTORY_ENTRY.bytes;
    const name = new TextDecoder().decode(bytes.subarray(nameStart, nameStart + nameLength));
    const extra = viewOf(bytes.subarray(nameStart + nameLength, nameStart + nameLength + extraLength));
    if (view.getUint16(at + 8, true) & ENCRYPTED_FLAG) throw new FormatError(source, `an unencrypted member '${name}'`, 'an encrypted one');
    const key = name.replace(/\.npy$/, '');
    if (members.some((member) => member.key === key)) throw new FormatError(source, 'each array once', `two members named '${name}'`);
    members.push({
      key,
      method: view.getUint16(at + 10, true),
      crc32: view.getUint32(at + 16, true),
      ...entrySizes(view, at, extra),
    });
    at = nameStart + nameLength + extraLength + commentLength;
  }
  return members;
}

/** The `length` bytes of `file` from `offset`, in pieces of at most `CHUNK_BYTES`. */
function* chunksOf(file: ByteSource, offset: number, length: number): Generator<Uint8Array> {
  for (let at = 0; at < length; at += CHUNK_BYTES) yield file.read(offset + at, Math.min(CHUNK_BYTES, length - at));
}

/** Throws unless `actual`, the CRC-32 of a member's bytes, is the one the directory declares. */
function checkCrc(member: NpzMember, actual: number, where: string): void {
  if (actual !== member.crc32) {
    const hex = (crc: number) => `0x${crc.toString(16).padStart(8, '0')}`;
    throw new FormatError(where, `bytes whose CRC-32 is ${hex(member.crc32)} (as the zip directory says)`, `CRC-32 ${hex(actual)} (a corrupt member)`);
  }
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
 * `CHUNK_BYTES` read and stopping at the first byte past its declared size; checks its `.npy`
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
    await pipeline(chunksOf(file, dataOffset, member.compressedSize), createInflateRaw(), async (chunks: AsyncIterable<Uint8Array>) => {
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
  checkCrc(member, crc, where);
  return inflated;
}

/**
 * The bytes of one member as a `ByteSource`, checked against the size and CRC-32 the directory
 * declares: a window onto the archive when stored (so a large array is read piece by piece,
 * never whole; the CRC is computed by reading it through once), or the inflated bytes when
 * deflated (see `inflateMember`).
 */
export async function openNpzMember(file: ByteSource, member: NpzMember, source: string): Promise<ByteSource> {
  const where = `${source}[${member.key}]`;
  const local = viewOf(readWithin(file, member.localHeaderOffset, LOCAL_HEADER.bytes, `the local header of '${member.key}'`, source));
  if (local.getUint32(0, true) !== LOCAL_HEADER.signature) {
    throw new FormatError(where, `a local file header at byte ${member.localHeaderOffset}`, 'none');
  }
  const dataOffset = member.localHeaderOffset + LOCAL_HEADER.bytes + local.getUint16(26, true) + local.getUint16(28, true);
  if (dataOffset + member.compressedSize > file.length) {
    throw new FormatError(where, `${member.compressedSize} bytes of data from byte ${dataOffset}`, `a file of ${file.length} bytes`);
  }
  if (member.method === STORED) {
    if (member.compressedSize !== member.uncompressedSize) {
      throw new FormatError(where, 'equal sizes for a stored member', `${member.compressedSize} and ${member.uncompressedSize} bytes`);
    }
    let crc = 0;
    for (const chunk of chunksOf(file, dataOffset, member.uncompressedSize)) crc = crc32(chunk, crc);
    checkCrc(member, crc, where);
    return { length: member.uncompressedSize, read: (offset, length) => file.read(dataOffset + offset, length) };
  }
  if (member.method !== DEFLATED) {
    throw new FormatError(where, 'a stored (0) or deflated (8) member', `compression method ${member.method}`);
  }
  return bufferSource(await inflateMember(file, member, dataOffset, where));
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
