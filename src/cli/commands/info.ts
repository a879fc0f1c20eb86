import { availableBackends, initBackend } from '../../backend';
import { checkConfig, parameterSpecs } from '../../config';
import { describeEngines } from '../../manual';
import { formatShape } from '../../errors';
import { shapeSize } from '../../formats';
import { backendFlag, optionalString, parseFlags } from '../flags';
import { CliIO, EXIT_OK } from '../io';
import { WEIGHTS_FLAGS, describeInferred, describeTorchArgs, inferWeightsConfig, readWeightsFlags, resolveModel } from '../modelFile';

const INFO_FLAGS = {
  ...WEIGHTS_FLAGS,
  config: { type: 'string', file: 'input' },
  backend: { type: 'string' },
} as const;

/**
 * `tfjs-rnn info`: what the weights say (inferred configuration, parameter names and shapes,
 * parameter count), the full configuration when --config is given or recorded, the backend
 * a run would use and which engines compute there (`describeEngines`).
 */
export async function infoCommand(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseFlags(argv, INFO_FLAGS);
  const backend = await initBackend(backendFlag(values));
  const weights = await readWeightsFlags(values);
  const inferred = inferWeightsConfig(weights);
  const configPath = optionalString(values, 'config');
  const entry = weights.entry === undefined ? '' : `, checkpoint['${weights.entry}']`;
  const lines = [`weights: ${weights.path} (${weights.format}${entry})`, `inferred from the weights: ${describeInferred(inferred)}`];
  if (configPath !== undefined || weights.recordedArgs !== undefined) {
    const { config, configSource } = await resolveModel(weights, configPath);
    lines.push(`config: ${describeTorchArgs(config)} from ${configSource}`);
  } else {
    const needed = inferred.mode === 'RNN' ? 'nonlinearity, batch_first and dropout' : 'batch_first and dropout';
    lines.push(`config: none recorded (${needed} need --config to run)`);
  }
  const specs = parameterSpecs(checkConfig(inferred));
  const width = Math.max(...specs.map((spec) => spec.name.length));
  lines.push('parameters:', ...specs.map((spec) => `  ${spec.name.padEnd(width)}  ${formatShape(spec.shape)}`));
  lines.push(`parameter count: ${specs.reduce((total, spec) => total + shapeSize(spec.shape), 0)}`);
  lines.push(`backend: ${backend} (available: ${availableBackends().join(', ')})`);
  lines.push(`engines: ${describeEngines()}`);
  io.stdout.write(`${lines.join('\n')}\n`);
  return EXIT_OK;
}
