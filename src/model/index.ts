export { WholeModelSpec, LayerSpec, CheckedLayer, CheckedModelSpec, checkModelSpec } from './spec';
export { ManualWholeModel, LayersWholeModel, PredictOptions, SPEC_METADATA_KEY, specJson } from './model';
export { buildTwinModel, TWIN_INPUTS } from './twin';
export { WholeModelStream } from './model';
export { SwapBatchAxes, LengthsMask, ZeroPaddedSteps, LastLayerHidden } from './layers/graphLayers';
export { LAYER_TYPES, LayerTypeName, SequenceReduction, BoundLayer, LayerType, LayerForward, FieldSpec } from './layers';
export { bindModel } from './bind';
export { FlowKind } from './flow';
