// A web page's script, bundled by pack.test.ts from the packed package installed in a project
// (the browser entry, @tensorflow/tfjs-core, no umbrella) and run in Chromium: the tf.layers twin
// of nn.GRU loads a PyTorch state_dict and runs a fixture on the backend asked for.
import * as tf from '@tensorflow/tfjs-core';
import { FORWARD_TOLERANCE, LayersGRU, compareTensors, describeComparison, fromTorchArgs, initBackend, parseStateDict, setWasmPaths, toTensors } from 'tfjs-rnn';

setWasmPaths('/wasm/');

/** The fixture through LayersGRU on `backend`: the active backend, what differs from PyTorch, tensors left behind. */
window.runTwin = async (backend, fixture, stateDictJson) => {
  await initBackend(backend);
  const tensor = (stored) => tf.tensor(stored.data, stored.shape, 'float32');
  const before = tf.memory().numTensors;
  const gru = new LayersGRU(fromTorchArgs(fixture.config));
  const weights = toTensors(parseStateDict(new TextEncoder().encode(stateDictJson), 'json', 'gru.json'));
  gru.loadStateDict(weights);
  tf.dispose(Object.values(weights));
  const [input, h0, output, hN] = [fixture.input, fixture.h0, fixture.output, fixture.h_n].map(tensor);
  const actual = gru.forward(input, h0);
  const problems = [
    ['output', compareTensors(actual.output, output, FORWARD_TOLERANCE)],
    ['hN', compareTensors(actual.hN, hN, FORWARD_TOLERANCE)],
  ].flatMap(([key, comparison]) => (comparison.ok ? [] : [describeComparison(key, comparison)]));
  tf.dispose([input, h0, output, hN, actual.output, actual.hN]);
  gru.dispose();
  return { backend: tf.getBackend(), problems, leaked: tf.memory().numTensors - before };
};
