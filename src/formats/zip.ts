import { FormatError } from '../errors';
import { crc32 } from './crc32';
import { ByteSource } from './npy';

/**
 * The zip container, as NumPy (`.npz`) and PyTorch (`torch.save`) write it, read with random
 * access: members are found through the central directory at the end of the archive (so local
 * headers that defer their sizes to a data descriptor, as PyTorch's do, are read by the sizes
 * the directory declares), with zip64 end records and extra fields. A member's bytes must have
 * the size and CRC-32 the directory declares. Inflating deflated members is `.npz`'s (Node's
 * zlib, in `npz.ts`); this module imports nothing from Node.
 */

/** One member of an archive, located but not read. */
export interface ZipEntry {
  /** The member's path inside the archive, e.g. `archive/data/0`. */
  name: string;
  /** `ZIP_STORED` or `ZIP_DEFLATED` (others are refused when read). */
  method: number;
  /** CRC-32 of the uncompressed bytes. */
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

export const ZIP_STORED = 0;
export const ZIP_DEFLATED = 8;

/** Largest central directory read (about a million members). */
export const MAX_ZIP_DIRECTORY_BYTES = 64 * 1024 ** 2;
/** Bytes read from the archive at a time to check a CRC or to feed an inflater. */
export const ZIP_CHUNK_BYTES = 1024 ** 2;

export const END_OF_DIRECTORY = { signature: 0x06054b50, bytes: 22 };
export const ZIP64_LOCATOR = { signature: 0x07064b50, bytes: 20 };
export const ZIP64_END_OF_DIRECTORY = { signature: 0x06064b50, bytes: 56 };
export const DIRECTORY_ENTRY = { signature: 0x02014b50, bytes: 46 };
export const LOCAL_HEADER = { signature: 0x04034b50, bytes: 30 };
const MAX_COMMENT_BYTES = 0xffff;
const ZIP64_EXTRA_ID = 0x0001;
/** A 32-bit field holding this says the value is in the zip64 extra field. */
const ZIP64_MARKER = 0xffffffff;
const ENCRYPTED_FLAG = 1;

export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** `length` bytes at `offset`, or a `FormatError` when they run past the end of the archive. */
function readWithin(file: ByteSource, offset: number, length: number, what: string, source: string): Uint8Array {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset + length > file.length) {
    throw new FormatError(source, `${what} at bytes ${offset}..${offset + length} within the file`, `a file of ${file.length} bytes`);
  }
  return file.read(offset, length);
}

