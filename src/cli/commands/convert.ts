import { extname } from 'path';
import { initBackend } from '../../backend';
import { toTorchArgs } from '../../config';
import { serializeSafetensors, serializeTorchFile, stateDictJsonPieces, writeFileAtomic } from '../../formats';
import { FlagValues, UsageError, backendFlag, choice, optionalString, parseFlags } from '../flags';
import { LayersWholeModel } from '../../model';
import { stripWrapperPrefixes } from '../../formats/modules';
import { CliIO, EXIT_OK } from '../io';
import { CONFIG_FLAGS, ModelSpec, WEIGHTS_FLAGS, checkFiniteWeights, configFlags, readModelSpecFile, readStateDictFlags, readWeightsFlags, resolveModel } from '../modelFile';
import { checkOutputFiles, fileFlags, weightFiles } from '../outputPaths';
import { fileIOHandler, tfjsModelFiles } from '../../formats/modelFiles';
import { CONFIG_KEY, saveTfjsModel } from '../tfjsModel';

export const CONVERT_FLAGS = {
  ...WEIGHTS_FLAGS,
  ...CONFIG_FLAGS,
  model: { type: 'string', file: 'input' },
  to: { type: 'string' },
  backend: { type: 'string' },
} as const;

const TARGETS = ['pt', 'safetensors', 'json', 'tfjs'] as const;
type Target = (typeof TARGETS)[number];

/** The extensions a state dict target's OUT may have. */
const EXTENSIONS: Partial<Record<Target, string[]>> = { pt: ['.pt', '.pth', '.bin'], safetensors: ['.safetensors'], json: ['.json'] };

/** `{"format": "pt", "nn.RNN": "<JSON of the nn.RNN arguments>"}`: the config a later run reads instead of --config. */
function metadataOf(spec: ModelSpec): Record<string, string> {
  return { format: 'pt', [CONFIG_KEY]: JSON.stringify(toTorchArgs(spec.config)) };
}

/** Writes `spec` as `target` at `out`; returns what was written. */
async function write(spec: ModelSpec, target: Target, out: string): Promise<string> {
  if (target === 'pt') {
    await writeFileAtomic(out, serializeTorchFile(spec.stateDict));
    return out;
  }
  if (target === 'safetensors') {
    await writeFileAtomic(out, serializeSafetensors(spec.stateDict, metadataOf(spec)));
    return out;
  }
  if (target === 'json') {
    await writeFileAtomic(out, stateDictJsonPieces(spec.stateDict, metadataOf(spec)));
    return out;
  }
  return `${await saveTfjsModel(out, spec.config, spec.stateDict)} + weights.bin`;
}

/**
 * `tfjs-rnn convert --to pt|safetensors|json|tfjs OUT`: between PyTorch state dict files and a
 * tfjs LayersModel, recording the `nn.RNN` configuration in what it writes (but in a `.pt`,
 * which holds the state_dict alone, as `torch.load` gives it to `load_state_dict`).
 */
export async function convertCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseFlags(argv, CONVERT_FLAGS, ['OUT']);
  const modelPath = optionalString(values, 'model');
  if (modelPath !== undefined) return convertWholeModel(values, modelPath, positionals[0] as string, io);
  const target = choice(values, 'to', TARGETS, undefined);
  if (target === undefined) throw new UsageError('--to', `one of ${TARGETS.join(', ')}`, 'nothing');
  const [out] = positionals;
  const extensions = EXTENSIONS[target];
  if (extensions !== undefined && !extensions.includes(extname(out).toLowerCase())) {
    throw new UsageError('OUT', `a path ending in ${extensions.join(' or ')} for --to ${target}`, `'${out}'`);
  }
  const namedOutputs = (target === 'tfjs' ? Object.values(tfjsModelFiles(out)) : [out]).map((path) => ({ name: 'OUT', path }));
  checkOutputFiles(namedOutputs, fileFlags(CONVERT_FLAGS, values, 'input'), target === 'tfjs');
  await initBackend(backendFlag(values));
  const weights = await readWeightsFlags(values);
  checkOutputFiles(namedOutputs, weightFiles(weights.sources), target === 'tfjs');
  const spec = await resolveModel(weights, configFlags(values));
  const written = await write(spec, target, out);
  io.stdout.write(`${weights.path} (${weights.format}) -> ${written} (${target})\n`);
  return EXIT_OK;
}

/** Flags of a recurrent module's configuration, which a whole model's spec replaces. */
const NOT_WITH_MODEL = ['config', 'batch-first', 'nonlinearity', 'prefix'];

/**
 * `tfjs-rnn convert --model SPEC --weights W [--to tfjs] OUT`: a whole model's tf.layers twin
 * (`LayersWholeModel`) as a tfjs LayersModel, `model.json` and `weights.bin`, which
 * `tf.loadLayersModel` runs with the package imported (inputs `input` and `lengths`).
 */
async function convertWholeModel(values: FlagValues, modelPath: string, out: string, io: CliIO): Promise<number> {
  const target = choice(values, 'to', TARGETS, 'tfjs') as Target;
  if (target !== 'tfjs') throw new UsageError('--to', 'tfjs (or nothing) with --model: a whole model converts to a tfjs LayersModel', `'${target}'`);
  const given = NOT_WITH_MODEL.find((flag) => values[flag] !== undefined);
  if (given !== undefined) throw new UsageError(`--${given}`, 'nothing with --model (its spec says what the weights cannot)', `'${String(values[given])}'`);
  const files = tfjsModelFiles(out);
  const namedOutputs = Object.values(files).map((path) => ({ name: 'OUT', path }));
  checkOutputFiles(namedOutputs, fileFlags(CONVERT_FLAGS, values, 'input'), true);
  await initBackend(backendFlag(values));
  const weights = await readStateDictFlags(values);
  checkOutputFiles(namedOutputs, weightFiles(weights.sources), true);
  checkFiniteWeights(weights);
  const model = new LayersWholeModel(readModelSpecFile(modelPath), stripWrapperPrefixes(weights.tensors).stateDict);
  try {
    await model.save(fileIOHandler(files.model));
  } finally {
    model.dispose();
  }
  io.stdout.write(`${weights.path} (${weights.format}) + ${modelPath} -> ${files.model} + weights.bin (tfjs)\n`);
  return EXIT_OK;
}
