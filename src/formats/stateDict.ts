import { ArgumentError } from '../errors';
import { asBytes } from './bytes';
import { HostArray } from './hostArray';
import { chooseModule } from './modules';
import { checkStateDictOptions } from './stateDictOptions';
import { parseSafetensors, serializeSafetensors } from './safetensors';
import { parseStateDictJson, serializeStateDictJson } from './stateDictJson';
import { parseTorchFile } from './torchFile';
import { serializeTorchFile } from './torchWriter';

/**
 * The byte formats of a `state_dict`: PyTorch's `torch.save` (`pt`: a state_dict, or the one a
 * checkpoint holds; see `parseTorchFile`), safetensors, and JSON of nested lists (or `{shape, data}`).
 */
export type StateDictFormat = 'pt' | 'safetensors' | 'json';

/** How one format reads and writes a `state_dict`; `source` names the bytes in errors. */
interface StateDictCodec {
  parse(bytes: Uint8Array, source: string): Record<string, HostArray>;
  serialize(tensors: Record<string, HostArray>): Uint8Array;
}

const CODECS: Record<StateDictFormat, StateDictCodec> = {
  pt: { parse: (bytes, source) => parseTorchFile(bytes, { source }).tensors, serialize: serializeTorchFile },
  safetensors: { parse: (bytes, source) => parseSafetensors(bytes, source).tensors, serialize: (tensors) => serializeSafetensors(tensors) },
  json: {
    parse: (bytes, source) => parseStateDictJson(new TextDecoder().decode(bytes), source),
    serialize: (tensors) => new TextEncoder().encode(serializeStateDictJson(tensors)),
  },
};

/** The formats `parseStateDict` and `serializeStateDict` take. */
export const STATE_DICT_FORMATS = Object.keys(CODECS) as StateDictFormat[];

function codecOf(format: unknown): StateDictCodec {
  if (!(STATE_DICT_FORMATS as unknown[]).includes(format)) {
    throw new ArgumentError('format', STATE_DICT_FORMATS.map((name) => `'${name}'`).join(' or '), typeof format === 'string' ? `'${format}'` : String(format));
  }
  return CODECS[format as StateDictFormat];
}

/** Options of `parseStateDict` and `loadStateDict`. */
export interface StateDictOptions {
  /**
   * The module to return, by its prefix in the state_dict (`'lstm'` or `'lstm.'`, `'encoder.rnn'`;
   * DataParallel's `module.` and torch.compile's `_orig_mod.` need not be written), its
   * parameters under their own names (`weight_ih_l0`); `''` is the whole state_dict without those
   * wrappers. By default the only recurrent module when there is one, the whole state_dict when
   * there is none; a state_dict with several needs it. See `chooseModule`.
   */
  prefix?: string;
  /** A PyTorch checkpoint's entry holding the state_dict, a dotted path for nested dicts (`model.rnn`); see `TorchFileOptions`. */
  key?: string;
}

/**
 * Parses a `state_dict` from the bytes of a file in `format`, e.g. what
 * `(await fetch(url)).arrayBuffer()` gives, and chooses a module of it (`options.prefix`, or the
 * only recurrent one; see `StateDictOptions`). Any problem with the bytes is a `FormatError`
 * whose argument is `source` (the format's name unless given: a file name or URL); a prefix that
 * names no module is a `PrefixError` listing those there are. A string as `options` is `source`.
 */
export function parseStateDict(
  bytes: Uint8Array | ArrayBuffer,
  format: StateDictFormat,
  options: string | (StateDictOptions & { source?: string }) = {},
): Record<string, HostArray> {
  const { source = format, key, prefix } = checkStateDictOptions(typeof options === 'string' ? { source: options } : options);
  const codec = codecOf(format);
  if (key !== undefined && format !== 'pt') throw new ArgumentError('key', 'the format pt, whose checkpoint entry it names', `the format '${format}'`);
  const tensors = format === 'pt' ? parseTorchFile(asBytes(bytes, 'bytes'), { source, key }).tensors : codec.parse(asBytes(bytes, 'bytes'), source);
  return chooseModule(tensors, prefix);
}

/** The bytes of `tensors` as a `state_dict` file in `format`: torch.save's archive or safetensors of float32, or JSON of nested lists. */
export function serializeStateDict(tensors: Record<string, HostArray>, format: StateDictFormat): Uint8Array {
  return codecOf(format).serialize(tensors);
}
