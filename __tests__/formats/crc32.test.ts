import { randomBytes } from 'crypto';
import * as zlib from 'zlib';
import { crc32, tableCrc32 } from '../../src/formats/crc32';

describe('crc32', () => {
  it('gives the check value of the zip CRC-32 for "123456789"', () => {
    const bytes = new TextEncoder().encode('123456789');
    expect(crc32(bytes)).toBe(0xcbf43926);
    expect(tableCrc32(bytes)).toBe(0xcbf43926);
  });

  it("agrees with zlib's over random bytes, in one piece or continued", () => {
    const bytes = randomBytes(100_003);
    const whole = zlib.crc32(bytes);
    expect(tableCrc32(bytes)).toBe(whole);
    expect(tableCrc32(bytes.subarray(40_000), tableCrc32(bytes.subarray(0, 40_000)))).toBe(whole);
    expect(tableCrc32(new Uint8Array(0))).toBe(0);
  });
});
