import { FullRNNConfig, numDirections } from './config';
import { WeightsError, formatShape } from '../errors';

export type ParameterKind = 'weight_ih' | 'weight_hh' | 'bias_ih' | 'bias_hh';

/** One PyTorch parameter: its `state_dict` name and shape. */
export interface ParameterSpec {
  /** e.g. `weight_ih_l1_reverse`. */
  name: string;
  kind: ParameterKind;
  layer: number;
  /** 0 forward, 1 reverse. */
  direction: number;
  /** `[H, H_in]` or `[H, D·H]` for `weight_ih`, `[H, H]` for `weight_hh`, `[H]` for biases. */
  shape: number[];
}

/** The name PyTorch gives a parameter: `${kind}_l${layer}` plus `_reverse` for direction 1. */
export function parameterName(kind: ParameterKind, layer: number, direction: number): string {
  return `${kind}_l${layer}${direction === 1 ? '_reverse' : ''}`;
}

/** Input features of a layer: `inputSize` for layer 0, `D·hiddenSize` above it. */
export function layerInputSize(config: FullRNNConfig, layer: number): number {
  return layer === 0 ? config.inputSize : numDirections(config) * config.hiddenSize;
}

/**
 * Every parameter of a configuration in PyTorch's order: layer by layer, forward then
 * reverse, and within each `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`.
 */
export function parameterSpecs(config: FullRNNConfig): ParameterSpec[] {
  const { hiddenSize } = config;
  const kinds: ParameterKind[] = config.bias
    ? ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh']
    : ['weight_ih', 'weight_hh'];
  const specs: ParameterSpec[] = [];
  for (let layer = 0; layer < config.numLayers; layer++) {
    for (let direction = 0; direction < numDirections(config); direction++) {
      for (const kind of kinds) {
        const shape =
          kind === 'weight_ih' ? [hiddenSize, layerInputSize(config, layer)]
          : kind === 'weight_hh' ? [hiddenSize, hiddenSize]
          : [hiddenSize];
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
