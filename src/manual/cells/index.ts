import { FullRNNConfig, Mode } from '../../config';
import { Cell } from './cell';
import { gruCell } from './gru';
import { lstmCell } from './lstm';
import { rnnCell } from './rnn';

export { Cell, StepWeights } from './cell';

const CELLS: Readonly<Record<Mode, (config: FullRNNConfig) => Cell>> = { RNN: rnnCell, LSTM: lstmCell, GRU: gruCell };

/** The cell of a configuration's mode. */
export function cellFor(config: FullRNNConfig): Cell {
  return CELLS[config.mode](config);
}
