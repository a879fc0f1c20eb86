export { WholeModelSpec, LayerSpec, CheckedLayer, CheckedModelSpec, checkModelSpec } from './spec';
export { ManualWholeModel, LayersWholeModel, PredictOptions } from './model';
export { LAYER_TYPES, LayerTypeName, SequenceReduction, BoundLayer, LayerType, LayerForward, FieldSpec } from './layers';
export { bindModel } from './bind';
export { FlowKind } from './flow';
