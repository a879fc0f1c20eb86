// The public surface both entries share (`index.ts` for Node, `browser.ts` for bundlers), named
// one by one so that a change to it is a reviewed change (`__tests__/api/exports.test.ts` holds
// the list). Internals (file primitives, tuning constants, checks) are imported by module path.
export { GATE_COUNTS, MODES, checkConfig, fromTorchArgs, layerInputSize, numDirections, outputSize, parameterName, parameterSpecs, toTorchArgs } from './config';
export type { FullRNNConfig, GRUConfig, LSTMConfig, Mode, Nonlinearity, ParameterKind, ParameterSpec, RNNConfig, TorchMode, TorchRNNArgs } from './config';
export { ArgumentError, BackendError, ConfigError, DtypeError, FormatError, ModelSpecError, PrefixError, RNNError, ShapeError, WeightsError } from './errors';
export { BACKEND_NAMES, getBackendName } from './backend/select';
export type { BackendName } from './backend/select';
export { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
export { backendCapabilities } from './backend/capabilities';
export type { BackendCapabilities, SyncReads } from './backend/capabilities';
export type { BackendOptions } from './backend/wasmThreads';
export { stateShapes } from './shapes';
export type { ForwardOptions, InitialState, RNNOutput, RecurrentModel, SequenceLengths } from './shapes';
export { ManualGRU, ManualLSTM, ManualModel, ManualRNN, createManualModel } from './manual/model';
export type { ManualOptions } from './manual/model';
export type { StepLoop } from './manual/plan';
export type { StateDictInput } from './manual/stateDict';
export { LayersGRU, LayersLSTM, LayersModel, LayersRNN, createLayersModel, groupKerasWeights } from './layers/model';
export type { LayersOptions } from './layers/model';
export type { Initialization } from './layers/build';
export { GRUResetAfter, GRUResetAfterCell, LSTMProjection, LSTMProjectionCell } from './layers/cells';
export type { GRUResetAfterArgs, GRUResetAfterCellArgs, LSTMProjectionArgs, LSTMProjectionCellArgs } from './layers/cells';
export { copyLayersToManual, copyManualToLayers, disposeKerasWeights, kerasToTorch, torchToKeras } from './mapping';
export type { KerasDirectionWeights, KerasWeights } from './mapping';
export {
  CHECKPOINT_KEYS,
  STATE_DICT_FORMATS,
  checkStateDict,
  detectStateDictFormat,
  hostArray,
  inferConfig,
  parseNpy,
  parseSafetensors,
  parseStateDict,
  parseStateDictJson,
  parseTorchFile,
  serializeNpy,
  serializeSafetensors,
  serializeStateDict,
  serializeStateDictJson,
  serializeTorchFile,
  toHostArrays,
  toTensors,
} from './formats/browser';
export type { HostArray, InferredConfig, NpyDtype, Safetensors, StateDictFormat, StateDictOptions, TorchFileOptions, TorchStateDict } from './formats/browser';
export { FORWARD_TOLERANCE, GRADIENT_TOLERANCE, compareArrays, compareTensors, describeComparison } from './compare';
export type { Comparison, NumericArray, Tolerance } from './compare';
export { gradientsByName, lossGradients, trainStep } from './training';
export type { ForwardCallOptions, LossGradients, Objective, SequenceLoss, TrainStepOptions, TrainableModel } from './training';
export { StreamingRNN } from './streaming';
export { describeModule, findOtherModules, findRecurrentModules, selectModule, stripWrapperPrefixes } from './formats/modules';
export type { OtherModule, RecurrentModule } from './formats/modules';
export { LayersWholeModel, ManualWholeModel, checkModelSpec } from './model';
export type { CheckedModelSpec, LayerSpec, PredictOptions, WholeModelSpec } from './model';
export { LastLayerHidden, LengthsMask, SwapBatchAxes, ZeroPaddedSteps } from './model/layers/graphLayers';
export { SequenceReduction } from './model/layers';
export { generate } from './generate';
export type { GenerateOptions } from './generate';
