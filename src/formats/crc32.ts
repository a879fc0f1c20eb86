/** CRC-32 as zip computes it (IEEE 802.3, reflected polynomial 0xEDB88320). No Node import: browsers take the table. */

/** The CRC of every byte value, for the loop below. */
const TABLE = Int32Array.from({ length: 256 }, (_, byte) => {
  let crc = byte;
  for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  return crc;
});

/** CRC-32 of `bytes` continuing from the CRC `crc` of the bytes before them, one table lookup per byte. */
export function tableCrc32(bytes: Uint8Array, crc = 0): number {
  let state = ~crc;
  for (let i = 0; i < bytes.length; i++) state = TABLE[(state ^ bytes[i]) & 0xff] ^ (state >>> 8);
  return ~state >>> 0;
}

type Crc32 = (bytes: Uint8Array, crc?: number) => number;

/**
 * zlib's CRC-32 when the host is Node and has it (Node ≥ 20.16, about 4× faster), looked up at
 * run time so that bundlers see no `zlib` import; else `tableCrc32`.
 */
function nodeCrc32(): Crc32 | undefined {
  const host = globalThis as unknown as { process?: { getBuiltinModule?: (name: string) => { crc32?: Crc32 } | undefined } };
  return host.process?.getBuiltinModule?.('zlib')?.crc32;
}

/** CRC-32 of `bytes` continuing from `crc`: zlib's where Node has it, else `tableCrc32`. */
export const crc32: Crc32 = nodeCrc32() ?? tableCrc32;