/** A 64-bit field as a number, or a `FormatError` beyond 2^53 (no file is that large). */
function uint64(view: DataView, at: number, what: string, source: string): number {
  const value = view.getBigUint64(at, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new FormatError(source, `a ${what} below 2^53`, `${value}`);
  return Number(value);
}

/** Where the central directory is and how many entries it has: the zip64 end record when its locator precedes the end record (as Python's zipfile reads it), else the end record. */
function findDirectory(file: ByteSource, archive: string, source: string): { offset: number; size: number; entries: number } {
  const tailLength = Math.min(file.length, END_OF_DIRECTORY.bytes + MAX_COMMENT_BYTES);
  const tailStart = file.length - tailLength;
  const tail = file.read(tailStart, tailLength);
  const view = viewOf(tail);
  let end = -1;
  for (let i = tail.length - END_OF_DIRECTORY.bytes; i >= 0 && end < 0; i--) {
    if (view.getUint32(i, true) === END_OF_DIRECTORY.signature) end = i;
  }
  if (end < 0) throw new FormatError(source, `${archive} with an end-of-central-directory record`, 'none');
  const directory = {
    entries: view.getUint16(end + 10, true),
    size: view.getUint32(end + 12, true),
    offset: view.getUint32(end + 16, true),
  };
  const locatorAt = tailStart + end - ZIP64_LOCATOR.bytes;
  const locator = locatorAt < 0 ? undefined : viewOf(file.read(locatorAt, ZIP64_LOCATOR.bytes));
  if (locator === undefined || locator.getUint32(0, true) !== ZIP64_LOCATOR.signature) {
    if (directory.offset === ZIP64_MARKER) throw new FormatError(source, 'a zip64 end-of-directory locator', 'none');
    return directory;
  }
  const zip64At = uint64(locator, 8, 'zip64 end record offset', source);
  const zip64 = viewOf(readWithin(file, zip64At, ZIP64_END_OF_DIRECTORY.bytes, 'the zip64 end of directory', source));
  if (zip64.getUint32(0, true) !== ZIP64_END_OF_DIRECTORY.signature) {
    throw new FormatError(source, `a zip64 end-of-directory record at byte ${zip64At}`, 'none');
  }
  return {
    entries: uint64(zip64, 32, 'zip64 entry count', source),
    size: uint64(zip64, 40, 'zip64 directory size', source),
    offset: uint64(zip64, 48, 'zip64 directory offset', source),
  };
}

/** Sizes and offset of one directory entry, taking 64-bit values from its zip64 extra field where the 32-bit ones are maxed out. */
function entrySizes(view: DataView, at: number, extra: DataView, source: string): Pick<ZipEntry, 'compressedSize' | 'uncompressedSize' | 'localHeaderOffset'> {
  const fields = [view.getUint32(at + 24, true), view.getUint32(at + 20, true), view.getUint32(at + 42, true)];
  for (let pos = 0; pos + 4 <= extra.byteLength; pos += 4 + extra.getUint16(pos + 2, true)) {
    if (extra.getUint16(pos, true) !== ZIP64_EXTRA_ID) continue;
    let next = pos + 4;
    fields.forEach((value, i) => {
      if (value === ZIP64_MARKER && next + 8 <= extra.byteLength) {
        fields[i] = uint64(extra, next, 'zip64 size or offset', source);
        next += 8;
      }
    });
  }
  const [uncompressedSize, compressedSize, localHeaderOffset] = fields;
  return { uncompressedSize, compressedSize, localHeaderOffset };
}

/**
 * The members of a zip archive, in the order of its central directory. `archive` says what the
 * file should be in messages (`a zip archive (.npz)`). An encrypted member, two members of one
 * name, or a directory that is corrupt, outside the file or larger than
 * `MAX_ZIP_DIRECTORY_BYTES` is a `FormatError` whose argument is `source`.
 */
export function listZipEntries(file: ByteSource, source: string, archive = 'a zip archive'): ZipEntry[] {
  const directory = findDirectory(file, archive, source);
  if (directory.size > MAX_ZIP_DIRECTORY_BYTES) {
    throw new FormatError(source, `a central directory of at most ${MAX_ZIP_DIRECTORY_BYTES} bytes`, `${directory.size} bytes`);
  }
  const bytes = readWithin(file, directory.offset, directory.size, 'the central directory', source);
  const view = viewOf(bytes);
  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  let at = 0;
  for (let i = 0; i < directory.entries; i++) {
    if (at + DIRECTORY_ENTRY.bytes > bytes.length || view.getUint32(at, true) !== DIRECTORY_ENTRY.signature) {
      throw new FormatError(source, `${directory.entries} central directory entries`, `a corrupt entry ${i}`);
    }
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const nameStart = at + DIRECTORY_ENTRY.bytes;
    if (nameStart + nameLength + extraLength > bytes.length) {
      throw new FormatError(source, `${directory.entries} central directory entries`, `a corrupt entry ${i}`);
    }
    const name = new TextDecoder().decode(bytes.subarray(nameStart, nameStart + nameLength));
    const extra = viewOf(bytes.subarray(nameStart + nameLength, nameStart + nameLength + extraLength));
    if (view.getUint16(at + 8, true) & ENCRYPTED_FLAG) throw new FormatError(source, `an unencrypted member '${name}'`, 'an encrypted one');
    if (names.has(name)) throw new FormatError(source, 'each member once', `two members named '${name}'`);
    names.add(name);
    entries.push({
      name,
      method: view.getUint16(at + 10, true),
      crc32: view.getUint32(at + 16, true),
      ...entrySizes(view, at, extra, source),
    });
    at = nameStart + nameLength + extraLength + commentLength;
  }
  return entries;
}

/**
 * Where the data of `entry` starts: after its local header, whose signature and name must match
 * the directory's; its `compressedSize` bytes must lie within the file. `where` names the member.
 */
export function zipDataOffset(file: ByteSource, entry: ZipEntry, where: string): number {
  const header = readWithin(file, entry.localHeaderOffset, LOCAL_HEADER.bytes, 'a local header', where);
  const local = viewOf(header);
  if (local.getUint32(0, true) !== LOCAL_HEADER.signature) {
    throw new FormatError(where, `a local file header at byte ${entry.localHeaderOffset}`, 'none');
  }
  const nameLength = local.getUint16(26, true);
  const nameBytes = readWithin(file, entry.localHeaderOffset + LOCAL_HEADER.bytes, nameLength, 'a local header name', where);
  const name = new TextDecoder().decode(nameBytes);
  if (name !== entry.name) throw new FormatError(where, `a local header named '${entry.name}' (as the zip directory says)`, `'${name}'`);
  const dataOffset = entry.localHeaderOffset + LOCAL_HEADER.bytes + nameLength + local.getUint16(28, true);
  if (dataOffset + entry.compressedSize > file.length) {
    throw new FormatError(where, `${entry.compressedSize} bytes of data from byte ${dataOffset}`, `a file of ${file.length} bytes`);
  }
  return dataOffset;
}

/** The `length` bytes of `file` from `offset`, in pieces of at most `ZIP_CHUNK_BYTES`. */
export function* zipChunks(file: ByteSource, offset: number, length: number): Generator<Uint8Array> {
  for (let at = 0; at < length; at += ZIP_CHUNK_BYTES) yield file.read(offset + at, Math.min(ZIP_CHUNK_BYTES, length - at));
}

/** Throws unless `actual`, the CRC-32 of a member's bytes, is the one the directory declares. */
export function checkZipCrc(entry: ZipEntry, actual: number, where: string): void {
  if (actual !== entry.crc32) {
    const hex = (crc: number) => `0x${crc.toString(16).padStart(8, '0')}`;
    throw new FormatError(where, `bytes whose CRC-32 is ${hex(entry.crc32)} (as the zip directory says)`, `CRC-32 ${hex(actual)} (a corrupt member)`);
  }
}

/** Throws unless `entry` is stored (not compressed), as both its sizes must then say. */
function checkStored(entry: ZipEntry, where: string): void {
  if (entry.method !== ZIP_STORED) throw new FormatError(where, 'a stored member (method 0)', `compression method ${entry.method}`);
  if (entry.compressedSize !== entry.uncompressedSize) {
    throw new FormatError(where, 'equal sizes for a stored member', `${entry.compressedSize} and ${entry.uncompressedSize} bytes`);
  }
}

/**
 * A stored member as a `ByteSource` window onto the archive (a large member is then read piece by
 * piece, never whole), after checking its CRC-32 by reading it through once in chunks.
 */
export function openStoredEntry(file: ByteSource, entry: ZipEntry, where: string): ByteSource {
  checkStored(entry, where);
  const dataOffset = zipDataOffset(file, entry, where);
  let crc = 0;
  for (const chunk of zipChunks(file, dataOffset, entry.uncompressedSize)) crc = crc32(chunk, crc);
  checkZipCrc(entry, crc, where);
  return { length: entry.uncompressedSize, read: (offset, length) => file.read(dataOffset + offset, length) };
}

/** The bytes of a stored member, read once and checked against its CRC-32. */
export function readStoredEntry(file: ByteSource, entry: ZipEntry, where: string): Uint8Array {
  checkStored(entry, where);
  const bytes = file.read(zipDataOffset(file, entry, where), entry.uncompressedSize);
  checkZipCrc(entry, crc32(bytes), where);
  return bytes;
}

/** A member to write: its path in the archive and its bytes. */
export interface ZipMember {
  name: string;
  data: Uint8Array;
}

/** The extra field id PyTorch's writer pads local headers with ('FB'), so that data starts aligned. */
const PADDING_EXTRA_ID = 0x4246;

/** A stored member's CRC-32, sizes and name length, laid out alike in a local header (from its byte 14) and a directory entry (from 16). */
function setEntryFields(view: DataView, at: number, crc: number, size: number, nameLength: number): void {
  view.setUint32(at, crc, true);
  view.setUint32(at + 4, size, true);
  view.setUint32(at + 8, size, true);
  view.setUint16(at + 12, nameLength, true);
}

/**
 * A zip archive of stored (uncompressed) members, each one's data starting at a multiple of
 * `alignment` bytes (a padding extra field in its local header, as PyTorch writes them), sizes
 * and CRC-32 in the local headers (no data descriptors), no timestamps. Archives needing zip64
 * (over 4 GiB or 65,535 members) are a `FormatError`.
 */
export function serializeZip(members: ZipMember[], alignment = 1): Uint8Array {
  const encoded = members.map(({ name, data }) => ({ name: new TextEncoder().encode(name), data, crc: crc32(data) }));
  const locals: { offset: number; padding: number }[] = [];
  let offset = 0;
  for (const { name, data } of encoded) {
    const headerEnd = offset + LOCAL_HEADER.bytes + name.length;
    const padding = (alignment - ((headerEnd + 4) % alignment)) % alignment;
    locals.push({ offset, padding: alignment > 1 ? 4 + padding : 0 });
    offset = headerEnd + locals[locals.length - 1].padding + data.length;
  }
  const directoryOffset = offset;
  const directorySize = encoded.reduce((total, { name }) => total + DIRECTORY_ENTRY.bytes + name.length, 0);
  const total = directoryOffset + directorySize + END_OF_DIRECTORY.bytes;
  if (members.length > 0xffff || total > ZIP64_MARKER) {
    throw new FormatError('zip', 'an archive of at most 65535 members and 4 GiB (no zip64)', `${members.length} members, ${total} bytes`);
  }
  const bytes = new Uint8Array(total);
  const view = viewOf(bytes);
  let directoryAt = directoryOffset;
  encoded.forEach(({ name, data, crc }, i) => {
    const { offset: at, padding } = locals[i];
    view.setUint32(at, LOCAL_HEADER.signature, true);
    view.setUint16(at + 4, 20, true);
    setEntryFields(view, at + 14, crc, data.length, name.length);
    view.setUint16(at + 28, padding, true);
    bytes.set(name, at + LOCAL_HEADER.bytes);
    const extraAt = at + LOCAL_HEADER.bytes + name.length;
    if (padding > 0) {
      view.setUint16(extraAt, PADDING_EXTRA_ID, true);
      view.setUint16(extraAt + 2, padding - 4, true);
      bytes.fill(0x5a, extraAt + 4, extraAt + padding);
    }
    bytes.set(data, extraAt + padding);
    view.setUint32(directoryAt, DIRECTORY_ENTRY.signature, true);
    view.setUint16(directoryAt + 4, 20, true);
    view.setUint16(directoryAt + 6, 20, true);
    setEntryFields(view, directoryAt + 16, crc, data.length, name.length);
    view.setUint32(directoryAt + 42, at, true);
    bytes.set(name, directoryAt + DIRECTORY_ENTRY.bytes);
    directoryAt += DIRECTORY_ENTRY.bytes + name.length;
  });
  view.setUint32(directoryAt, END_OF_DIRECTORY.signature, true);
  view.setUint16(directoryAt + 8, members.length, true);
  view.setUint16(directoryAt + 10, members.length, true);
  view.setUint32(directoryAt + 12, directorySize, true);
  view.setUint32(directoryAt + 16, directoryOffset, true);
  return bytes;
}
