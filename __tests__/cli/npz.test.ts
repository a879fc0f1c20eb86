import { randomBytes } from 'crypto';
import { readFileSync } from 'fs';
import { join } from 'path';
import { crc32, deflateRawSync } from 'zlib';
import { FormatError } from '../../src/errors';
import { ByteSource, bufferSource, decodeNpyFloats, findNpzMember, listNpzMembers, openNpzMember, readNpyHeader, serializeNpy } from '../../src/formats';
import { FIXTURES } from './helpers';

const NPZ = join(FIXTURES, 'npz');

function bytesOf(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(NPZ, name)));
}

/** The float32 array `key` of an archive. */
async function readMember(archive: Uint8Array, key: string | undefined, source = 'a.npz'): Promise<{ shape: number[]; data: Float32Array }> {
  const file = bufferSource(archive);
  const member = await openNpzMember(file, findNpzMember(listNpzMembers(file, source), key, source), source);
  const header = readNpyHeader(member, ['float32'], source);
  return { shape: header.shape, data: decodeNpyFloats(member.read(header.dataOffset, member.length - header.dataOffset), 'float32') };
}

/** The array numpy saved alongside the archives. */
function npy(name: string): { shape: number[]; data: Float32Array } {
  const bytes = bytesOf(name);
  const header = readNpyHeader(bufferSource(bytes), ['float32'], name);
  return { shape: header.shape, data: decodeNpyFloats(bytes.subarray(header.dataOffset), 'float32') };
}

/**
 * A zip archive built by hand (local headers, data, central directory, end record), one member
 * per `[name, data]` entry. With `zip64`, the central directory's sizes and offsets and the end
 * record's directory offset are 0xFFFFFFFF, the real values in zip64 extra fields and a zip64
 * end record.
 */
function zipOf(entries: [string, Uint8Array][], method: 0 | 8, zip64 = false): Uint8Array {
  const max = 0xffffffff;
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const stored = method === 8 ? deflateRawSync(data) : data;
    const nameBytes = new TextEncoder().encode(name);
    const local = new Uint8Array(30 + nameBytes.length + stored.length);
    const localView = new DataView(local.buffer);
    localView.setUint32(0, 0x04034b50, true);
    localView.setUint16(8, method, true);
    localView.setUint32(14, crc32(data), true);
    localView.setUint32(18, stored.length, true);
    localView.setUint32(22, data.length, true);
    localView.setUint16(26, nameBytes.length, true);
    local.set(nameBytes, 30);
    local.set(stored, 30 + nameBytes.length);
    const extraLength = zip64 ? 4 + 24 : 0;
    const central = new Uint8Array(46 + nameBytes.length + extraLength);
    const centralView = new DataView(central.buffer);
    centralView.setUint32(0, 0x02014b50, true);
    centralView.setUint16(10, method, true);
    centralView.setUint32(16, crc32(data), true);
    centralView.setUint32(20, zip64 ? max : stored.length, true);
    centralView.setUint32(24, zip64 ? max : data.length, true);
    centralView.setUint16(28, nameBytes.length, true);
    centralView.setUint16(30, extraLength, true);
    centralView.setUint32(42, zip64 ? max : offset, true);
    central.set(nameBytes, 46);
    if (zip64) {
      const extraAt = 46 + nameBytes.length;
      centralView.setUint16(extraAt, 0x0001, true);
      centralView.setUint16(extraAt + 2, 24, true);
      centralView.setBigUint64(extraAt + 4, BigInt(data.length), true);
      centralView.setBigUint64(extraAt + 12, BigInt(stored.length), true);
      centralView.setBigUint64(extraAt + 20, BigInt(offset), true);
    }
    locals.push(local);
    centrals.push(central);
    offset += local.length;
  }
  const directoryOffset = offset;
  const directoryLength = centrals.reduce((total, central) => total + central.length, 0);
  const zip64End = new Uint8Array(zip64 ? 56 + 20 : 0);
  if (zip64) {
    const view = new DataView(zip64End.buffer);
    view.setUint32(0, 0x06064b50, true);
    view.setBigUint64(32, BigInt(entries.length), true);
    view.setBigUint64(40, BigInt(directoryLength), true);
    view.setBigUint64(48, BigInt(directoryOffset), true);
    view.setUint32(56, 0x07064b50, true);
    view.setBigUint64(56 + 8, BigInt(directoryOffset + directoryLength), true);
  }
  const end = new Uint8Array(22);
  const endView = new DataView(end.buffer);
  endView.setUint32(0, 0x06054b50, true);
  endView.setUint16(8, entries.length, true);
  endView.setUint16(10, entries.length, true);
  endView.setUint32(12, directoryLength, true);
  endView.setUint32(16, zip64 ? max : directoryOffset, true);
  return new Uint8Array(Buffer.concat([...locals, ...centrals, zip64End, end]));
}

/** `bytes` as a `ByteSource` that records the length of every read. */
function countingSource(bytes: Uint8Array): ByteSource & { reads: number[] } {
  const reads: number[] = [];
  return { length: bytes.length, reads, read: (offset, length) => (reads.push(length), bytes.subarray(offset, offset + length)) };
}

