import { availableBackends, initBackend } from '../../backend';
import { checkConfig, parameterSpecs } from '../../config';
import { describeEngines, describeWasmSupport } from '../../manual';
import { formatShape } from '../../errors';
import { describeModule, shapeSize } from '../../formats';
import { backendFlag, optionalString, parseFlags } from '../flags';
import { CliIO, EXIT_OK } from '../io';
import {
  CONFIG_FLAGS,
  StateDictFile,
  StateDictModules,
  WEIGHTS_FLAGS,
  chooseRecurrentModule,
  configFlags,
  describeInferred,
  describeTorchArgs,
  inferWeightsConfig,
  listModules,
  readStateDictFlags,
  resolveModel,
} from '../modelFile';

export const INFO_FLAGS = {
  ...WEIGHTS_FLAGS,
  ...CONFIG_FLAGS,
  backend: { type: 'string' },
} as const;

/** The lines about the file and every module it holds: recurrent ones, then the others by prefix and shape. */
function moduleLines(weights: StateDictFile, modules: StateDictModules): string[] {
  const entry = weights.entry === undefined ? '' : `, checkpoint${weights.entry.split('.').length > 1 ? ` key ${weights.entry}` : `['${weights.entry}']`}`;
  const wrappers = modules.wrappers.length === 0 ? '' : `, wrapper prefix ${modules.wrappers.join('')} stripped from every key`;
  const lines = [`weights: ${weights.path} (${weights.format}${entry}${wrappers})`];
  lines.push(`recurrent modules (${modules.recurrent.length}):`, ...modules.recurrent.map((module) => `  ${describeModule(module)}`));
  if (modules.others.length > 0) lines.push(`other modules (${modules.others.length}):`, ...modules.others.map((module) => `  ${describeModule(module)}`));
  return lines;
}

/**
 * `tfjs-rnn info`: the modules of the weights (each recurrent module with what its keys and
 * shapes say, the others by prefix and shape); then for the recurrent module chosen (`--prefix`,
 * or the only one) its configuration — inferred, completed by --config, the recorded one or the
 * flags — parameter names and shapes, parameter count; the backend a run would use, which
 * engines compute there (`describeEngines`) and which tfjs-backend-wasm versions get the wasm
 * engine (`describeWasmSupport`).
 */
export async function infoCommand(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseFlags(argv, INFO_FLAGS);
  const backend = await initBackend(backendFlag(values));
  const file = await readStateDictFlags(values);
  const modules = listModules(file);
  const lines = moduleLines(file, modules);
  const prefix = optionalString(values, 'prefix');
  if (prefix === undefined && modules.recurrent.length > 1) {
    lines.push(`module: choose one of the ${modules.recurrent.length} recurrent modules with --prefix (e.g. --prefix ${(modules.recurrent.find((module) => module.prefix !== '') ?? modules.recurrent[0]).prefix.slice(0, -1)}) for run, check, convert and info`);
  } else {
    const weights = chooseRecurrentModule(file, prefix, { allowNonfinite: values['allow-nonfinite'] === true });
    const inferred = inferWeightsConfig(weights);
    const flags = configFlags(values);
    const { config, configSource } = await resolveModel(weights, flags);
    lines.push(`module: '${weights.module.prefix}'${prefix === undefined ? ' (the only recurrent one)' : ' (--prefix)'}`, `inferred from the weights: ${describeInferred(inferred)}`);
    if (flags.configPath !== undefined || weights.recordedArgs !== undefined) {
      lines.push(`config: ${describeTorchArgs(config)} from ${configSource}`);
    } else {
      const given = [flags.batchFirst ? '--batch-first' : '', flags.nonlinearity === undefined ? '' : '--nonlinearity'].filter((flag) => flag !== '');
      const unknown = inferred.mode === 'RNN' ? 'nonlinearity, batch_first and dropout' : 'batch_first and dropout';
      const hint = inferred.mode === 'RNN' ? '--nonlinearity, --batch-first or --config' : '--batch-first or --config';
      lines.push(`config: ${describeTorchArgs(config)} from the weights${given.map((flag) => ` and ${flag}`).join('')} (they cannot tell ${unknown}: PyTorch's defaults unless given with ${hint})`);
    }
    const specs = parameterSpecs(checkConfig(inferred));
    const width = Math.max(...specs.map((spec) => spec.name.length));
    lines.push('parameters:', ...specs.map((spec) => `  ${spec.name.padEnd(width)}  ${formatShape(spec.shape)}`));
    lines.push(`parameter count: ${specs.reduce((total, spec) => total + shapeSize(spec.shape), 0)}`);
  }
  lines.push(`backend: ${backend} (available: ${availableBackends().join(', ')})`);
  lines.push(`engines: ${describeEngines()}`);
  lines.push(`wasm engine: ${describeWasmSupport()}`);
  io.stdout.write(`${lines.join('\n')}\n`);
  return EXIT_OK;
}
