import { readFileSync } from 'fs';
import { join } from 'path';
import { deflateRawSync } from 'zlib';
import { FormatError } from '../../src/errors';
import { bufferSource, decodeNpyFloats, findNpzMember, listNpzMembers, openNpzMember, readNpyHeader, serializeNpy } from '../../src/formats';
import { FIXTURES } from './helpers';

const NPZ = join(FIXTURES, 'npz');

function bytesOf(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(NPZ, name)));
}

/** The float32 array `key` of an archive. */
function readMember(archive: Uint8Array, key: string | undefined, source = 'a.npz'): { shape: number[]; data: Float32Array } {
  const file = bufferSource(archive);
  const member = openNpzMember(file, findNpzMember(listNpzMembers(file, source), key, source), source);
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
 * A one-member zip archive built by hand (local header, data, central directory, end record).
 * With `zip64`, the central directory's sizes and offset and the end record's directory offset
 * are 0xFFFFFFFF, the real values in a zip64 extra field and a zip64 end record.
 */
function zipOf(name: string, data: Uint8Array, method: 0 | 8, zip64 = false): Uint8Array {
  const stored = method === 8 ? deflateRawSync(data) : data;
  const nameBytes = new TextEncoder().encode(name);
  const local = new Uint8Array(30 + nameBytes.length);
  const localView = new DataView(local.buffer);
  localView.setUint32(0, 0x04034b50, true);
  localView.setUint16(8, method, true);
  localView.setUint32(18, stored.length, true);
  localView.setUint32(22, data.length, true);
  localView.setUint16(26, nameBytes.length, true);
  local.set(nameBytes, 30);
  const extraLength = zip64 ? 4 + 24 : 0;
  const central = new Uint8Array(46 + nameBytes.length + extraLength);
  const centralView = new DataView(central.buffer);
  const max = 0xffffffff;
  centralView.setUint32(0, 0x02014b50, true);
  centralView.setUint16(10, method, true);
  centralView.setUint32(20, zip64 ? max : stored.length, true);
  centralView.setUint32(24, zip64 ? max : data.length, true);
  centralView.setUint16(28, nameBytes.length, true);
  centralView.setUint16(30, extraLength, true);
  centralView.setUint32(42, zip64 ? max : 0, true);
  central.set(nameBytes, 46);
  if (zip64) {
    const extraAt = 46 + nameBytes.length;
    centralView.setUint16(extraAt, 0x0001, true);
    centralView.setUint16(extraAt + 2, 24, true);
    centralView.setBigUint64(extraAt + 4, BigInt(data.length), true);
    centralView.setBigUint64(extraAt + 12, BigInt(stored.length), true);
    centralView.setBigUint64(extraAt + 20, 0n, true);
  }
  const directoryOffset = local.length + stored.length;
  const zip64End = new Uint8Array(zip64 ? 56 + 20 : 0);
  if (zip64) {
    const view = new DataView(zip64End.buffer);
    view.setUint32(0, 0x06064b50, true);
    view.setBigUint64(32, 1n, true);
    view.setBigUint64(40, BigInt(central.length), true);
    view.setBigUint64(48, BigInt(directoryOffset), true);
    view.setUint32(56, 0x07064b50, true);
    view.setBigUint64(56 + 8, BigInt(directoryOffset + central.length), true);
  }
  const end = new Uint8Array(22);
  const endView = new DataView(end.buffer);
  endView.setUint32(0, 0x06054b50, true);
  endView.setUint16(8, 1, true);
  endView.setUint16(10, 1, true);
  endView.setUint32(12, central.length, true);
  endView.setUint32(16, zip64 ? max : directoryOffset, true);
  return Uint8Array.from([...local, ...stored, ...central, ...zip64End, ...end]);
}

describe('npz archives written by numpy', () => {
  it.each(['stored.npz', 'compressed.npz'])('%s: lists the arrays by key and reads each', (name) => {
    const archive = bytesOf(name);
    expect(listNpzMembers(bufferSource(archive), name).map((member) => member.key)).toEqual(['input', 'h0']);
    expect(readMember(archive, 'input')).toEqual(npy('input.npy'));
    expect(readMember(archive, 'h0.npy')).toEqual(npy('h0.npy'));
  });

  it('stores np.savez members (method 0) and deflates np.savez_compressed ones (method 8)', () => {
    expect(listNpzMembers(bufferSource(bytesOf('stored.npz')), 'x').map((member) => member.method)).toEqual([0, 0]);
    expect(listNpzMembers(bufferSource(bytesOf('compressed.npz')), 'x').map((member) => member.method)).toEqual([8, 8]);
  });

  it('reads a stored member as a window onto the archive, not a copy', () => {
    const archive = bytesOf('stored.npz');
    const file = bufferSource(archive);
    const member = openNpzMember(file, findNpzMember(listNpzMembers(file, 'x'), 'input', 'x'), 'x');
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

  it('takes the only array without a key', () => {
    const only = zipOf('x.npy', serializeNpy([2], [1, 2]), 0);
    expect(readMember(only, undefined)).toEqual({ shape: [2], data: Float32Array.of(1, 2) });
  });

  it.each([0, 8] as const)('reads zip64 sizes, offsets and end records (method %d)', (method) => {
    const archive = zipOf('x.npy', serializeNpy([3], [1, 2, 3]), method, true);
    expect(readMember(archive, 'x')).toEqual({ shape: [3], data: Float32Array.of(1, 2, 3) });
  });
});

describe('corrupt archives', () => {
  const npyBytes = serializeNpy([3], [1, 2, 3]);

  it('rejects a file with no end-of-central-directory record', () => {
    expect(() => listNpzMembers(bufferSource(npyBytes), 'a.npz')).toThrow(FormatError);
    expect(() => listNpzMembers(bufferSource(npyBytes), 'a.npz')).toThrow(/^a\.npz: expected a zip archive \(\.npz\) with an end-of-central-directory record, got none$/);
  });

  it('rejects a central directory outside the file', () => {
    const archive = zipOf('x.npy', npyBytes, 0);
    new DataView(archive.buffer).setUint32(archive.length - 6, 100000, true);
    expect(() => listNpzMembers(bufferSource(archive), 'a.npz')).toThrow(/^a\.npz: expected the central directory at bytes 100000\.\.\d+ within the file, got a file of \d+ bytes$/);
  });

  it('rejects member data running past the end', () => {
    const file = bufferSource(zipOf('x.npy', npyBytes, 0));
    const [member] = listNpzMembers(file, 'a.npz');
    expect(() => openNpzMember(file, { ...member, compressedSize: 10000, uncompressedSize: 10000 }, 'a.npz')).toThrow(/^a\.npz\[x\]: expected 10000 bytes of data from byte \d+, got a file of \d+ bytes$/);
  });

  it('rejects deflate data that does not inflate', () => {
    const archive = zipOf('x.npy', npyBytes, 8);
    archive.fill(0xff, 31, 40);
    const file = bufferSource(archive);
    expect(() => openNpzMember(file, listNpzMembers(file, 'a.npz')[0], 'a.npz')).toThrow(/^a\.npz\[x\]: expected valid deflate data, got /);
  });

  it('rejects a compression method other than stored and deflated', () => {
    const archive = zipOf('x.npy', npyBytes, 0);
    const file = bufferSource(archive);
    const [member] = listNpzMembers(file, 'a.npz');
    expect(() => openNpzMember(file, { ...member, method: 12 }, 'a.npz')).toThrow(/^a\.npz\[x\]: expected a stored \(0\) or deflated \(8\) member, got compression method 12$/);
  });
});