/** Overwrites a 32-bit field of the only member, at `localAt` in its local header and `centralAt` in its directory entry. */
function patchField(archive: Uint8Array, localAt: number, centralAt: number, value: number): void {
  const view = new DataView(archive.buffer, archive.byteOffset, archive.byteLength);
  view.setUint32(localAt, value, true);
  view.setUint32(view.getUint32(archive.length - 6, true) + centralAt, value, true);
}

/** Declares `size` uncompressed bytes for the only member of `archive`. */
function declareSize(archive: Uint8Array, size: number): void {
  patchField(archive, 22, 24, size);
}

describe('npz archives written by numpy', () => {
  it.each(['stored.npz', 'compressed.npz'])('%s: lists the arrays by key and reads each', async (name) => {
    const archive = bytesOf(name);
    expect(listNpzMembers(bufferSource(archive), name).map((member) => member.key)).toEqual(['input', 'h0']);
    expect(await readMember(archive, 'input')).toEqual(npy('input.npy'));
    expect(await readMember(archive, 'h0.npy')).toEqual(npy('h0.npy'));
  });

  it('stores np.savez members (method 0) and deflates np.savez_compressed ones (method 8)', () => {
    expect(listNpzMembers(bufferSource(bytesOf('stored.npz')), 'x').map((member) => member.method)).toEqual([0, 0]);
    expect(listNpzMembers(bufferSource(bytesOf('compressed.npz')), 'x').map((member) => member.method)).toEqual([8, 8]);
  });

  it('reads a stored member as a window onto the archive, not a copy', async () => {
    const archive = bytesOf('stored.npz');
    const file = bufferSource(archive);
    const member = await openNpzMember(file, findNpzMember(listNpzMembers(file, 'x'), 'input', 'x'), 'x');
    expect(member.read(0, 6).buffer).toBe(archive.buffer);
  });
});

describe('choosing an array', () => {
  const archive = bytesOf('stored.npz');
  const members = listNpzMembers(bufferSource(archive), 'a.npz');

  it('requires a key when there are several arrays, listing them', () => {
    expect(() => findNpzMember(members, undefined, 'a.npz')).toThrow(/^a\.npz: expected one array, or a key naming one, got 2 arrays: 'input', 'h0'$/);
  });

  it('names the keys there are when the key is missing', () => {
    expect(() => findNpzMember(members, 'x', 'a.npz')).toThrow(/^a\.npz: expected an array named 'x', got 'input', 'h0'$/);
  });

  it('takes the only array without a key', async () => {
    const only = zipOf([['x.npy', serializeNpy([2], [1, 2])]], 0);
    expect(await readMember(only, undefined)).toEqual({ shape: [2], data: Float32Array.of(1, 2) });
  });

  it.each([0, 8] as const)('reads zip64 sizes, offsets and end records (method %d)', async (method) => {
    const archive = zipOf([['x.npy', serializeNpy([3], [1, 2, 3])]], method, true);
    expect(await readMember(archive, 'x')).toEqual({ shape: [3], data: Float32Array.of(1, 2, 3) });
  });
});

describe('corrupt archives', () => {
  const npyBytes = serializeNpy([3], [1, 2, 3]);

  it('rejects a file with no end-of-central-directory record', () => {
    expect(() => listNpzMembers(bufferSource(npyBytes), 'a.npz')).toThrow(FormatError);
    expect(() => listNpzMembers(bufferSource(npyBytes), 'a.npz')).toThrow(/^a\.npz: expected a zip archive \(\.npz\) with an end-of-central-directory record, got none$/);
  });

  it('rejects a central directory outside the file', () => {
    const archive = zipOf([['x.npy', npyBytes]], 0);
    new DataView(archive.buffer).setUint32(archive.length - 6, 100000, true);
    expect(() => listNpzMembers(bufferSource(archive), 'a.npz')).toThrow(/^a\.npz: expected the central directory at bytes 100000\.\.\d+ within the file, got a file of \d+ bytes$/);
  });

  it('rejects member data running past the end', async () => {
    const file = bufferSource(zipOf([['x.npy', npyBytes]], 0));
    const [member] = listNpzMembers(file, 'a.npz');
    await expect(openNpzMember(file, { ...member, compressedSize: 10000, uncompressedSize: 10000 }, 'a.npz')).rejects.toThrow(/^a\.npz\[x\]: expected 10000 bytes of data from byte \d+, got a file of \d+ bytes$/);
  });

  it('rejects deflate data that does not inflate', async () => {
    const archive = zipOf([['x.npy', npyBytes]], 8);
    archive.fill(0xff, 35, 44); // the deflate data, after the 30-byte local header and the name 'x.npy'
    const file = bufferSource(archive);
    await expect(openNpzMember(file, listNpzMembers(file, 'a.npz')[0], 'a.npz')).rejects.toThrow(/^a\.npz\[x\]: expected valid deflate data, got /);
  });

  it('rejects a compression method other than stored and deflated', async () => {
    const archive = zipOf([['x.npy', npyBytes]], 0);
    const file = bufferSource(archive);
    const [member] = listNpzMembers(file, 'a.npz');
    await expect(openNpzMember(file, { ...member, method: 12 }, 'a.npz')).rejects.toThrow(/^a\.npz\[x\]: expected a stored \(0\) or deflated \(8\) member, got compression method 12$/);
  });
});

