import { extname } from 'path';
import { initBackend } from '../../backend';
import { toTorchArgs } from '../../config';
import { serializeSafetensors, serializeStateDictJson, writeFileAtomic } from '../../formats';
import { UsageError, backendFlag, choice, optionalString, parseFlags, requiredString } from '../flags';
import { CliIO, EXIT_OK } from '../io';
import { ModelSpec, readWeightsFile, resolveModel } from '../modelFile';
import { checkOutputFiles, fileFlags, weightFiles } from '../outputPaths';
import { CONFIG_KEY, saveTfjsModel, tfjsModelFiles } from '../tfjsModel';

const CONVERT_FLAGS = {
  weights: { type: 'string', file: 'input' },
  config: { type: 'string', file: 'input' },
  to: { type: 'string' },
  backend: { type: 'string' },
} as const;

const TARGETS = ['safetensors', 'json', 'tfjs'] as const;
type Target = (typeof TARGETS)[number];

/** The extension a state dict target's OUT must have. */
const EXTENSIONS: Partial<Record<Target, string>> = { safetensors: '.safetensors', json: '.json' };

/** `{"format": "pt", "nn.RNN": "<JSON of the nn.RNN arguments>"}`: the config a later run reads instead of --config. */
function metadataOf(spec: ModelSpec): Record<string, string> {
  return { format: 'pt', [CONFIG_KEY]: JSON.stringify(toTorchArgs(spec.config)) };
}

/** Writes `spec` as `target` at `out`; returns what was written. */
async function write(spec: ModelSpec, target: Target, out: string): Promise<string> {
  if (target === 'safetensors') {
    await writeFileAtomic(out, serializeSafetensors(spec.stateDict, metadataOf(spec)));
    return out;
  }
  if (target === 'json') {
    const tensors = JSON.parse(serializeStateDictJson(spec.stateDict)) as Record<string, unknown>;
    await writeFileAtomic(out, JSON.stringify({ __metadata__: metadataOf(spec), ...tensors }));
    return out;
  }
  return `${await saveTfjsModel(out, spec.config, spec.stateDict)} + weights.bin`;
}

/**
 * `tfjs-rnn convert --to safetensors|json|tfjs OUT`: between PyTorch state dict files and a
 * tfjs LayersModel, recording the `nn.RNN` configuration in what it writes.
 */
export async function convertCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseFlags(argv, CONVERT_FLAGS, ['OUT']);
  const target = choice(values, 'to', TARGETS, undefined);
  if (target === undefined) throw new UsageError('--to', `one of ${TARGETS.join(', ')}`, 'nothing');
  const [out] = positionals;
  const extension = EXTENSIONS[target];
  if (extension !== undefined && extname(out).toLowerCase() !== extension) {
    throw new UsageError('OUT', `a path ending in ${extension} for --to ${target}`, `'${out}'`);
  }
  const namedOutputs = (target === 'tfjs' ? Object.values(tfjsModelFiles(out)) : [out]).map((path) => ({ name: 'OUT', path }));
  checkOutputFiles(namedOutputs, fileFlags(CONVERT_FLAGS, values, 'input'), target === 'tfjs');
  await initBackend(backendFlag(values));
  const weights = await readWeightsFile(requiredString(values, 'weights'));
  checkOutputFiles(namedOutputs, weightFiles(weights.sources), target === 'tfjs');
  const spec = await resolveModel(weights, optionalString(values, 'config'));
  const written = await write(spec, target, out);
  io.stdout.write(`${weights.path} (${weights.format}) -> ${written} (${target})\n`);
  return EXIT_OK;
}
