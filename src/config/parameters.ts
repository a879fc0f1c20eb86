import { FullRNNConfig, GATE_COUNTS, numDirections, outputSize } from './config';
import { WeightsError, formatShape } from '../errors';

export type ParameterKind = 'weight_ih' | 'weight_hh' | 'bias_ih' | 'bias_hh' | 'weight_hr';

/** One PyTorch parameter: its `state_dict` name and shape. */
export interface ParameterSpec {
  /** e.g. `weight_ih_l1_reverse`. */
  name: string;
  kind: ParameterKind;
  layer: number;
  /** 0 forward, 1 reverse. */
  direction: number;
  /**
   * `weight_ih` `[G·H, H_in]` (`[G·H, D·H_out]` above layer 0), `weight_hh` `[G·H, H_out]`,
   * biases `[G·H]`, `weight_hr` `[H_out, H]` (LSTM with `projSize` only).
   */
  shape: number[];
}

/** The name PyTorch gives a parameter: `${kind}_l${layer}` plus `_reverse` for direction 1. */
export function parameterName(kind: ParameterKind, layer: number, direction: number): string {
  return `${kind}_l${layer}${direction === 1 ? '_reverse' : ''}`;
}

/** Input features of a layer: `inputSize` for layer 0, `D·H_out` above it. */
export function layerInputSize(config: FullRNNConfig, layer: number): number {
  return layer === 0 ? config.inputSize : numDirections(config) * outputSize(config);
}

/**
 * Every parameter of a configuration in PyTorch's order: layer by layer, forward then
 * reverse, and within each `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`, `weight_hr`.
 */
export function parameterSpecs(config: FullRNNConfig): ParameterSpec[] {
  const { hiddenSize, projSize } = config;
  const gateSize = GATE_COUNTS[config.mode] * hiddenSize;
  const kinds: ParameterKind[] = [
    'weight_ih',
    'weight_hh',
    ...(config.bias ? (['bias_ih', 'bias_hh'] as const) : []),
    ...(projSize > 0 ? (['weight_hr'] as const) : []),
  ];
  const specs: ParameterSpec[] = [];
  for (let layer = 0; layer < config.numLayers; layer++) {
    for (let direction = 0; direction < numDirections(config); direction++) {
      for (const kind of kinds) {
        const shape =
          kind === 'weight_ih' ? [gateSize, layerInputSize(config, layer)]
          : kind === 'weight_hh' ? [gateSize, outputSize(config)]
          : kind === 'weight_hr' ? [projSize, hiddenSize]
          : [gateSize];
        specs.push({ name: parameterName(kind, layer, direction), kind, layer, direction, shape });
      }
    }
  }
  return specs;
}

/**
 * Compares named parameters (tensors or host arrays: anything with a `shape`) with what
 * `config` needs and throws one `WeightsError` naming every missing key, unexpected key
 * and wrong shape.
 */
export function checkParameterShapes(
  parameters: Record<string, { readonly shape: readonly number[] }>,
  config: FullRNNConfig,
): void {
  const problems: string[] = [];
  const specs = parameterSpecs(config);
  for (const { name, shape } of specs) {
    const actual = Object.prototype.hasOwnProperty.call(parameters, name) ? parameters[name].shape : undefined;
    if (actual === undefined) {
      problems.push(`missing key '${name}'`);
    } else if (actual.length !== shape.length || actual.some((size, axis) => size !== shape[axis])) {
      problems.push(`${name}: expected shape ${formatShape(shape)}, got ${formatShape(actual)}`);
    }
  }
  const expectedNames = new Set(specs.map((spec) => spec.name));
  for (const name of Object.keys(parameters)) {
    if (!expectedNames.has(name)) problems.push(`unexpected key '${name}'`);
  }
  if (problems.length > 0) throw new WeightsError(problems);
}