describe('sizes and checksums', () => {
  const npyBytes = serializeNpy([3], [1, 2, 3]);

  it('rejects a member of numpy\'s whose bytes do not have the declared CRC-32, as numpy does', async () => {
    const archive = bytesOf('stored.npz');
    const [input] = listNpzMembers(bufferSource(archive), 'a.npz');
    const view = new DataView(archive.buffer, archive.byteOffset, archive.byteLength);
    const dataStart = input.localHeaderOffset + 30 + view.getUint16(input.localHeaderOffset + 26, true) + view.getUint16(input.localHeaderOffset + 28, true);
    archive[dataStart + input.uncompressedSize - 1] ^= 1; // the last value's lowest mantissa bit
    // Python: np.load(path)['input'] raises zipfile.BadZipFile: Bad CRC-32 for file 'input.npy'
    await expect(readMember(archive, 'input')).rejects.toThrow(/^a\.npz\[input\]: expected bytes whose CRC-32 is 0xdadadbce \(as the zip directory says\), got CRC-32 0x[0-9a-f]{8} \(a corrupt member\)$/);
  });

  it.each([0, 8] as const)('rejects a wrong declared CRC-32 (method %d)', async (method) => {
    const archive = zipOf([['x.npy', npyBytes]], method);
    patchField(archive, 14, 16, 0x12345678);
    await expect(readMember(archive, 'x')).rejects.toThrow(/^a\.npz\[x\]: expected bytes whose CRC-32 is 0x12345678 \(as the zip directory says\), got CRC-32 0x[0-9a-f]{8} \(a corrupt member\)$/);
  });

  it('stops inflating at the first bytes past the declared size, reading the archive a chunk at a time', async () => {
    // 3 MiB of random bytes after the array deflate to about 3 MiB: old readers inflated all of it.
    const archive = zipOf([['x.npy', Buffer.concat([npyBytes, randomBytes(3 * 1024 ** 2)])]], 8);
    declareSize(archive, npyBytes.length);
    const file = countingSource(archive);
    const [member] = listNpzMembers(file, 'a.npz');
    file.reads.length = 0;
    await expect(openNpzMember(file, member, 'a.npz')).rejects.toThrow(`a.npz[x]: expected ${npyBytes.length} bytes once inflated (as the zip directory and its header say), got more`);
    expect(Math.max(...file.reads)).toBeLessThanOrEqual(1024 ** 2);
    expect(file.reads.reduce((total, length) => total + length, 0)).toBeLessThan(member.compressedSize);
  });

  it('checks the .npy header against the declared size before inflating the rest', async () => {
    const archive = zipOf([['x.npy', Buffer.concat([npyBytes, randomBytes(3 * 1024 ** 2)])]], 8);
    const file = countingSource(archive);
    const [member] = listNpzMembers(file, 'a.npz');
    file.reads.length = 0;
    await expect(openNpzMember(file, member, 'a.npz')).rejects.toThrow(`a.npz[x]: expected 12 bytes of data for shape [3] float32, got ${12 + 3 * 1024 ** 2} bytes (trailing bytes)`);
    expect(file.reads.reduce((total, length) => total + length, 0)).toBeLessThan(member.compressedSize);
  });

  it('rejects a deflated member that inflates to fewer bytes than declared', async () => {
    const archive = zipOf([['x.npy', npyBytes.subarray(0, 100)]], 8);
    declareSize(archive, npyBytes.length);
    await expect(readMember(archive, 'x')).rejects.toThrow(`a.npz[x]: expected ${npyBytes.length} bytes once inflated (as the zip directory says), got 100 bytes`);
  });

  it('rejects a deflated member declared larger than it may be inflated in memory', async () => {
    const archive = zipOf([['x.npy', npyBytes]], 8);
    declareSize(archive, 3 * 1024 ** 3);
    await expect(readMember(archive, 'x')).rejects.toThrow(
      'a.npz[x]: expected a deflated member of at most 2 GiB (2147483648 bytes), inflated in memory (np.savez stores larger ones, read by rows), got 3221225472 bytes',
    );
  });

  it('rejects two members of the same name, or of the same array', () => {
    const archive = zipOf([['x.npy', npyBytes], ['x.npy', serializeNpy([1], [4])]], 0);
    expect(() => listNpzMembers(bufferSource(archive), 'a.npz')).toThrow("a.npz: expected each member once, got two members named 'x.npy'");
    const sameArray = zipOf([['x.npy', npyBytes], ['x', serializeNpy([1], [4])]], 0);
    expect(() => listNpzMembers(bufferSource(sameArray), 'a.npz')).toThrow("a.npz: expected each array once, got two members for array 'x' (the second 'x')");
  });
});
