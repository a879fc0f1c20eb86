import { extname } from 'path';
import { initBackend } from '../../backend';
import { toTorchArgs } from '../../config';
import { serializeSafetensors, serializeStateDictJson, serializeTorchFile, writeFileAtomic } from '../../formats';
import { UsageError, backendFlag, choice, parseFlags } from '../flags';
import { CliIO, EXIT_OK } from '../io';
import { CONFIG_FLAGS, ModelSpec, WEIGHTS_FLAGS, configFlags, readWeightsFlags, resolveModel } from '../modelFile';
import { checkOutputFiles, fileFlags, weightFiles } from '../outputPaths';
import { CONFIG_KEY, saveTfjsModel, tfjsModelFiles } from '../tfjsModel';

const CONVERT_FLAGS = {
  ...WEIGHTS_FLAGS,
  ...CONFIG_FLAGS,
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
    const tensors = JSON.parse(serializeStateDictJson(spec.stateDict)) as Record<string, unknown>;
    await writeFileAtomic(out, JSON.stringify({ __metadata__: metadataOf(spec), ...tensors }));
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
