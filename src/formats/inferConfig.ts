import { FullRNNConfig, GATE_COUNTS, Mode, checkConfig, checkParameterShapes, parameterName } from '../config';
import { ConfigError, WeightsError, formatShape } from '../errors';
import { HostArray, hostArray } from './hostArray';

/** The part of a configuration a `state_dict`'s keys and shapes determine. */
export type InferredConfig = Pick<FullRNNConfig, 'mode' | 'inputSize' | 'hiddenSize' | 'numLayers' | 'bidirectional' | 'bias' | 'projSize'>;

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

/** The mode whose gate count `G` is `weight_hh`'s rows ÷ its columns (without projection). */
function modeOfGates(gates: number): Mode | undefined {
  return (Object.keys(GATE_COUNTS) as Mode[]).find((mode) => GATE_COUNTS[mode] === gates);
}

/**
 * Reads the configuration off PyTorch's keys and shapes: `weight_hr_l0` `[P, H]` makes an
 * LSTM with `projSize` P; otherwise `weight_hh_l0` `[G·H, H]` gives the mode by G (1 RNN,
 * 4 LSTM, 3 GRU) and H; `weight_ih_l0` `[G·H, I]` the input size; the `weight_ih_l{k}`
 * present the layers, `_reverse` keys bidirectional and `bias_ih_l0` the bias. An RNN's
 * nonlinearity is not in the weights (tanh unless a configuration says relu). Throws a
 * `WeightsError` when those keys are missing or misshaped, or when the rest of `tensors`
 * does not fit what was read.
 */
export function inferConfig(tensors: Record<string, HostArray>): InferredConfig {
  const shapeOf = (name: string, expected: string): number[] => {
    if (!hasKey(tensors, name)) throw new WeightsError([`missing key '${name}'`]);
    const { shape } = tensors[name];
    if (shape.length !== 2 || shape[0] === 0 || shape[1] === 0) {
      throw new WeightsError([`${name}: expected shape ${expected} of positive sizes, got ${formatShape(shape)}`]);
    }
    return shape;
  };
  const [gateSize, inputSize] = shapeOf(parameterName('weight_ih', 0, 0), '[gates·hidden_size, input_size]');
  const [recurrentRows, recurrentColumns] = shapeOf(parameterName('weight_hh', 0, 0), '[gates·hidden_size, hidden_size]');
  const projection = hasKey(tensors, parameterName('weight_hr', 0, 0))
    ? shapeOf(parameterName('weight_hr', 0, 0), '[proj_size, hidden_size]')
    : undefined;
  const mode = projection ? 'LSTM' : modeOfGates(recurrentRows / recurrentColumns);
  if (mode === undefined) {
    const name = parameterName('weight_hh', 0, 0);
    throw new WeightsError([
      `${name}: expected [G·hidden_size, hidden_size] with G = 1 (RNN), 4 (LSTM) or 3 (GRU), got ${formatShape([recurrentRows, recurrentColumns])}`,
    ]);
  }
  let numLayers = 1;
  while (hasKey(tensors, parameterName('weight_ih', numLayers, 0))) numLayers++;
  const inferred: InferredConfig = {
    mode,
    inputSize,
    hiddenSize: projection ? projection[1] : gateSize / GATE_COUNTS[mode],
    numLayers,
    bidirectional: hasKey(tensors, parameterName('weight_ih', 0, 1)),
    bias: hasKey(tensors, parameterName('bias_ih', 0, 0)),
    projSize: projection ? projection[0] : 0,
  };
  try {
    checkStateDict(tensors, checkConfig(inferred));
  } catch (error) {
    if (error instanceof ConfigError) throw new WeightsError([`the weights describe no valid ${mode}: ${error.message}`]);
    throw error;
  }
  return inferred;
}
