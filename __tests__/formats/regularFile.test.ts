import { execFileSync } from 'child_process';
import { promises as fs } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { FormatError } from '../../src/errors';
import { formatBytes, readRegularFile } from '../../src/formats/regularFile';

let dir: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'tfjs-rnn-regular-'));
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('readRegularFile', () => {
  it('reads a file whole, up to and including the cap', async () => {
    const path = join(dir, 'a.json');
    await fs.writeFile(path, '{"a": 1}');
    expect(readRegularFile(path, 8).toString()).toBe('{"a": 1}');
  });

  it('refuses a file larger than the cap, saying both sizes', async () => {
    const path = join(dir, 'a.json');
    await fs.writeFile(path, '{"a": 12}');
    expect(() => readRegularFile(path, 8)).toThrow(FormatError);
    expect(() => readRegularFile(path, 8)).toThrow(`${path}: expected a file of at most 8 bytes, got 9 bytes`);
  });

  it('refuses a sparse file of 3 GiB without reading it', async () => {
    const path = join(dir, 'big.safetensors');
    await fs.writeFile(path, '');
    await fs.truncate(path, 3 * 1024 ** 3);
    expect(() => readRegularFile(path, 2 * 1024 ** 3)).toThrow(`${path}: expected a file of at most 2 GiB (2147483648 bytes), got 3221225472 bytes`);
  });

  it('reads a file to its end when its size says 0 (as under /proc), and stops past the cap', () => {
    const status = readRegularFile('/proc/self/status', 1024 ** 2).toString();
    expect(status).toMatch(/^Name:/);
    expect(() => readRegularFile('/proc/self/status', 16)).toThrow('/proc/self/status: expected a file of at most 16 bytes, got more');
  });

  it.each([
    ['a directory', () => dir, 'a directory'],
    ['/dev/zero, which never ends', () => '/dev/zero', 'a character device'],
  ])('refuses %s', (_, path, kind) => {
    expect(() => readRegularFile(path(), 1024)).toThrow(`${path()}: expected a regular file, got ${kind}`);
  });

  it('refuses a FIFO at once, with no writer to wait for', () => {
    const fifo = join(dir, 'config.json');
    execFileSync('mkfifo', [fifo]);
    expect(() => readRegularFile(fifo, 1024)).toThrow(`${fifo}: expected a regular file, got a FIFO (named pipe)`);
  });

  it('names a missing file', () => {
    expect(() => readRegularFile(join(dir, 'missing.json'), 1024)).toThrow(`${join(dir, 'missing.json')}: expected a readable file, got no such file`);
  });
});

describe('formatBytes', () => {
  it('gives bytes, and the binary unit with the exact count above 1 KiB', () => {
    expect(formatBytes(1000)).toBe('1000 bytes');
    expect(formatBytes(1024 ** 2)).toBe('1 MiB (1048576 bytes)');
    expect(formatBytes(256 * 1024 ** 2)).toBe('256 MiB (268435456 bytes)');
    expect(formatBytes(1536)).toBe('1.5 KiB (1536 bytes)');
  });
});
