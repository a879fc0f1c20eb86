import { readFileSync } from 'fs';
import { join } from 'path';
import { FormatError } from '../../src/errors';
import { bufferSource } from '../../src/formats';
import { MAX_ZIP_DIRECTORY_BYTES, listZipEntries, openStoredEntry, readStoredEntry, serializeZip, zipDataOffset } from '../../src/formats/zip';

const members = [
  { name: 'archive/data.pkl', data: new TextEncoder().encode('pickle') },
  { name: 'archive/data/0', data: Uint8Array.from({ length: 100 }, (_, i) => i) },
  { name: 'archive/empty', data: new Uint8Array(0) },
];

/** The end-of-central-directory record of `archive` (the last 22 bytes: no comment). */
function endRecord(archive: Uint8Array): DataView {
  return new DataView(archive.buffer, archive.byteOffset + archive.length - 22, 22);
}

describe('serializeZip and listZipEntries', () => {
  it('write stored members that read back, each one read by size and CRC-32', () => {
    const file = bufferSource(serializeZip(members, 64));
    const entries = listZipEntries(file, 'x.zip');
    expect(entries.map((entry) => [entry.name, entry.method, entry.uncompressedSize])).toEqual(members.map(({ name, data }) => [name, 0, data.length]));
    expect(entries.map((entry) => readStoredEntry(file, entry, entry.name))).toEqual(members.map(({ data }) => data));
    expect(openStoredEntry(file, entries[1], 'x').read(10, 3)).toEqual(Uint8Array.of(10, 11, 12));
  });

  it.each([1, 64])('start every member’s data at a multiple of %d bytes', (alignment) => {
    const file = bufferSource(serializeZip(members, alignment));
    const offsets = listZipEntries(file, 'x.zip').map((entry) => zipDataOffset(file, entry, entry.name));
    expect(offsets.map((offset) => offset % alignment)).toEqual([0, 0, 0]);
    if (alignment === 1) expect(offsets[0]).toBe(30 + members[0].name.length);
  });

  it("read PyTorch's archives, which defer sizes to data descriptors and always write zip64 end records", () => {
    const archive = new Uint8Array(readFileSync(join(__dirname, '..', '..', 'fixtures', 'pt', 'rnn_float32.pt')));
    const view = new DataView(archive.buffer, archive.byteOffset);
    expect(view.getUint16(6, true) & 0x08).toBe(0x08); // the first local header's data-descriptor flag, its sizes 0
    expect(view.getUint32(18, true)).toBe(0);
    const entries = listZipEntries(bufferSource(archive), 'rnn_float32.pt');
    expect(entries.map((entry) => entry.name).slice(0, 3)).toEqual(['rnn_float32/data.pkl', 'rnn_float32/data/0', 'rnn_float32/data/1']);
    expect(entries[1].uncompressedSize).toBe(48);
  });

  it('take the zip64 end record when its locator is there, though the 32-bit record is not maxed out (as Python does)', () => {
    const archive = serializeZip(members);
    const end = endRecord(archive);
    const directorySize = end.getUint32(12, true);
    const directoryOffset = end.getUint32(16, true);
    const zip64 = new Uint8Array(56 + 20);
    const view = new DataView(zip64.buffer);
    view.setUint32(0, 0x06064b50, true);
    view.setBigUint64(32, 3n, true);
    view.setBigUint64(40, BigInt(directorySize), true);
    view.setBigUint64(48, BigInt(directoryOffset), true);
    view.setUint32(56, 0x07064b50, true);
    view.setBigUint64(64, BigInt(archive.length - 22), true);
    const withZip64 = new Uint8Array([...archive.subarray(0, -22), ...zip64, ...archive.subarray(-22)]);
    endRecord(withZip64).setUint16(10, 1, true); // the 32-bit record says 1 entry; the zip64 one, 3
    expect(listZipEntries(bufferSource(withZip64), 'x').map((entry) => entry.name)).toEqual(members.map(({ name }) => name));
  });
});

describe('corrupt archives', () => {
  it("refuses a local header whose name is not the directory's", () => {
    const archive = serializeZip(members);
    archive[30] ^= 0x20; // 'archive/data.pkl' → 'Archive/data.pkl' in the first local header
    const file = bufferSource(archive);
    const [entry] = listZipEntries(file, 'x');
    expect(() => readStoredEntry(file, entry, 'x[archive/data.pkl]')).toThrow(FormatError);
    expect(() => readStoredEntry(file, entry, 'x[archive/data.pkl]')).toThrow("x[archive/data.pkl]: expected a local header named 'archive/data.pkl' (as the zip directory says), got 'Archive/data.pkl'");
  });

  it('refuses two members of one name', () => {
    expect(() => listZipEntries(bufferSource(serializeZip([members[0], members[0]])), 'x')).toThrow("x: expected each member once, got two members named 'archive/data.pkl'");
  });

  it(`refuses a central directory declared over ${MAX_ZIP_DIRECTORY_BYTES} bytes, before reading it`, () => {
    const archive = serializeZip(members);
    endRecord(archive).setUint32(12, MAX_ZIP_DIRECTORY_BYTES + 1, true);
    expect(() => listZipEntries(bufferSource(archive), 'x')).toThrow(`x: expected a central directory of at most ${MAX_ZIP_DIRECTORY_BYTES} bytes, got ${MAX_ZIP_DIRECTORY_BYTES + 1} bytes`);
  });

  it('refuses a compressed member where a stored one is read', () => {
    const archive = serializeZip(members);
    const file = bufferSource(archive);
    const [entry] = listZipEntries(file, 'x');
    expect(() => readStoredEntry(file, { ...entry, method: 8 }, 'x')).toThrow('x: expected a stored member (method 0), got compression method 8');
  });
});
