import { FormatError } from '../errors';
import { StateDictFormat } from './stateDict';
import { TORCH_SNIFF_BYTES, sniffTorchFile } from './torchFile';

/**
 * What a weights file is, told by its first bytes: PyTorch's `torch.save` (`pt`: a zip archive,
 * or the legacy formats, which its reader refuses with advice) whatever the file's name; else
 * what its extension says (`.safetensors`, `.json`: their readers then say what is wrong with a
 * damaged one); else safetensors (a u64 header length that fits the file, then `{`) or JSON
 * (`{` after any whitespace); else a bare Python pickle (`pt`, refused with advice). A pickle is
 * tried last: its first byte, 0x80, may begin a safetensors header length too.
 */

/** Bytes `detectStateDictFormat` needs from the start of a file. */
export const DETECT_BYTES = TORCH_SNIFF_BYTES;

const SAFETENSORS_LENGTH_BYTES = 8;
const OPEN_BRACE = 0x7b;

/** Whether `head` starts as a safetensors file of `size` bytes does: a header length within the file, and its JSON object. */
function isSafetensors(head: Uint8Array, size: number): boolean {
  if (head.length <= SAFETENSORS_LENGTH_BYTES || head[SAFETENSORS_LENGTH_BYTES] !== OPEN_BRACE) return false;
  const headerLength = new DataView(head.buffer, head.byteOffset, head.byteLength).getBigUint64(0, true);
  return headerLength <= BigInt(size - SAFETENSORS_LENGTH_BYTES);
}

/** Whether `head` is JSON text starting with an object. */
function isJsonObject(head: Uint8Array): boolean {
  const first = head.findIndex((byte) => byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d);
  return first >= 0 && head[first] === OPEN_BRACE;
}

/**
 * The format of a weights file of `size` bytes from its first `DETECT_BYTES` bytes `head` and its
 * lower-case `extension` (`.json`), or a `FormatError` naming `source` that shows what it starts with.
 */
export function detectStateDictFormat(head: Uint8Array, size: number, extension: string, source: string): StateDictFormat {
  const torch = sniffTorchFile(head);
  if (torch === 'zip' || torch === 'legacy') return 'pt';
  if (extension === '.safetensors') return 'safetensors';
  if (extension === '.json') return 'json';
  if (isSafetensors(head, size)) return 'safetensors';
  if (isJsonObject(head)) return 'json';
  if (torch === 'pickle') return 'pt';
  const start = String.fromCharCode(...head.subarray(0, 12));
  throw new FormatError(source, 'a state_dict file: PyTorch (torch.save), safetensors or JSON', size === 0 ? 'an empty file' : `a file starting with ${JSON.stringify(start)}`);
}
