import { promises as fs } from 'fs';
import { join } from 'path';
import { Mode } from '../../src/config';
import { HostArray } from '../../src/formats';
import { sameBits } from '../helpers/floats';
import { expectArraysClose, makeTempDir, readNpy, removeTempDir, runCli, sequenceArray, writeModel, writeNpy } from './helpers';

/**
 * `--loop` reaches the hand-written model: on wasm a small model's sequences run on host
 * arrays under `auto` (as `host`) and on wasm's kernels under `tensor`, which round
 * differently, so the bits tell which ran; all agree within the forward tolerance, and each
 * gives the same bytes for any --batch-size. (That worker threads get it too is tested with
 * dist's worker in `subprocess.test.ts`.)
 */

let dir: string;

beforeEach(async () => {
  dir = await makeTempDir();
});

afterEach(async () => {
  await removeTempDir(dir);
});

describe.each<Mode>(['RNN', 'LSTM', 'GRU'])('%s on wasm', (mode) => {
  test('--loop auto, host and tensor: auto runs as host, tensor on the kernels, all within the forward tolerance', async () => {
    const model = await writeModel(dir, { mode, inputSize: 3, hiddenSize: 8, batchFirst: true });
    const input = await writeNpy(dir, 'x.npy', sequenceArray([6, 40, 3], 5));
    const outputs: Record<string, HostArray> = {};
    for (const loop of ['auto', 'host', 'tensor']) {
      const output = join(dir, `out-${loop}.npy`);
      const flags = ['--weights', model.weights, '--config', model.config, '--input', input, '--output', output];
      const result = await runCli(['run', ...flags, '--backend', 'wasm', '--loop', loop, '--workers', '2', '--batch-size', '2', '--quiet']);
      expect([result.code, result.stderr]).toEqual([0, expect.any(String)]);
      outputs[loop] = await readNpy(output);
    }
    expect(sameBits(outputs.auto.data, outputs.host.data)).toBe(true);
    expect(sameBits(outputs.auto.data, outputs.tensor.data)).toBe(false);
    expectArraysClose(outputs.tensor, outputs.auto, `${mode} output, tensor vs auto`);
  });

  test('--loop tensor gives the same bytes for any --batch-size', async () => {
    const model = await writeModel(dir, { mode, inputSize: 3, hiddenSize: 8, batchFirst: true });
    const input = await writeNpy(dir, 'x.npy', sequenceArray([7, 30, 3], 6));
    const files: Buffer[] = [];
    for (const batchSize of ['1', '3', '7']) {
      const output = join(dir, `out-${batchSize}.npy`);
      const flags = ['--weights', model.weights, '--config', model.config, '--input', input, '--output', output];
      const result = await runCli(['run', ...flags, '--backend', 'wasm', '--loop', 'tensor', '--workers', '1', '--batch-size', batchSize, '--quiet']);
      expect(result.code).toBe(0);
      files.push(await fs.readFile(output));
    }
    expect(files[1].equals(files[0]) && files[2].equals(files[0])).toBe(true);
  });
});

test('--loop takes auto, host or tensor: anything else is a usage error, before any work', async () => {
  const model = await writeModel(dir, { inputSize: 3, hiddenSize: 4 });
  const input = await writeNpy(dir, 'x.npy', sequenceArray([5, 2, 3]));
  const output = join(dir, 'out.npy');
  const result = await runCli(['run', '--weights', model.weights, '--config', model.config, '--input', input, '--output', output, '--loop', 'gpu']);
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/--loop: expected one of auto, host, tensor, got 'gpu'/);
  await expect(fs.access(output)).rejects.toThrow();
});
