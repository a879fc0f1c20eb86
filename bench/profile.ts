/**
 * Where one ManualRNN call spends its time: `tf.profile` kernel times summed by kernel
 * (and by input shapes for matMuls), next to the call's wall time. Part of `--micro`.
 */
import * as tf from '@tensorflow/tfjs';
import { SHAPES, describeShape } from './shapes';
import { Mode } from './record';
import { makeTwins, workload } from './workloads';

/** Shapes profiled: the cheap ones (the tables' #1 and #2). */
const PROFILED_SHAPES = [0, 1];
const TOP_KERNELS = 8;

export interface KernelTotal {
  /** Kernel name; matMuls also carry their input shapes, e.g. `BatchMatMul [1,3200,64]·[1,3200,128]`. */
  kernel: string;
  calls: number;
  ms: number;
}

export interface ProfileRecord {
  backend: string;
  shape: string;
  mode: Mode;
  wallMs: number;
  /** Sum of the registered kernels' times (wrappers such as customGrad scopes left out). */
  kernelMs: number;
  top: KernelTotal[];
}

function kernelKey(kernel: { name: string; inputShapes: number[][] }): string {
  if (!kernel.name.includes('MatMul')) return kernel.name;
  return `${kernel.name} ${kernel.inputShapes.filter((shape) => shape).slice(0, 2).map((shape) => `[${shape}]`).join('·')}`;
}

async function profileCall(call: () => void): Promise<{ kernelMs: number; top: KernelTotal[] }> {
  const info = await tf.profile(call);
  const totals = new Map<string, KernelTotal>();
  for (const kernel of info.kernels) {
    if (tf.getKernel(kernel.name, tf.getBackend()) === undefined) continue;
    const ms = await kernel.kernelTimeMs;
    const key = kernelKey(kernel);
    const total = totals.get(key) ?? { kernel: key, calls: 0, ms: 0 };
    total.calls++;
    total.ms += typeof ms === 'number' ? ms : 0;
    totals.set(key, total);
  }
  const sorted = [...totals.values()].sort((a, b) => b.ms - a.ms);
  return { kernelMs: sorted.reduce((sum, total) => sum + total.ms, 0), top: sorted.slice(0, TOP_KERNELS) };
}

/** Profiles one inference and one training call of ManualRNN on the active backend. */
export async function profileManual(): Promise<ProfileRecord[]> {
  const records: ProfileRecord[] = [];
  for (const index of PROFILED_SHAPES) {
    const shape = SHAPES[index];
    const twins = makeTwins(shape, 'RNN', 1);
    const input = tf.randomNormal([shape.batch, shape.seq, shape.input], 0, 1, 'float32', 2);
    for (const mode of ['inference', 'train'] as const) {
      const call = () => workload(twins, 'manual', mode)(input);
      call();
      const start = performance.now();
      call();
      const wallMs = performance.now() - start;
      records.push({ backend: tf.getBackend(), shape: describeShape(shape), mode, wallMs, ...(await profileCall(call)) });
    }
    tf.dispose(input);
    twins.manual.dispose();
    twins.layers.dispose();
  }
  return records;
}

export function formatProfiles(records: readonly ProfileRecord[]): string {
  return records
    .map((record) => {
      const direct = record.backend === 'wasm' ? " (the forward steps call wasm's kernels directly: in the wall time, not listed)" : '';
      const heading = `${record.backend} — kernel profile of one ManualRNN ${record.mode} call ${record.shape}: wall ${record.wallMs.toFixed(1)} ms, kernels ${record.kernelMs.toFixed(1)} ms${direct}`;
      const lines = record.top.map(
        (total) => `  ${total.kernel.padEnd(42)} ${total.ms.toFixed(1).padStart(8)} ms ${String(total.calls).padStart(6)} calls`,
      );
      return [heading, ...lines].join('\n');
    })
    .join('\n\n');
}
