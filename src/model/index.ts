export { WholeModelSpec, LayerSpec, CheckedLayer, CheckedModelSpec, checkModelSpec } from './spec';
export { ManualWholeModel, LayersWholeModel, PredictOptions } from './model';
export { LAYER_TYPES, LayerTypeName, SequenceReduction } from './layers';
export { FlowKind } from './flow';
