import * as path from 'path';
import * as ts from 'typescript';
import * as browser from '../../src/browser';
import * as node from '../../src';

/**
 * The public surface, name by name with its kind: a change to it is a reviewed change to this
 * list (and to docs/api.md). Internals (file and archive primitives, tuning constants, checks)
 * are imported by module path, never through an entry.
 */
const BROWSER_EXPORTS: Record<string, 'class' | 'function' | 'const' | 'type'> = {
  ...kinds('class', [
    'ArgumentError', 'BackendError', 'ConfigError', 'DtypeError', 'FormatError', 'GRUResetAfter',
    'GRUResetAfterCell', 'LSTMProjection', 'LSTMProjectionCell', 'LayersGRU', 'LayersLSTM', 'LayersModel',
    'LayersRNN', 'ManualGRU', 'ManualLSTM', 'ManualModel', 'ManualRNN', 'RNNError', 'ShapeError',
    'StreamingRNN', 'WeightsError', 'ModelSpecError', 'PrefixError', 'ManualWholeModel', 'LayersWholeModel',
    'LastLayerHidden', 'LengthsMask', 'SwapBatchAxes', 'ZeroPaddedSteps', 'SequenceReduction',
  ]),
  ...kinds('function', [
    'availableBackends', 'checkConfig', 'checkStateDict', 'compareArrays', 'compareTensors',
    'copyLayersToManual', 'copyManualToLayers', 'createLayersModel', 'createManualModel',
    'describeComparison', 'detectStateDictFormat', 'disposeKerasWeights', 'fromTorchArgs', 'getBackendName',
    'gradientsByName', 'groupKerasWeights', 'hostArray', 'inferConfig', 'initBackend', 'kerasToTorch',
    'layerInputSize', 'lossGradients', 'numDirections', 'outputSize', 'parameterName', 'parameterSpecs',
    'parseNpy', 'parseSafetensors', 'parseStateDict', 'parseStateDictJson', 'parseTorchFile', 'serializeNpy',
    'serializeSafetensors', 'serializeStateDict', 'serializeStateDictJson', 'serializeTorchFile',
    'setWasmPaths', 'stateShapes', 'toHostArrays', 'toTensors', 'toTorchArgs', 'torchToKeras', 'trainStep',
    'getThreadsCount', 'backendCapabilities', 'describeModule', 'findOtherModules', 'findRecurrentModules',
    'selectModule', 'stripWrapperPrefixes', 'checkModelSpec', 'generate',
  ]),
  ...kinds('const', [
    'BACKEND_NAMES', 'CHECKPOINT_KEYS', 'FORWARD_TOLERANCE', 'GATE_COUNTS', 'GRADIENT_TOLERANCE', 'MODES',
    'STATE_DICT_FORMATS',
  ]),
  ...kinds('type', [
    'BackendName', 'Comparison', 'ForwardCallOptions', 'ForwardOptions', 'FullRNNConfig', 'GRUConfig',
    'GRUResetAfterArgs', 'GRUResetAfterCellArgs', 'HostArray', 'InferredConfig', 'InitialState',
    'Initialization', 'KerasDirectionWeights', 'KerasWeights', 'LSTMConfig', 'LSTMProjectionArgs',
    'LSTMProjectionCellArgs', 'LayersOptions', 'LossGradients', 'ManualOptions', 'Mode', 'Nonlinearity',
    'NpyDtype', 'NumericArray', 'Objective', 'ParameterKind', 'ParameterSpec', 'RNNConfig', 'RNNOutput',
    'RecurrentModel', 'Safetensors', 'SequenceLengths', 'SequenceLoss', 'StateDictFormat', 'StateDictInput',
    'StepLoop', 'Tolerance', 'TorchFileOptions', 'TorchMode', 'TorchRNNArgs', 'TorchStateDict',
    'TrainStepOptions', 'TrainableModel', 'BackendCapabilities', 'SyncReads', 'BackendOptions', 'StateDictOptions',
    'OtherModule', 'RecurrentModule', 'CheckedModelSpec', 'LayerSpec', 'PredictOptions', 'WholeModelSpec',
    'GenerateOptions',
  ]),
};

/** What only the Node entry has: state_dict files on disk and the backend environment variable. */
const NODE_EXPORTS = { ...BROWSER_EXPORTS, ...kinds('function', ['loadStateDict', 'saveStateDict']), ...kinds('const', ['BACKEND_ENV']) };

function kinds<K extends string>(kind: K, names: string[]): Record<string, K> {
  return Object.fromEntries(names.map((name) => [name, kind]));
}

/** `class`, `function` or `const`, by what the value is at run time. */
function runtimeKind(value: unknown): string {
  if (typeof value !== 'function') return 'const';
  return /^class\b/.test(Function.prototype.toString.call(value)) ? 'class' : 'function';
}

const SRC = path.join(__dirname, '..', '..', 'src');
const ENTRIES = ['index.ts', 'browser.ts'].map((file) => path.join(SRC, file));
let entriesProgram: ts.Program | undefined;

/** Every name an entry declares (types included), from its TypeScript source; one program holds both entries. */
function declaredNames(entry: string): string[] {
  const program = (entriesProgram ??= ts.createProgram(ENTRIES, { strict: true, skipLibCheck: true, types: [] }));
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(entry) as ts.SourceFile) as ts.Symbol;
  return checker.getExportsOfModule(module).map((symbol) => symbol.name);
}

describe.each([
  ['Node', 'index.ts', node as Record<string, unknown>, NODE_EXPORTS],
  ['browser', 'browser.ts', browser as Record<string, unknown>, BROWSER_EXPORTS],
] as const)('the %s entry exports exactly the reviewed list', (_, file, entry, expected) => {
  test('its run-time names, each of its kind (class, function or const)', () => {
    const actual = Object.fromEntries(Object.keys(entry).map((name) => [name, runtimeKind(entry[name])]));
    const runtime = Object.fromEntries(Object.entries(expected).filter(([, kind]) => kind !== 'type'));
    expect(sorted(actual)).toEqual(sorted(runtime));
  });

  test('its names with the types, those absent at run time being type-only', () => {
    const declared = declaredNames(path.join(SRC, file));
    const actual = Object.fromEntries(declared.map((name) => [name, name in entry ? runtimeKind(entry[name]) : 'type']));
    expect(sorted(actual)).toEqual(sorted(expected));
  }, 120_000);
});

/** `record` with its keys sorted, so that a difference reads as a list. */
function sorted(record: Record<string, string>): [string, string][] {
  return Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
}
