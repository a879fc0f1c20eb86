/**
 * The page of `npm run bench:browser`: the package's browser entry as an application bundles
 * it, timing a hand-written model's inference (eval-mode forward, output read back) on the
 * wasm backend with the thread count the driver asks for.
 */
import * as tf from '@tensorflow/tfjs';
import { ManualModel, getThreadsCount, initBackend, setWasmPaths } from 'tfjs-rnn';
import { PageShape, PageTimes } from './types';

declare global {
  interface Window {
    tfjsRnnBench?: (threads: number, shapes: PageShape[], calls: number) => Promise<PageTimes>;
  }
}

function timeShape({ mode, batch, seq, input: inputSize, hidden }: PageShape, calls: number): number[] {
  const model = new ManualModel({ mode, inputSize, hiddenSize: hidden, batchFirst: true }, { seed: 1 });
  model.eval();
  const input = tf.randomNormal([batch, seq, inputSize], 0, 1, 'float32', 2);
  const call = () => {
    const start = performance.now();
    const result = model.forward(input);
    result.output.dataSync();
    tf.dispose(Object.values(result));
    return performance.now() - start;
  };
  call();
  const times = Array.from({ length: calls }, call);
  input.dispose();
  model.dispose();
  return times;
}

window.tfjsRnnBench = async (threads, shapes, calls) => {
  setWasmPaths('./');
  await initBackend('wasm', { threads });
  return { threads: getThreadsCount(), crossOriginIsolated: self.crossOriginIsolated, msPerCall: shapes.map((shape) => timeShape(shape, calls)) };
};
