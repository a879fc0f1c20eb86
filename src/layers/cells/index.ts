export { GRUResetAfterCell, GRUResetAfterCellArgs } from './gruResetAfterCell';
export { GRUResetAfter, GRUResetAfterArgs } from './gruResetAfter';
export { LSTMProjectionCell, LSTMProjectionCellArgs } from './lstmProjectionCell';
export { LSTMProjection, LSTMProjectionArgs } from './lstmProjection';
