import { extname } from 'path';
import { FullRNNConfig, checkConfig, checkParameterShapes, parameterName } from '../config';
import { FormatError, WeightsError, formatShape } from '../errors';
import { writeFileAtomic } from './atomicWrite';
import { HostArray, hostArray } from './hostArray';
import { MAX_JSON_BYTES, MAX_WEIGHTS_BYTES, readRegularFile } from './regularFile';
import { parseSafetensors, serializeSafetensors } from './safetensors';
import { parseStateDictJson, serializeStateDictJson } from './stateDictJson';

/** The part of an `nn.RNN` configuration a `state_dict`'s keys and shapes determine. */
export type InferredConfig = Pick<FullRNNConfig, 'inputSize' | 'hiddenSize' | 'numLayers' | 'bidirectional' | 'bias'>;

function hasKey(tensors: Record<string, HostArray>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(tensors, key);
}

/**
 * Checks `tensors` against `parameterSpecs(config)`: one `WeightsError` lists every
 * missing, unexpected or misshaped key; then a `ShapeError` for data that does not fill its shape.
 */
export function checkStateDict(tensors: Record<string, HostArray>, config: FullRNNConfig): void {
  checkParameterShapes(tensors, config);
  Object.entries(tensors).forEach(([name, { shape, data }]) => hostArray(shape, data, name));
}

/**
 * Reads the configuration off PyTorch's keys and shapes: `weight_ih_l0` `[H, I]` gives the
 * sizes, the `weight_ih_l{k}` present give the layers, `_reverse` keys bidirectional and
 * `bias_ih_l0` the bias. Throws a `WeightsError` when `weight_ih_l0` is missing or not
 * `[H, I]`, or when the rest of `tensors` does not fit what was read.
 */
export function inferConfig(tensors: Record<string, HostArray>): InferredConfig {
  const first = parameterName('weight_ih', 0, 0);
  if (!hasKey(tensors, first)) throw new WeightsError([`missing key '${first}'`]);
  const { shape } = tensors[first];
  if (shape.length !== 2 || shape[0] === 0 || shape[1] === 0) {
    throw new WeightsError([`${first}: expected shape [hidden_size, input_size] of positive sizes, got ${formatShape(shape)}`]);
  }
  let numLayers = 1;
  while (hasKey(tensors, parameterName('weight_ih', numLayers, 0))) numLayers++;
  const inferred: InferredConfig = {
    inputSize: shape[1],
    hiddenSize: shape[0],
    numLayers,
    bidirectional: hasKey(tensors, parameterName('weight_ih', 0, 1)),
    bias: hasKey(tensors, parameterName('bias_ih', 0, 0)),
  };
  checkStateDict(tensors, checkConfig(inferred));
  return inferred;
}

/** How one file format reads and writes a `state_dict`; `source` is the file path. */
interface StateDictFormat {
  /** The largest file read. */
  maxBytes: number;
  parse(bytes: Uint8Array, source: string): Record<string, HostArray>;
  serialize(tensors: Record<string, HostArray>): Uint8Array | string;
}

const FORMATS = new Map<string, StateDictFormat>([
  ['.safetensors', { maxBytes: MAX_WEIGHTS_BYTES, parse: (bytes, source) => parseSafetensors(bytes, source).tensors, serialize: serializeSafetensors }],
  ['.json', { maxBytes: MAX_JSON_BYTES, parse: (bytes, source) => parseStateDictJson(new TextDecoder().decode(bytes), source), serialize: serializeStateDictJson }],
]);

/** The format of `path`, by its (case-insensitive) extension. */
function formatOf(path: string): StateDictFormat {
  const extension = extname(path).toLowerCase();
  const format = FORMATS.get(extension);
  if (format === undefined) {
    throw new FormatError(path, `a file ending in ${[...FORMATS.keys()].join(' or ')}`, extension === '' ? 'no extension' : `'${extension}'`);
  }
  return format;
}

/**
 * Reads a `state_dict` from a `.safetensors` (at most `MAX_WEIGHTS_BYTES`) or `.json` (at most
 * `MAX_JSON_BYTES`) regular file. Any problem with the file, including a missing one, is a
 * `FormatError` whose argument is `path`.
 */
export async function loadStateDict(path: string): Promise<Record<string, HostArray>> {
  const format = formatOf(path);
  return format.parse(readRegularFile(path, format.maxBytes), path);
}

/** Writes a `state_dict` to a `.safetensors` (F32) or `.json` file, atomically. */
export async function saveStateDict(path: string, tensors: Record<string, HostArray>): Promise<void> {
  await writeFileAtomic(path, formatOf(path).serialize(tensors));
}
