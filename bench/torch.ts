import { spawnSync } from 'child_process';
import * as path from 'path';
import { Mode as Cell } from '../src/config';
import { BenchRecord } from './record';
import { BenchShape } from './shapes';
import { TimingPolicy } from './timing';

/** The interpreter the PyTorch column needs (Debian's python3-torch). */
export const PYTHON = '/usr/bin/python3';

/** The PyTorch timings, or why there are none. */
export type TorchResult = { records: BenchRecord[]; note?: undefined } | { records: []; note: string };

/**
 * Runs bench/torch_bench.py on `shapes` of `cells` with one thread. Its budget is half the
 * policy's, as it times one implementation where the tfjs measurements time two.
 */
export function runTorchBench(shapes: readonly BenchShape[], cells: readonly Cell[], policy: TimingPolicy): TorchResult {
  const request = { shapes, cells, runs: policy.runs ?? null, minRuns: policy.minRuns, budgetMs: policy.budgetMs / 2, maxRuns: policy.maxRuns };
  const result = spawnSync(PYTHON, [path.join(__dirname, 'torch_bench.py'), JSON.stringify(request)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 2 ** 20,
  });
  if (result.error) return { records: [], note: `PyTorch column skipped: ${PYTHON} cannot run (${result.error.message})` };
  if (result.status !== 0) return { records: [], note: `PyTorch column skipped: torch_bench.py exited with ${result.status}` };
  const answer = JSON.parse(result.stdout) as { available: boolean; reason?: string; records?: BenchRecord[] };
  if (!answer.available || !answer.records) return { records: [], note: `PyTorch column skipped: ${answer.reason}` };
  return { records: answer.records };
}
