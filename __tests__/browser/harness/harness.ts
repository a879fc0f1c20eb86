/**
 * The parity page: the package's browser entry as an application bundles it, running PyTorch
 * fixtures (which the test passes in) on one backend: each implementation's forward pass and
 * the hand-written model's gradients, read back with `data()` (every backend supports it).
 */
import * as tf from '@tensorflow/tfjs';
import {
  LayersModel,
  ManualModel,
  RNNOutput,
  TorchRNNArgs,
  createLayersModel,
  createManualModel,
  disposeKerasWeights,
  fromTorchArgs,
  getThreadsCount,
  initBackend,
  lossGradients,
  parameterSpecs,
  setWasmPaths,
  torchToKeras,
} from 'tfjs-rnn';
import { FixtureRun, PageFixture, ParityEntry, StoredTensor } from './results';

declare global {
  interface Window {
    tfjsRnnParity?: ParityEntry;
  }
}

function tensorOf({ shape, data }: StoredTensor): tf.Tensor {
  return tf.tensor(data, shape, 'float32');
}

/** The tensors' values, read asynchronously; the tensors are disposed. */
async function stored(tensors: Record<string, tf.Tensor | undefined>): Promise<Record<string, StoredTensor>> {
  const entries = Object.entries(tensors).filter((entry): entry is [string, tf.Tensor] => entry[1] !== undefined);
  const values = await Promise.all(entries.map(([, tensor]) => tensor.data()));
  entries.forEach(([, tensor]) => tensor.dispose());
  return Object.fromEntries(entries.map(([name, tensor], i) => [name, { shape: tensor.shape, data: Array.from(values[i]) }]));
}

function stateDictOf(fixture: PageFixture): Record<string, tf.Tensor> {
  return Object.fromEntries(Object.entries(fixture.state_dict).map(([name, value]) => [name, tensorOf(value)]));
}

function modelsOf(fixture: PageFixture): { manual: ManualModel; layers: LayersModel } {
  const config = fromTorchArgs(fixture.config as unknown as TorchRNNArgs);
  const manual = createManualModel(config);
  const layers = createLayersModel(config);
  const stateDict = stateDictOf(fixture);
  manual.loadStateDict(stateDict);
  const keras = torchToKeras(stateDict, config);
  layers.setKerasWeights(keras);
  disposeKerasWeights(keras);
  tf.dispose(Object.values(stateDict));
  return { manual, layers };
}

/** `sum(output·d_output) + sum(h_n·d_h_n)` (`+ sum(c_n·d_c_n)`): the fixtures' loss. */
function objectiveOf(fixture: PageFixture): (result: RNNOutput) => tf.Scalar {
  return ({ output, hN, cN }) => {
    const loss = tf.add<tf.Scalar>(tf.sum(tf.mul(output, tensorOf(fixture.d_output))), tf.sum(tf.mul(hN, tensorOf(fixture.d_h_n))));
    return fixture.d_c_n && cN ? tf.add(loss, tf.sum(tf.mul(cN, tensorOf(fixture.d_c_n)))) : loss;
  };
}

async function runFixture(fixture: PageFixture): Promise<FixtureRun> {
  const { manual, layers } = modelsOf(fixture);
  const input = tensorOf(fixture.input);
  const [h0, c0] = [fixture.h0, fixture.c0].map((state) => (state ? tensorOf(state) : undefined));
  const hx = h0 && (c0 ? ([h0, c0] as [tf.Tensor, tf.Tensor]) : h0);
  const lengths = fixture.lengths ?? undefined;
  try {
    manual.eval();
    layers.training = false;
    const forwardOf = (model: ManualModel | LayersModel) => {
      const { output, hN, cN } = model.forward(input, hx as never, { lengths });
      return stored({ output, hN, cN });
    };
    const [manualValues, layersValues] = [await forwardOf(manual), await forwardOf(layers)];
    manual.train();
    const gradients = lossGradients(manual, objectiveOf(fixture), input, { h0, c0, lengths });
    const names = parameterSpecs(manual.config).map(({ name }) => name);
    const grad = await stored({
      ...Object.fromEntries(names.map((name, i) => [name, gradients.variables[i]])),
      input: gradients.input,
      h0: gradients.h0,
      c0: gradients.c0,
    });
    return { name: fixture.name, manual: manualValues, layers: layersValues, grad };
  } finally {
    tf.dispose([input, ...[h0, c0].filter((state): state is tf.Tensor => state !== undefined)]);
    manual.dispose();
    layers.dispose();
  }
}

window.tfjsRnnParity = async (backend, threads, fixtures) => {
  setWasmPaths('./');
  const active = await initBackend(backend, threads === undefined ? {} : { threads });
  const before = tf.memory().numTensors;
  const runs: FixtureRun[] = [];
  for (const fixture of fixtures) runs.push(await runFixture(fixture));
  return {
    backend: active,
    threads: active === 'wasm' ? getThreadsCount() : 0,
    crossOriginIsolated: self.crossOriginIsolated,
    leakedTensors: tf.memory().numTensors - before,
    runs,
  };
};
